import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RegistrationAttempts } from '../../../functions/store/registration-attempts.ts';
import { startAzurite, type AzuriteTables } from '../../support/azurite.ts';

let azurite: AzuriteTables;
beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => azurite.stop());

let attempts: RegistrationAttempts;
let tables = 0;
beforeEach(async () => {
  tables += 1;
  attempts = new RegistrationAttempts(await azurite.table(`attempts${tables}`));
});

const submission = {
  jobId: 'job-req-1',
  attempt: 1,
  leaseId: 'lease-1',
  stationId: 'mailroom-1',
  credentialId: 'q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQ',
};

describe('registration attempts', () => {
  it('forwards the first submission of an attempt only; a repeat waits for the same outcome', async () => {
    expect((await attempts.submit(submission)).first).toBe(true);
    expect((await attempts.submit(submission)).first).toBe(false);
    await attempts.decide('job-req-1', 1, { outcome: 'registered', methodId: 'm-1' });
    // The first answer wins: a retried activity cannot change it.
    await attempts.decide('job-req-1', 1, {
      outcome: 'refused',
      reason: 'CHALLENGE_EXPIRED',
      message: 'late',
      retry: true,
    });
    expect((await attempts.get('job-req-1', 1))?.outcome).toEqual({
      outcome: 'registered',
      methodId: 'm-1',
    });
  });

  it('refuses another credential under a used attempt number, saying which to use', async () => {
    await attempts.submit(submission);
    await expect(
      attempts.submit({ ...submission, credentialId: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAA' }),
    ).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('attempt 2') });
  });

  it('notes a lost lease once, and can forget it when telling the workflow failed', async () => {
    expect(await attempts.markLeaseLost('job-req-1', 'lease-1')).toBe(true);
    expect(await attempts.markLeaseLost('job-req-1', 'lease-1')).toBe(false);
    await attempts.unmarkLeaseLost('job-req-1', 'lease-1');
    expect(await attempts.markLeaseLost('job-req-1', 'lease-1')).toBe(true);
  });
});
