import { createPublicKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealPin } from '../../../core/pin-envelope/pin-envelope.ts';
import type { SignInChallenge } from '../../../core/station-api/sign-in-check-schemas.ts';
import { decodeBase64Url, encodeBase64Url } from '../../../core/webauthn/base64url.ts';
import { VIRTUAL_KEY_AAGUID } from '../../../station/virtual-key/virtual-key.ts';
import {
  assertWithKey,
  makeCredentialFromOptions,
  softwareKey,
  type GraphCreationOptions,
  type SoftwareKey,
} from '../../local/support/software-key-registration.ts';
import { startTestStack, type CourierCaller, type TestStack } from '../support/courier-stack.ts';
import { eventually } from '../support/eventually.ts';

let stack: TestStack;
let operator: CourierCaller;
const keys: SoftwareKey[] = [];

beforeAll(async () => {
  stack = await startTestStack();
  operator = stack.as('operator');
}, 60_000);
afterAll(async () => {
  for (const key of keys) await key.close();
  await stack?.stop();
});

/** One approved request, claimed, with a software key registered for it through Graph. */
async function registeredJob(user: string, batchId: string) {
  const bulk = await stack
    .as('admin')
    .post('manage/requests/bulk', { batchId, requests: [{ user }] });
  expect(bulk.status, bulk.text).toBe(200);
  const requestId = bulk.json<{ results: { requestId: string }[] }>().results[0]!.requestId;
  const jobId = `job-${requestId}`;
  const claim = await eventually(async () => {
    const answer = await operator.post(`station/jobs/${jobId}/claim`, { stationId: 'mailroom-s' });
    return answer.status === 200 ? answer : undefined;
  }, `job ${jobId} claimable`);
  const { leaseId } = claim.json<{ lease: { leaseId: string } }>().lease;
  const fetched = await operator.post(`station/jobs/${jobId}/creation-options`, { leaseId });
  expect(fetched.status, fetched.text).toBe(200);
  const options = fetched.json<{ options: GraphCreationOptions }>().options;
  const pinKey = (await operator.get('station/pin-envelope-key')).json<{
    kid: string;
    jwk: Record<string, string>;
  }>();
  const pin = '73915846';
  const serial = 32_000_000 + Math.floor(Math.random() * 99_999);
  const key = await softwareKey({ serial, pin });
  keys.push(key);
  const made = await makeCredentialFromOptions(key, options);
  const body = {
    leaseId,
    attempt: 1,
    credentialId: encodeBase64Url(made.credentialId),
    clientDataJSON: encodeBase64Url(new TextEncoder().encode(made.clientDataJSON)),
    attestationObject: encodeBase64Url(made.attestationObject),
    aaguid: VIRTUAL_KEY_AAGUID,
    serial,
    firmware: '5.7.4',
    displayName: 'YubiKey (Courier)',
    pinEnvelope: sealPin(
      { pin, jobId, serial },
      { kid: pinKey.kid, publicKey: createPublicKey({ key: pinKey.jwk, format: 'jwk' }) },
    ),
  };
  let result;
  do result = await operator.post(`station/jobs/${jobId}/result`, body);
  while (result.status === 202);
  expect(result.json()).toMatchObject({ outcome: 'registered' });
  const methodId = result.json<{ methodId: string }>().methodId;
  return { requestId, jobId, leaseId, key, methodId };
}

async function challengeFor(jobId: string, leaseId: string): Promise<SignInChallenge> {
  const answer = await eventually(async () => {
    const issued = await operator.post(`station/jobs/${jobId}/sign-in-challenge`, {
      leaseId,
      attempt: 1,
    });
    // The job turns `registered` when the workflow has recorded Graph's answer.
    return issued.status === 409 && issued.text.includes('no registered key') ? undefined : issued;
  }, 'the job to be registered');
  expect(answer.status, answer.text).toBe(200);
  return answer.json<SignInChallenge>();
}

/** The tenant helper's challenge type wants two more fields it does not read. */
function asTenantChallenge(challenge: SignInChallenge) {
  return {
    ...challenge,
    allowCredentials: challenge.allowCredentials.map((c) => ({ ...c, transports: ['usb'] })),
    timeout: 60_000,
    expiresDateTime: challenge.expiresAt,
  };
}

async function auditEvents(requestId: string): Promise<Record<string, unknown>[]> {
  const audit = await stack.as('admin').get(`manage/audit?requestId=${requestId}`);
  return audit.json<{ records: Record<string, unknown>[] }>().records;
}

describe('the sign-in check', () => {
  it('verifies the key signs in with its PIN and the registered credential, and audits it', async () => {
    const job = await registeredJob('lina.haddad@fabrikam.example', 'signin-ok');
    const challenge = await challengeFor(job.jobId, job.leaseId);
    expect(challenge).toMatchObject({ rpId: 'login.microsoft.com', userVerification: 'required' });
    // No check before a challenge of this lease, and none for another lease.
    const stranger = await operator.post(`station/jobs/${job.jobId}/sign-in-challenge`, {
      leaseId: 'not-the-lease',
      attempt: 1,
    });
    expect(stranger.json()).toMatchObject({ error: { code: 'LEASE_LOST' } });

    const assertion = await assertWithKey(job.key, asTenantChallenge(challenge));
    const body = { leaseId: job.leaseId, attempt: 1, ...assertion };
    const checked = await operator.post(`station/jobs/${job.jobId}/sign-in-check`, body);
    expect(checked.status, checked.text).toBe(200);
    expect(checked.json()).toMatchObject({ verified: true });
    // A repeat (a lost reply) gives the same answer; a new challenge is refused.
    expect((await operator.post(`station/jobs/${job.jobId}/sign-in-check`, body)).status).toBe(200);
    const again = await operator.post(`station/jobs/${job.jobId}/sign-in-challenge`, {
      leaseId: job.leaseId,
      attempt: 1,
    });
    expect(again.json()).toMatchObject({ error: { code: 'ALREADY_CHECKED' } });

    const records = await auditEvents(job.requestId);
    const record = records.find((r) => r.event === 'sign-in-checked');
    expect(record).toMatchObject({ stationId: 'mailroom-s', to: 'Registered' });
    expect(JSON.stringify(records)).not.toContain(challenge.challenge);
  }, 60_000);

  it('revokes a key whose assertion does not verify, and puts its job back in the queue', async () => {
    const job = await registeredJob('chloe.dubois@fabrikam.example', 'signin-bad');
    const challenge = await challengeFor(job.jobId, job.leaseId);
    const assertion = await assertWithKey(job.key, asTenantChallenge(challenge));
    // A key that signs wrongly: one bit of its signature flipped.
    const signature = decodeBase64Url(assertion.signature);
    signature[signature.length - 1]! ^= 0x01;
    const failed = await operator.post(`station/jobs/${job.jobId}/sign-in-check`, {
      leaseId: job.leaseId,
      attempt: 1,
      ...assertion,
      signature: encodeBase64Url(signature),
    });
    expect(failed.status, failed.text).toBe(422);
    expect(failed.json()).toMatchObject({ error: { code: 'SIGN_IN_FAILED' } });

    // The credential leaves Entra, and the job is back in the queue for a reset key.
    await eventually(() => {
      const methods = stack.tenant.controls.inspect().methods;
      return Promise.resolve(methods.some((m) => m.id === job.methodId) ? undefined : true);
    }, 'the credential to be deleted');
    await eventually(async () => {
      const listed = await operator.get('station/jobs');
      const ids = listed.json<{ jobs: { jobId: string }[] }>().jobs.map((j) => j.jobId);
      return ids.includes(job.jobId) ? true : undefined;
    }, 'the job back in the queue');
    const records = await auditEvents(job.requestId);
    expect(records.map((r) => r.event)).toEqual(
      expect.arrayContaining(['sign-in-check-failed', 'key-failed']),
    );
  }, 60_000);
});
