import { describe, expect, it } from 'vitest';
import { RequestState } from '../../../core/request/request-state.ts';
import type { Approver } from '../../../functions/workflow/choose-approvers.ts';
import { RequestActivity } from '../../../functions/workflow/request-activities.ts';
import { DAY, HOUR, RequestRun } from './support/request-run.ts';

/** A fallback group of 500, each with a 64-character display name. */
const GROUP: Approver[] = Array.from({ length: 500 }, (_, index) => {
  const number = String(index).padStart(3, '0');
  return {
    id: `2a6b1c3d-0000-4000-8000-000000000${number}`,
    displayName: `Fallback Approver ${number} `.padEnd(64, 'x'),
    userPrincipalName: `fallback.${number}@contoso.example`,
  };
});

describe('a request whose fallback approvers are a group of 500', () => {
  it('runs its whole life with a custom status under 8,192 characters and small activity inputs', async () => {
    const run = await RequestRun.start({
      handlers: { [RequestActivity.FallbackApprovers]: () => GROUP },
    });
    // Two reminders, then the escalation brings in all 500; the last of them approves.
    await run.driver.advance(3 * DAY + HOUR);
    expect(run.events()).toContain('escalated');
    expect(run.status.approverCount).toBe(501);
    await run.decide(GROUP[499]!, true);
    await run.submit(1);
    await run.pinChangeConfirmed(1);
    await run.shipped(1);
    await run.driver.advance(4 * DAY);
    await run.requesterAction('DeliveryConfirmed');
    await run.requesterAction('PinReleased');

    expect(run.driver.failure).toBeUndefined();
    expect(run.result).toMatchObject({ state: RequestState.Completed, reason: 'completed' });
    expect(run.driver.customStatuses.length).toBeGreaterThan(8);
    for (const status of run.driver.customStatuses) {
      expect(JSON.stringify(status).length).toBeLessThan(8_192);
    }
    // The approvers travel to the record activity (for the cards), far below the 1 MiB limit.
    const largest = Math.max(
      ...run.driver.scheduledActivities().map((a) => JSON.stringify(a.input ?? null).length),
    );
    expect(largest).toBeGreaterThan(500 * 64);
    expect(largest).toBeLessThan(256 * 1024);
  });
});
