import { z } from 'zod';

/**
 * The timing and limits a request runs under. A copy travels in each orchestration's input, so a
 * running request keeps the rules it started with when the configuration changes (replay must
 * see the same values every time).
 */
export const workflowPolicySchema = z.strictObject({
  /** Hours between reminders to the approvers. */
  reminderHours: z
    .number()
    .positive()
    .max(24 * 30),
  /** Reminders before the request is escalated to the fallback approvers. */
  maxReminders: z.number().int().min(0).max(20),
  /** Days after which a request nobody decided on is closed. */
  approvalExpiryDays: z.number().positive().max(90),
  /** Days after shipment (and again after confirmation) before an unclaimed key is revoked. */
  deliveryConfirmDays: z.number().positive().max(90),
  /** Entra group whose members approve when the manager cannot. */
  fallbackApproversGroupId: z.uuid(),
  /** Programming attempts (key failures, lost stations) before the request fails for IT. */
  maxStationAttempts: z.number().int().min(1).max(50),
  /** Fetch creation options at approval (beta, long challenge) rather than when a station starts. */
  prefetchOptions: z.boolean(),
});

export type WorkflowPolicy = z.infer<typeof workflowPolicySchema>;

export const DEFAULT_WORKFLOW_POLICY: Omit<WorkflowPolicy, 'fallbackApproversGroupId'> = {
  reminderHours: 24,
  maxReminders: 3,
  approvalExpiryDays: 7,
  deliveryConfirmDays: 14,
  maxStationAttempts: 5,
  prefetchOptions: false,
};

/**
 * How many timer rounds the approval loop may take: one per reminder up to the expiry, plus room
 * for refused (forged or mistaken) decisions. The loop is bounded rather than continued-as-new.
 * Timer legs (MAX_TIMER_MS) do not count: a leg that runs out only starts the next one.
 */
export function approvalRoundLimit(policy: WorkflowPolicy): number {
  return (
    Math.ceil((policy.approvalExpiryDays * 24) / policy.reminderHours) +
    1 +
    WORKFLOW_CAPS.refusedDecisions
  );
}

const DAY_MS = 86_400_000;

/**
 * The longest durable timer the workflow creates: 3 days past the orchestration's clock. Longer
 * waits are loops of timers this long, each cancelled when it loses its race. A longer timer is
 * split into legs by the Azure Storage backend, and a cancelled long timer replays differently
 * from the history it left, so the workflow never depends on one on any backend.
 */
export const MAX_TIMER_MS = 3 * DAY_MS;

/**
 * Bounds on the event loops of each stage: how many events (forged, stale or repeated ones
 * included) a stage takes before it gives up rather than loop forever. A bounded loop stands in
 * for continue-as-new, which has open bugs around Task.any with timers.
 */
export const WORKFLOW_CAPS = {
  /** Refused (forged or mistaken) decisions the approval stage tolerates beyond its rounds. */
  refusedDecisions: 50,
  /** Station events per programming attempt, and a margin on top. */
  stationEventsPerAttempt: 4,
  stationEventsMargin: 20,
  /** Events while waiting for the station to confirm forcePINChange. */
  pinChangeEvents: 20,
  /** Events before the key ships. */
  shippingEvents: 20,
  /** Events between shipment and the PIN's release. */
  deliveryEvents: 20,
} as const;
