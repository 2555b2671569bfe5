import type { RequestState } from '../../../../core/request/request-state.ts';
import {
  RequestActivity,
  type FallbackApproversResult,
  type RecordInput,
  type RegisterResult,
  type ResolveApproversResult,
  type RevokeResult,
} from '../../../../functions/workflow/request-activities.ts';
import {
  RequestEvent,
  type ApprovalDecision,
  type PinChangeConfirmed,
  type RegistrationSubmitted,
  type RequesterAction,
  type Shipped,
  type StationFailure,
  type StationLost,
} from '../../../../functions/workflow/request-events.ts';
import {
  requestInstanceId,
  type Actor,
  type RequestInput,
} from '../../../../functions/workflow/request-input.ts';
import {
  requestOrchestration,
  type RequestResult,
} from '../../../../functions/workflow/request-orchestration.ts';
import type { RequestStatus } from '../../../../functions/workflow/request-status.ts';
import type { WorkflowPolicy } from '../../../../functions/workflow/workflow-policy.ts';
import { ReplayDriver, sdkOrchestrator, type ActivityHandler } from './replay-driver.ts';

/**
 * The request orchestration under the replay driver, with a demo organisation, inputs and event
 * payloads a test can tweak, and readers for what a user would notice: the audit records (and
 * the notifications they ask for), activity calls, custom status and the result.
 */

/** Registered under its own name so nothing here depends on the app's entry point. */
export const TEST_ORCHESTRATION = 'courier-request-v2-replay-test';

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
export const EPOCH = Date.parse('2026-03-02T09:00:00.000Z');

export const REQUESTER = {
  id: '1f0c7a52-0000-4000-8000-00000000a11c',
  displayName: 'Maja Lind',
  userPrincipalName: 'maja.lind@contoso.example',
} satisfies Actor;
export const MANAGER = {
  id: '1f0c7a52-0000-4000-8000-0000000b0b0b',
  displayName: 'Lars Eriksson',
  userPrincipalName: 'lars.eriksson@contoso.example',
};
export const FALLBACK_APPROVERS = [
  { id: '1f0c7a52-0000-4000-8000-00000000c0c0', displayName: 'Sofia Marin' },
  { id: '1f0c7a52-0000-4000-8000-00000000d0d0', displayName: 'Hana Suzuki' },
];
export const COLLEAGUE = { id: '1f0c7a52-0000-4000-8000-00000000e0e0', displayName: 'Ola Berg' };
export const ADMIN = { id: '1f0c7a52-0000-4000-8000-00000000ad00', displayName: 'IT Admin' };
export const OPERATOR = { id: '1f0c7a52-0000-4000-8000-0000000000be', displayName: 'Mailroom' };
export const STATION = 'station-mailroom-1';
export const AAGUID = 'ee882879-721c-4913-9775-3dfcce97072a';
export const METHOD_ID = 'fido2-method-1';

export const POLICY: WorkflowPolicy = {
  reminderHours: 24,
  maxReminders: 2,
  approvalExpiryDays: 7,
  deliveryConfirmDays: 14,
  fallbackApproversGroupId: '6c1d2f3e-4a5b-4c6d-8e7f-8091a2b3c4d5',
  maxStationAttempts: 3,
  prefetchOptions: false,
};

export const REQUEST_ID = 'req-20260302-0001';
export const JOB_ID = `job-${REQUEST_ID}`;

export function requestInput(overrides: Partial<RequestInput> = {}): RequestInput {
  return {
    requestId: REQUEST_ID,
    requester: REQUESTER,
    reason: 'new-hire',
    keyClass: {
      name: 'YubiKey 5 NFC',
      allowedAaguids: [AAGUID],
      minimumFirmware: '5.7.0',
    },
    requestedAt: new Date(EPOCH).toISOString(),
    shippingAddress: 'Storgatan 1, 111 22 Stockholm',
    policy: POLICY,
    ...overrides,
  };
}

/** What the activities answer unless a test says otherwise: everything goes well. */
export function defaultHandlers(): Record<string, ActivityHandler> {
  const approvers: ResolveApproversResult = { source: 'manager', approvers: [MANAGER] };
  const fallback: FallbackApproversResult = FALLBACK_APPROVERS;
  const registered: RegisterResult = {
    outcome: 'registered',
    methodId: METHOD_ID,
    graphRequestId: 'graph-request-register',
  };
  const revoked: RevokeResult = { result: 'deleted', graphRequestId: 'graph-request-revoke' };
  return {
    [RequestActivity.ResolveApprovers]: () => approvers,
    [RequestActivity.FallbackApprovers]: () => fallback,
    [RequestActivity.Record]: () => null,
    [RequestActivity.EnqueueJob]: () => null,
    [RequestActivity.PrefetchOptions]: () => null,
    [RequestActivity.Register]: () => registered,
    [RequestActivity.SettleJob]: () => null,
    [RequestActivity.Revoke]: () => revoked,
  };
}

export interface RequestRunOptions {
  input?: RequestInput;
  /** Merged over `defaultHandlers()`; `null` leaves that activity open for the test. */
  handlers?: Record<string, ActivityHandler | null>;
}

export class RequestRun {
  readonly driver: ReplayDriver;
  readonly input: RequestInput;

  private constructor(driver: ReplayDriver, input: RequestInput) {
    this.driver = driver;
    this.input = input;
  }

  static async start(options: RequestRunOptions = {}): Promise<RequestRun> {
    const input = options.input ?? requestInput();
    const handlers: Record<string, ActivityHandler> = defaultHandlers();
    for (const [name, handler] of Object.entries(options.handlers ?? {})) {
      if (handler === null) delete handlers[name];
      else handlers[name] = handler;
    }
    const driver = new ReplayDriver({
      orchestrator: sdkOrchestrator(TEST_ORCHESTRATION, requestOrchestration),
      instanceId: requestInstanceId(input.requestId),
      input,
      start: EPOCH,
      handlers,
    });
    await driver.start();
    return new RequestRun(driver, input);
  }

  /** The orchestration's custom status. */
  get status(): RequestStatus {
    return this.driver.customStatus as RequestStatus;
  }

  get result(): RequestResult | undefined {
    return this.driver.runtimeStatus === 'Completed'
      ? (this.driver.output as RequestResult)
      : undefined;
  }

  get runtimeStatus() {
    return this.driver.runtimeStatus;
  }

  /** Audit records the orchestration asked the record activity to write, in order, once each. */
  records(): RecordInput[] {
    const bySteps = new Map<number, RecordInput>();
    for (const call of this.calls(RequestActivity.Record)) {
      const record = call as RecordInput;
      // A retried record activity is the same write again (idempotent by step).
      if (!bySteps.has(record.step)) bySteps.set(record.step, record);
    }
    return [...bySteps.values()];
  }

  /** The `event` of each audit record, in order. */
  events(): string[] {
    return this.records().map((r) => r.event);
  }

  /** The last audit record with this event; throws when there is none. */
  record(event: string): RecordInput {
    const found = this.records().filter((r) => r.event === event);
    if (found.length === 0) {
      throw new Error(`No '${event}' record; the records are: ${this.events().join(', ')}.`);
    }
    return found[found.length - 1]!;
  }

  /** Notifications as "audience:kind", in the order the records asked for them. */
  notifications(): string[] {
    return this.records().flatMap((r) => (r.notify ?? []).map((n) => `${n.audience}:${n.kind}`));
  }

  /** Inputs of every scheduled call of activity `name` (retries included). */
  calls(name: string): unknown[] {
    return this.driver
      .scheduledActivities()
      .filter((a) => a.name === name)
      .map((a) => a.input);
  }

  /** The state the last audit record moved the request to. */
  get state(): RequestState | undefined {
    return this.records().at(-1)?.state;
  }

  raise(name: string, payload: unknown): Promise<'accepted' | 'gone'> {
    return this.driver.raise(name, payload);
  }

  // ── Events as the HTTP layer raises them ────────────────────────────────────────────────

  decide(approver: Actor, approved: boolean, comment?: string) {
    const payload: ApprovalDecision = {
      approver,
      approved,
      ...(comment === undefined ? {} : { comment }),
      at: this.at(),
    };
    return this.raise(RequestEvent.ApprovalDecision, payload);
  }

  requesterAction(
    event: 'Cancel' | 'LostKey' | 'DeliveryConfirmed' | 'PinReleased',
    by: Actor = REQUESTER,
  ) {
    const payload: RequesterAction = { by, at: this.at() };
    return this.raise(RequestEvent[event], payload);
  }

  submit(attempt: number, overrides: Partial<RegistrationSubmitted> = {}) {
    return this.raise(RequestEvent.RegistrationSubmitted, this.submission(attempt, overrides));
  }

  submission(
    attempt: number,
    overrides: Partial<RegistrationSubmitted> = {},
  ): RegistrationSubmitted {
    return {
      stationId: STATION,
      leaseId: leaseId(attempt),
      operator: OPERATOR,
      attempt,
      credentialId: `Y3JlZGVudGlhbC0${attempt}`,
      clientDataJSON: 'eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIn0',
      attestationObject: 'o2NmbXRkbm9uZQ',
      aaguid: AAGUID,
      serial: 20_000_000 + attempt,
      firmware: '5.7.1',
      displayName: 'YubiKey 5 NFC',
      at: this.at(),
      ...overrides,
    };
  }

  stationFailure(attempt: number, reason = 'needs-reset') {
    const payload: StationFailure = {
      stationId: STATION,
      leaseId: leaseId(attempt),
      operator: OPERATOR,
      attempt,
      reason,
      detail: `The key reported ${reason}.`,
      at: this.at(),
    };
    return this.raise(RequestEvent.StationFailure, payload);
  }

  stationLost(lease: string) {
    const payload: StationLost = { stationId: STATION, leaseId: lease, at: this.at() };
    return this.raise(RequestEvent.StationLost, payload);
  }

  pinChangeConfirmed(attempt: number) {
    const payload: PinChangeConfirmed = {
      stationId: STATION,
      leaseId: leaseId(attempt),
      operator: OPERATOR,
      minPinLength: 6,
      at: this.at(),
    };
    return this.raise(RequestEvent.PinChangeConfirmed, payload);
  }

  shipped(attempt: number, trackingNumber = 'JJD000390007754321') {
    const payload: Shipped = {
      stationId: STATION,
      leaseId: leaseId(attempt),
      operator: OPERATOR,
      carrier: 'PostNord',
      trackingNumber,
      at: this.at(),
    };
    return this.raise(RequestEvent.Shipped, payload);
  }

  // ── Common journeys ─────────────────────────────────────────────────────────────────────

  /** The manager approves; the job is queued. */
  async approve(): Promise<void> {
    await this.decide(MANAGER, true);
  }

  /** Approved, programmed (attempt 1), forcePINChange confirmed: ready to ship. */
  async registerKey(): Promise<void> {
    await this.approve();
    await this.submit(1);
    await this.pinChangeConfirmed(1);
  }

  private at(): string {
    return new Date(this.driver.now).toISOString();
  }
}

export function leaseId(attempt: number): string {
  return `lease-${attempt}`;
}
