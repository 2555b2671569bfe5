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
 */
export function approvalRoundLimit(policy: WorkflowPolicy): number {
  return Math.ceil((policy.approvalExpiryDays * 24) / policy.reminderHours) + 1 + 50;
}
