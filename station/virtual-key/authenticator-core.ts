import type { KeyModel } from './key-model.ts';
import { createHash } from 'node:crypto';
import { CtapStatus } from '../ctap/ctap-status.ts';
import { EcdhKeyPair, type PinUvAuthProtocol } from '../ctap/pin-uv-auth-protocol.ts';
import { PinUvAuthProtocolOne } from '../ctap/pin-uv-auth-protocol-one.ts';
import { PinUvAuthProtocolTwo } from '../ctap/pin-uv-auth-protocol-two.ts';
import type { AttestationIdentity } from './attestation-authority.ts';
import { CtapFailure } from './ctap-failure.ts';
import type { KeyState, ResidentCredential } from './key-state.ts';
import { PinTokenState } from './pin-token-state.ts';
import type { PresenceOutcome } from './user-presence.ts';

/** What one command may do besides reading its parameters: wait for a touch, notice cancellation. */
export interface CommandContext {
  signal: AbortSignal;
  /** Blinks and waits for a touch; keepalives say UPNEEDED meanwhile. */
  requestPresence(): Promise<PresenceOutcome>;
}

/** Fixed characteristics of the emulated model. */
export interface AuthenticatorProfile {
  firmware: { major: number; minor: number; patch: number };
  maxResidentCredentials: number;
  maxMsgSize: number;
  maxCredentialCountInList: number;
  maxCredentialIdLength: number;
  maxRpIdsForSetMinPinLength: number;
  resetWindowMs: number;
  /** RP IDs for vendor-facilitated enterprise attestation; undefined = not EA-capable. */
  enterpriseAttestationRpIds: string[] | undefined;
  /** What the model offers (CTAP versions, PIN protocols, authenticatorConfig…). */
  model: KeyModel;
}

/** A credential getAssertion may answer with, opened from its id (and its stored entry if resident). */
export interface AssertionCandidate {
  id: Uint8Array;
  algorithm: number;
  privateKey: Uint8Array;
  credProtect: number;
  hmacSecret: boolean;
  resident?: ResidentCredential;
}

/** Continuation state of getAssertion for getNextAssertion (CTAP 2.1 §6.3). */
export interface AssertionContinuation {
  rpId: string;
  clientDataHash: Uint8Array;
  credentials: AssertionCandidate[];
  next: number;
  userPresent: boolean;
  userVerified: boolean;
  lastAt: number;
}

export interface CredentialManagementContinuation {
  kind: 'rps' | 'credentials';
  items: unknown[];
  next: number;
  lastAt: number;
}

/**
 * The software key's state, persistent and volatile, shared by the command handlers. Volatile
 * parts (token, key-agreement keys, wrong-PIN streak, continuations) start over at power-up.
 */
export class AuthenticatorCore {
  state: KeyState;
  readonly profile: AuthenticatorProfile;
  readonly random: (n: number) => Uint8Array;
  readonly now: () => number;
  readonly attestation: AttestationIdentity;
  readonly issueEnterpriseAttestation: () => Promise<AttestationIdentity>;
  readonly protocols: ReadonlyMap<number, PinUvAuthProtocol>;
  token: PinTokenState;
  keyAgreement = new Map<number, EcdhKeyPair>();
  consecutivePinFailures = 0;
  poweredAt = 0;
  assertion: AssertionContinuation | undefined;
  credentialManagement: CredentialManagementContinuation | undefined;
  private readonly save: () => Promise<void>;

  constructor(options: {
    state: KeyState;
    profile: AuthenticatorProfile;
    random: (n: number) => Uint8Array;
    now: () => number;
    attestation: AttestationIdentity;
    issueEnterpriseAttestation: () => Promise<AttestationIdentity>;
    save: () => Promise<void>;
  }) {
    this.state = options.state;
    this.profile = options.profile;
    this.random = options.random;
    this.now = options.now;
    this.attestation = options.attestation;
    this.issueEnterpriseAttestation = options.issueEnterpriseAttestation;
    this.save = options.save;
    const protocolOptions = { randomBytes: this.random };
    this.protocols = new Map<number, PinUvAuthProtocol>([
      [2, new PinUvAuthProtocolTwo(protocolOptions)],
      [1, new PinUvAuthProtocolOne(protocolOptions)],
    ]);
    this.token = new PinTokenState(this.random, this.now);
    this.powerUp();
  }

  /** Power-up (plug-in): new key-agreement keys and token; streaks and continuations forgotten. */
  powerUp(): void {
    this.regenerateKeyAgreement();
    this.token.reset();
    this.consecutivePinFailures = 0;
    this.assertion = undefined;
    this.credentialManagement = undefined;
    this.poweredAt = this.now();
  }

  regenerateKeyAgreement(version?: number): void {
    for (const v of version === undefined ? [1, 2] : [version]) {
      this.keyAgreement.set(v, EcdhKeyPair.generate(this.randomScalar()));
    }
  }

  /** A P-256 private scalar from the key's random source (so seeded keys are reproducible). */
  randomScalar(): Uint8Array {
    for (;;) {
      const candidate = this.random(32);
      if (
        candidate.some((b) => b !== 0) &&
        Buffer.from(candidate).toString('hex') <
          'ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551'
      ) {
        return candidate;
      }
    }
  }

  /** The protocol named by a request; MISSING_PARAMETER or INVALID_PARAMETER otherwise. */
  protocol(version: number | undefined): PinUvAuthProtocol {
    if (version === undefined)
      throw new CtapFailure(CtapStatus.MISSING_PARAMETER, 'pinUvAuthProtocol missing');
    const protocol = this.profile.model.pinUvAuthProtocols.includes(version)
      ? this.protocols.get(version)
      : undefined;
    if (!protocol)
      throw new CtapFailure(
        CtapStatus.INVALID_PARAMETER,
        `unsupported pinUvAuthProtocol ${version}`,
      );
    return protocol;
  }

  /** "Protected by some form of user verification": for this key, a PIN is set. */
  get isProtected(): boolean {
    return this.state.pinHash !== undefined;
  }

  get residentCount(): number {
    return this.state.credentials.length;
  }

  persist(): Promise<void> {
    return this.save();
  }
}

export function sha256(data: Uint8Array | string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}
