import { graphDateTime } from './http/tenant-request.ts';
import type { Directory } from './directory.ts';
import { modelForAaguid } from './graph/aaguid-models.ts';
import { methodIdFor, type MethodIdForm } from './graph/method-id.ts';
import type { RegistrationRefusalCause } from './graph/registration-refusal.ts';
import type { Fido2PolicySettings, TenantSeed } from './seed/tenant-seed.ts';

export interface StoredFido2Method {
  /** Graph's method id: a GUID or the credential id, per the run's MethodIdForm (see method-id.ts). */
  id: string;
  userId: string;
  /** base64url without padding. */
  credentialId: string;
  /** COSE key bytes, base64url; null for methods seeded without a key (they cannot sign in). */
  publicKey: string | null;
  signCount: number;
  aaGuid: string;
  displayName: string;
  createdDateTime: string;
  lastUsedDateTime: string | null;
  attestationCertificates: string[];
  attestationLevel: 'attested' | 'notAttested';
  model: string | null;
  passkeyType: 'deviceBound' | 'synced';
  transports: string[];
}

export interface StoredInstallation {
  /** Graph's installation id: base64 of "{userId}##{teamsAppId}". */
  id: string;
  userId: string;
  teamsAppId: string;
  createdDateTime: string;
}

/** A refused fido2Methods POST, as the test controls report it. */
export interface RegistrationRejection {
  at: string;
  requestId: string;
  clientRequestId: string;
  userId: string;
  cause: RegistrationRefusalCause;
  detail: string;
}

/** The part of the tenant that changes at run time and that a state file keeps. */
export interface TenantStateSnapshot {
  methods: StoredFido2Method[];
  installations: StoredInstallation[];
  policy: Fido2PolicySettings;
}

/**
 * What changes while the tenant runs: registered passkeys, Teams app installations, the FIDO2
 * policy (tests edit it), and the log of refused registrations. A plain, JSON-serialisable
 * object, so a reset is "start again from the seed" and persistence is one file.
 */
export class TenantState {
  methods: StoredFido2Method[];
  installations: StoredInstallation[];
  policy: Fido2PolicySettings;
  rejections: RegistrationRejection[] = [];

  constructor(snapshot: TenantStateSnapshot) {
    this.methods = snapshot.methods;
    this.installations = snapshot.installations;
    this.policy = snapshot.policy;
  }

  static fromSeed(seed: TenantSeed, directory: Directory, idForm: MethodIdForm): TenantState {
    const methods = seed.users.flatMap((user) =>
      user.fido2Methods.map((m): StoredFido2Method => {
        const bytes = Buffer.from(m.credentialId, 'base64url');
        return {
          id: methodIdFor(idForm, bytes, { stable: true }),
          userId: user.id,
          credentialId: m.credentialId,
          publicKey: null,
          signCount: 0,
          aaGuid: m.aaGuid.toLowerCase(),
          displayName: m.displayName,
          createdDateTime: m.createdDateTime.replace(/\.\d+Z$/, 'Z'),
          lastUsedDateTime: null,
          attestationCertificates: [],
          attestationLevel: modelForAaguid(m.aaGuid) ? 'attested' : 'notAttested',
          model: modelForAaguid(m.aaGuid),
          passkeyType: 'deviceBound',
          transports: m.transports,
        };
      }),
    );
    const installations = seed.teamsAppInstallations.map((i) => {
      const user = directory.findUser(i.user)!;
      return installation(user.id, i.teamsApp.toLowerCase(), Date.parse('2024-01-15T09:00:00Z'));
    });
    return new TenantState({
      methods,
      installations,
      policy: structuredClone(seed.fido2Policy),
    });
  }

  snapshot(): TenantStateSnapshot {
    return structuredClone({
      methods: this.methods,
      installations: this.installations,
      policy: this.policy,
    });
  }

  methodsOf(userId: string): StoredFido2Method[] {
    return this.methods.filter((m) => m.userId === userId);
  }

  registeredCredentialIds(): Set<string> {
    return new Set(this.methods.map((m) => m.credentialId));
  }
}

export function installation(userId: string, teamsAppId: string, now: number): StoredInstallation {
  return {
    id: Buffer.from(`${userId}##${teamsAppId}`).toString('base64'),
    userId,
    teamsAppId,
    createdDateTime: graphDateTime(now),
  };
}
