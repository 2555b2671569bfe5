import { X509Certificate } from 'node:crypto';
import { LocalTenantError } from '../local-tenant-error.ts';
import type { Directory } from '../directory.ts';
import type { DeviceCodeApproval, EntraEndpoints } from '../entra/entra-endpoints.ts';
import type { GrantStore } from '../entra/grant-store.ts';
import type { MethodIdForm } from '../graph/method-id.ts';
import type { RevocationReason } from '../mds/crl-issuer.ts';
import type { MetadataService } from '../mds/metadata-service.ts';
import type { GraphOperation } from '../graph/graph-route.ts';
import {
  checkPolicyReferences,
  fido2PolicySchema,
  type Fido2PolicySettings,
  type TenantSeed,
} from '../seed/tenant-seed.ts';
import {
  TenantState,
  type RegistrationRejection,
  type StoredFido2Method,
  type StoredInstallation,
} from '../tenant-state.ts';
import { FaultPlan, type FaultSettings } from './fault-plan.ts';
import type {
  AssertionChallenge,
  AssertionInput,
  SignInChecks,
  SignInResult,
} from './sign-in-check.ts';
import { TokenBucket, type ThrottleSettings } from './token-bucket.ts';

export interface RequestCounters {
  total: number;
  graph: number;
  entra: number;
  byOperation: Partial<Record<GraphOperation, number>>;
  byStatus: Record<string, number>;
  /** Graph requests answered 429 by the throttle. */
  throttled: number;
  /** Graph requests answered with an injected fault (5xx or reset). */
  injectedFaults: number;
  /** Requests that arrived from a client before the Retry-After it was last given had passed. */
  earlyRetries: number;
  registrations: { accepted: number; refused: number };
}

export interface TenantInspection {
  tenantId: string;
  methodIdForm: MethodIdForm;
  users: {
    id: string;
    userPrincipalName: string;
    displayName: string;
    accountEnabled: boolean;
    managerId: string | null;
    personas: string[];
    groupIds: string[];
  }[];
  methods: StoredFido2Method[];
  installations: StoredInstallation[];
  policy: Fido2PolicySettings;
  rejections: RegistrationRejection[];
  counters: RequestCounters;
  throttle: ThrottleSettings | null;
  faults: FaultSettings | null;
  pendingDeviceCodes: { userCode: string; clientId: string; expiresDateTime: string }[];
}

export function emptyCounters(): RequestCounters {
  return {
    total: 0,
    graph: 0,
    entra: 0,
    byOperation: {},
    byStatus: {},
    throttled: 0,
    injectedFaults: 0,
    earlyRetries: 0,
    registrations: { accepted: 0, refused: 0 },
  };
}

/** What the controls change, shared with the request pipeline. */
export interface ControlledState {
  state: TenantState;
  counters: RequestCounters;
  bucket: TokenBucket | undefined;
  faults: FaultPlan | undefined;
  /** Per caller (client id): no request should arrive before this time (ms). */
  retryNotBefore: Map<string, number>;
  extraCertificates: Map<string, X509Certificate[]>;
}

/**
 * The test controls, in process. The HTTP controls under /_courier/tenant call the same methods,
 * so a test in this process and a script elsewhere see one behaviour. Nothing here is Graph's.
 */
export class TenantControls {
  private readonly seed: TenantSeed;
  private readonly directory: Directory;
  private readonly live: ControlledState;
  private readonly entra: EntraEndpoints;
  private readonly grants: GrantStore;
  private readonly signIns: SignInChecks;
  private readonly metadata: MetadataService;
  private readonly clock: () => number;
  private readonly initial: {
    throttle: ThrottleSettings | undefined;
    faults: FaultSettings | undefined;
  };
  private readonly onChange: () => void;
  /** The form of fido2Method ids this run issues. */
  readonly methodIdForm: MethodIdForm;

  constructor(init: {
    methodIdForm: MethodIdForm;
    metadata: MetadataService;
    seed: TenantSeed;
    directory: Directory;
    live: ControlledState;
    entra: EntraEndpoints;
    grants: GrantStore;
    signIns: SignInChecks;
    clock: () => number;
    throttle: ThrottleSettings | undefined;
    faults: FaultSettings | undefined;
    onChange: () => void;
  }) {
    this.seed = init.seed;
    this.directory = init.directory;
    this.live = init.live;
    this.entra = init.entra;
    this.grants = init.grants;
    this.signIns = init.signIns;
    this.metadata = init.metadata;
    this.clock = init.clock;
    this.initial = { throttle: init.throttle, faults: init.faults };
    this.onChange = init.onChange;
    this.methodIdForm = init.methodIdForm;
  }

  /**
   * Back to the seed: passkeys, installations, policy, counters, throttle and faults as started;
   * the metadata's CRLs served and listing nothing.
   */
  reset(): void {
    this.metadata.reset();
    this.live.state = TenantState.fromSeed(this.seed, this.directory, this.methodIdForm);
    this.live.counters = emptyCounters();
    this.live.retryNotBefore.clear();
    this.live.extraCertificates.clear();
    this.grants.clear();
    this.signIns.clear();
    this.setThrottle(this.initial.throttle ?? null);
    this.setFaults(this.initial.faults ?? null);
    this.onChange();
  }

  inspect(): TenantInspection {
    const personasOf = (id: string) =>
      [...this.directory.personas].filter(([, u]) => u.id === id).map(([name]) => name);
    const state = this.live.state.snapshot();
    return {
      tenantId: this.directory.tenantId,
      methodIdForm: this.methodIdForm,
      users: this.directory.users.map((u) => ({
        id: u.id,
        userPrincipalName: u.userPrincipalName,
        displayName: u.displayName,
        accountEnabled: u.accountEnabled,
        managerId: u.managerId ?? null,
        personas: personasOf(u.id),
        groupIds: [...this.directory.groupIdsOf(u.id)],
      })),
      methods: state.methods,
      installations: state.installations,
      policy: state.policy,
      rejections: structuredClone(this.live.state.rejections),
      counters: structuredClone(this.live.counters),
      throttle: this.live.bucket ? { ...this.live.bucket.settings } : null,
      faults: this.live.faults ? { ...this.live.faults.settings } : null,
      pendingDeviceCodes: this.grants.pendingDeviceCodes(this.clock()).map((d) => ({
        userCode: d.userCode,
        clientId: d.clientId,
        expiresDateTime: new Date(d.expiresAt).toISOString(),
      })),
    };
  }

  /** Refused registrations, newest last; filter by user (id or UPN) or Graph request id. */
  rejections(
    filter: { user?: string; requestId?: string; clientRequestId?: string } = {},
  ): RegistrationRejection[] {
    const userId =
      filter.user === undefined
        ? undefined
        : (this.directory.findUser(filter.user)?.id ?? filter.user);
    return this.live.state.rejections.filter(
      (r) =>
        (userId === undefined || r.userId === userId) &&
        (filter.requestId === undefined || r.requestId === filter.requestId) &&
        (filter.clientRequestId === undefined || r.clientRequestId === filter.clientRequestId),
    );
  }

  counters(): RequestCounters {
    return structuredClone(this.live.counters);
  }

  /** A token bucket in front of Graph, or none (null). */
  setThrottle(settings: ThrottleSettings | null): void {
    if (settings && !(settings.capacity >= 1 && settings.refillPerSecond > 0)) {
      throw new LocalTenantError(
        'CONFIGURATION_INVALID',
        'throttle needs capacity >= 1 and refillPerSecond > 0.',
      );
    }
    this.live.bucket = settings ? new TokenBucket(settings, this.clock()) : undefined;
    this.live.retryNotBefore.clear();
  }

  setFaults(settings: FaultSettings | null): void {
    if (
      settings?.errorRate !== undefined &&
      !(settings.errorRate >= 0 && settings.errorRate <= 1)
    ) {
      throw new LocalTenantError(
        'CONFIGURATION_INVALID',
        'faults.errorRate must be between 0 and 1.',
      );
    }
    if (settings?.statuses?.some((s) => s < 500 || s > 599)) {
      throw new LocalTenantError('CONFIGURATION_INVALID', 'faults.statuses must be 5xx statuses.');
    }
    if (settings?.afterCommit?.some((f) => f !== 503 && f !== 504 && f !== 'reset')) {
      throw new LocalTenantError(
        'CONFIGURATION_INVALID',
        'faults.afterCommit takes 503, 504 or "reset".',
      );
    }
    this.live.faults = settings ? new FaultPlan(settings) : undefined;
  }

  /**
   * Changes the FIDO2 policy (fields given replace the current ones), validated like the seed so
   * a test cannot put the tenant in a state Entra could not be in.
   */
  editPolicy(patch: Partial<Fido2PolicySettings>): Fido2PolicySettings {
    const merged = { ...this.live.state.policy, ...patch };
    const parsed = fido2PolicySchema.safeParse(merged);
    const problems = parsed.success
      ? checkPolicyReferences(
          parsed.data,
          new Set(this.directory.users.map((u) => u.id.toLowerCase())),
          new Set(this.directory.groups.map((g) => g.id.toLowerCase())),
          'policy',
        )
      : parsed.error.issues.map((i) => `policy.${i.path.join('.')}: ${i.message}`);
    if (!parsed.success || problems.length > 0) {
      throw new LocalTenantError(
        'CONFIGURATION_INVALID',
        `The policy edit is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
        { problems },
      );
    }
    this.live.state.policy = parsed.data;
    this.onChange();
    return structuredClone(parsed.data);
  }

  issueSignInChallenge(user: string): AssertionChallenge | undefined {
    return this.signIns.issue(user);
  }

  verifySignIn(input: AssertionInput): SignInResult {
    return this.signIns.verify(input);
  }

  approveDeviceCode(userCode: string, persona: string): DeviceCodeApproval {
    return this.entra.approveDeviceCode(userCode, persona);
  }

  declineDeviceCode(userCode: string): boolean {
    return this.entra.declineDeviceCode(userCode);
  }

  /**
   * The metadata CA revokes the BLOB signer's certificate now (tenant clock): its CRL lists it from
   * this moment, as a CA's reissued CRL would. Consumers that cached the previous CRL see it when
   * that one reaches its nextUpdate, as with a real CA.
   */
  revokeMetadataSigner(reason: string = 'keyCompromise'): void {
    try {
      this.metadata.revokeSigner(new Date(this.clock()), reason as RevocationReason);
    } catch (cause) {
      throw new LocalTenantError('CONFIGURATION_INVALID', (cause as Error).message, { cause });
    }
  }

  /** Whether the metadata chain's CRL distribution points answer; false: they answer 503. */
  setMetadataCrlsAvailable(available: boolean): void {
    this.metadata.setCrlsAvailable(available);
  }

  metadataRevocation(): { signerRevoked: boolean; crlsAvailable: boolean } {
    return this.metadata.revocationState();
  }

  /** Registers a certificate whose key may sign the application's client assertions. */
  addClientCertificate(application: string, certificatePem: string): void {
    const app =
      this.directory.applicationByKey(application) ?? this.directory.findApplication(application);
    if (!app)
      throw new LocalTenantError(
        'CONFIGURATION_INVALID',
        `No application has key or client id ${application}.`,
      );
    if (app.clientType !== 'confidential') {
      throw new LocalTenantError(
        'CONFIGURATION_INVALID',
        `${app.key} is a public client; it cannot have certificates.`,
      );
    }
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(certificatePem);
    } catch (cause) {
      throw new LocalTenantError(
        'CONFIGURATION_INVALID',
        'certificatePem is not a PEM certificate.',
        { cause },
      );
    }
    const list = this.live.extraCertificates.get(app.clientId.toLowerCase()) ?? [];
    list.push(certificate);
    this.live.extraCertificates.set(app.clientId.toLowerCase(), list);
  }
}
