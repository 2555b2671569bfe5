import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_KEY_CLASSES } from '../../../local/stack/courier-app-settings.ts';
import { rejection } from '../../support/caught.ts';
import type { KeyPrompts } from '../../../station/provision/key-prompts.ts';
import { ProvisionError } from '../../../station/provision/provision-error.ts';
import { provisionJob } from '../../../station/provision/provision-job.ts';
import { provisionKey } from '../../../station/provision/provision-key.ts';
import type { StationApiClient } from '../../../station/service/station-api-client.ts';
import { VIRTUAL_ATTESTATION_ROOT_PEM } from '../../../station/virtual-key/attestation-authority.ts';
import type { KeyModelName } from '../../../station/virtual-key/key-model.ts';
import { VIRTUAL_KEY_AAGUID } from '../../../station/virtual-key/virtual-key.ts';
import { startTestStack, type TestStack } from '../../functions/support/courier-stack.ts';
import { eventually } from '../../functions/support/eventually.ts';
import { plugKey, stationClient, type PluggedKey } from '../support/station-harness.ts';
import { decodeBase64Url, encodeBase64Url } from '../../../core/webauthn/base64url.ts';
import { ClientPinSubCommand } from '../../../station/ctap/client-pin-command.ts';
import type { Ctap2 } from '../../../station/ctap/ctap2.ts';
import { CtapError } from '../../../station/ctap/ctap-error.ts';
import { CtapStatus } from '../../../station/ctap/ctap-status.ts';

const OLDER = 'Software key, older models';
let stack: TestStack;
let client: StationApiClient;
const plugged: PluggedKey[] = [];

beforeAll(async () => {
  stack = await startTestStack({
    settings: {
      COURIER_KEY_CLASSES: JSON.stringify([
        ...LOCAL_KEY_CLASSES,
        {
          name: OLDER,
          allowedAaguids: [VIRTUAL_KEY_AAGUID],
          minimumFirmware: '2.0.0',
          allowWithoutAuthenticatorConfig: true,
          allowPinProtocolOneOnly: true,
        },
      ]),
    },
  });
  client = stationClient(stack);
}, 60_000);
afterAll(async () => {
  for (const key of plugged) await key.close();
  client?.close();
  await stack?.stop();
});

async function queued(user: string, keyClass?: string) {
  const batchId = `f-${Math.random().toString(36).slice(2, 10)}`;
  const answer = await stack.as('admin').post('manage/requests/bulk', {
    batchId,
    requests: [{ user, ...(keyClass ? { keyClass } : {}) }],
  });
  expect(answer.status, answer.text).toBe(200);
  const jobId = `job-${answer.json<{ results: { requestId: string }[] }>().results[0]!.requestId}`;
  await eventually(async () => {
    const jobs = await client.listJobs();
    return jobs.some((j) => j.jobId === jobId) ? true : undefined;
  }, `${jobId} queued`);
  return jobId;
}

function prompts(
  onPrompt: (kind: string) => void = () => undefined,
): KeyPrompts & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    step: (step, message) => lines.push(`${step}: ${message}`),
    prompt: (kind, message) => {
      lines.push(`${kind}! ${message}`);
      onPrompt(kind);
    },
  };
}

async function key(
  options: Parameters<typeof plugKey>[1] = {},
  transport: 'memory' | 'udp' = 'memory',
) {
  const k = await plugKey(transport, options);
  plugged.push(k);
  return k;
}

async function run(
  jobId: string,
  k: PluggedKey,
  p: KeyPrompts,
  extra: Partial<Parameters<typeof provisionJob>[0]> = {},
) {
  const claim = (await client.claim(jobId, 'mailroom-f'))!;
  const result = provisionJob({
    key: k.open,
    job: claim.job,
    leaseId: claim.lease.leaseId,
    service: client,
    prompts: p,
    attestationRoots: [VIRTUAL_ATTESTATION_ROOT_PEM],
    ...extra,
  });
  return { claim, result };
}

async function backInQueue(jobId: string) {
  await eventually(
    async () => ((await client.listJobs()).some((j) => j.jobId === jobId) ? true : undefined),
    `${jobId} back in the queue`,
  );
}

function methodsOf(upn: string) {
  const user = stack.tenant.directory.findUser(upn)!;
  return stack.tenant.controls.inspect().methods.filter((m) => m.userId === user.id);
}

describe('keys of other models', () => {
  for (const [model, protocol, notApplied] of [
    ['ctap20-pin1', 1, ['setMinPINLength', 'forcePINChange', 'pinUvAuthProtocol2']],
    ['ctap21-no-config', 2, ['setMinPINLength', 'forcePINChange']],
  ] as const) {
    it(`programs a ${model} key where the key class accepts it, recording what was not applied`, async () => {
      const jobId = await queued(
        model === 'ctap20-pin1' ? 'nadia.okafor@fabrikam.example' : 'grace.mensah@fabrikam.example',
        OLDER,
      );
      const k = await key({ model: model as KeyModelName, aaguid: VIRTUAL_KEY_AAGUID });
      const { claim, result } = await run(jobId, k, prompts());
      const done = await result;
      expect(done.plan).toEqual({
        pinProtocol: protocol,
        setMinPinLength: false,
        forcePinChange: false,
        notApplied,
      });
      expect(k.key.info().options.clientPin).toBe(true);
      const audit = await stack.as('admin').get(`manage/audit?requestId=${claim.job.requestId}`);
      const records = audit.json<{ records: { event: string; detail?: string }[] }>().records;
      const record = records.find((r) => r.event === 'capabilities-not-applied');
      expect(record?.detail).toContain('forcePINChange');
      expect(records.map((r) => r.event)).toContain('sign-in-checked');
    }, 60_000);
  }

  it('refuses a key without authenticatorConfig for a class that needs it, before touching the PIN', async () => {
    const jobId = await queued('maja.lind@fabrikam.example');
    const k = await key({
      model: 'ctap21-no-config',
      aaguid: VIRTUAL_KEY_AAGUID,
      firmware: { major: 5, minor: 7, patch: 4 },
    });
    const failure = await rejection(ProvisionError, (await run(jobId, k, prompts())).result);
    expect(failure).toBeInstanceOf(ProvisionError);
    expect(failure).toMatchObject({ code: 'CAPABILITY_MISSING', needsReset: false });
    expect((failure as Error).message).toContain('use a Software key (local) instead');
    expect(k.key.info().options.clientPin).toBe(false);
    await backInQueue(jobId);
  }, 60_000);

  it('refuses a model outside the key class, naming the class to use', async () => {
    const jobId = await queued('jonas.keller@fabrikam.example');
    const k = await key({ aaguid: '2fc0579f-8113-47ea-b116-bb5a8db9202a' });
    const failure = await rejection(ProvisionError, (await run(jobId, k, prompts())).result);
    expect(failure).toMatchObject({ code: 'KEY_NOT_ALLOWED' });
    expect((failure as Error).message).toMatch(
      /not allowed .* passkey policy; set it aside and use a Software key \(local\) instead/,
    );
    expect(k.key.info().options.clientPin).toBe(false);
    await backInQueue(jobId);
  }, 60_000);
});

describe('faults', () => {
  it('guides a reset of a key that already has a PIN: unplug, plug back in, touch', async () => {
    const jobId = await queued('lea.schmidt@fabrikam.example');
    const k = await key({ resetWindowMs: 10_000 });
    const { ClientPin } = await import('../../../station/ctap/client-pin.ts');
    await ClientPin.forInfo(k.open.ctap, await k.open.ctap.getInfo()).setPin('31415926');
    const p = prompts((kind) => {
      if (kind === 'unplug') setTimeout(() => k.key.remove(), 50);
      if (kind === 'plug-in') setTimeout(() => k.key.replug(), 50);
    });
    const { result } = await run(jobId, k, p);
    const done = await result;
    k.open = done.key;
    const kinds = p.lines.filter((l) => /^[a-z-]+! /.test(l)).map((l) => l.split('!')[0]);
    expect(kinds.slice(0, 3)).toEqual(['unplug', 'plug-in', 'touch-to-reset']);
    expect(p.lines.find((l) => l.startsWith('unplug!'))).toContain(`key ${k.key.serial} on`);
    expect(k.key.info().forcePinChange).toBe(true);
  }, 60_000);

  it('a key removed mid-makeCredential: "plug it back in; nothing was registered", job requeued', async () => {
    const jobId = await queued('ahmed.karimi@fabrikam.example');
    const before = methodsOf('ahmed.karimi@fabrikam.example').length;
    const k = await key({ userPresence: { kind: 'on-demand' } }, 'udp');
    const p = prompts((kind) => {
      if (kind === 'touch') k.key.remove();
    });
    const failure = await rejection(ProvisionError, (await run(jobId, k, p)).result);
    expect(failure).toMatchObject({ code: 'KEY_REMOVED', needsReset: true });
    expect((failure as Error).message).toMatch(
      /^Key removed \(key \d+ on udp .*\): plug it back in; nothing was registered\. Reset it/,
    );
    expect(methodsOf('ahmed.karimi@fabrikam.example')).toHaveLength(before);
    await backInQueue(jobId);
  }, 60_000);

  it('fetches fresh options when they expire while the operator waits to touch', async () => {
    const jobId = await queued('daniel.osei@fabrikam.example');
    const k = await key({ userPresence: { kind: 'on-demand' } });
    let touches = 0;
    const p = prompts((kind) => {
      if (kind === 'touch' && ++touches > 1) setTimeout(() => k.key.touch(), 20);
    });
    // The options live 5 minutes; the station gives up on the touch 1.5 s in.
    const { result } = await run(jobId, k, p, { optionsMarginMs: 5 * 60_000 - 1_500 });
    const done = await result;
    expect(done.attempt).toBe(1);
    expect(p.lines.some((l) => l.includes('expired while waiting for the touch'))).toBe(true);
    expect(methodsOf('daniel.osei@fabrikam.example')).toHaveLength(1);
  }, 60_000);

  it('a key that refuses the PIN under its own PIN policy: one instruction, nothing registered, job requeued', async () => {
    const jobId = await queued('chloe.dubois@fabrikam.example');
    const before = methodsOf('chloe.dubois@fabrikam.example').length;
    const k = await key();
    // A key with a stricter PIN policy than it advertises (PIN complexity, say) answers setPIN
    // with CTAP2_ERR_PIN_POLICY_VIOLATION (0x37).
    const strict = Object.create(k.open.ctap) as Ctap2;
    strict.clientPin = (request, options) =>
      request.subCommand === ClientPinSubCommand.SET_PIN
        ? Promise.reject(
            new CtapError(CtapStatus.PIN_POLICY_VIOLATION, { command: 'clientPIN/setPIN' }),
          )
        : k.open.ctap.clientPin(request, options);
    const failure = await rejection(
      ProvisionError,
      (await run(jobId, k, prompts(), { key: { ...k.open, ctap: strict } })).result,
    );
    expect(failure).toMatchObject({ code: 'KEY_ERROR' });
    expect((failure as Error).message).toMatch(/refused the PIN under its own PIN policy/);
    expect((failure as Error).message).not.toMatch(/0x37|CTAP2_ERR/);
    expect(methodsOf('chloe.dubois@fabrikam.example')).toHaveLength(before);
    await backInQueue(jobId);
  }, 60_000);

  it("the tenant's policy refuses the key before its PIN is touched, on the record", async () => {
    const jobId = await queued('kwame.asante@fabrikam.example');
    const before = methodsOf('kwame.asante@fabrikam.example').length;
    const k = await key();
    const p = prompts();
    const failure = await rejection(ProvisionError, (await run(jobId, k, p)).result);
    expect(failure).toMatchObject({ code: 'KEY_NOT_ALLOWED', needsReset: false });
    expect((failure as Error).message).toMatch(
      /passkey policy refuses .* set the key aside unchanged/,
    );
    // Nothing was written to the key: no PIN, no credential, no touch asked for.
    expect(k.key.info().options.clientPin).toBe(false);
    expect(p.lines.some((l) => l.startsWith('set-pin'))).toBe(false);
    expect(methodsOf('kwame.asante@fabrikam.example')).toHaveLength(before);
    const audit = await stack.as('admin').get(`manage/audit?requestId=${jobId.slice(4)}`);
    expect(audit.json<{ records: { event: string }[] }>().records.map((r) => r.event)).toContain(
      'key-refused-by-policy',
    );
  }, 60_000);

  it('Graph refusing on policy at registration (the policy changed after the key check): the key needs a reset, nothing is registered', async () => {
    const jobId = await queued('kwame.asante@fabrikam.example');
    const before = methodsOf('kwame.asante@fabrikam.example').length;
    const k = await key();
    // The key check said yes (here: was not asked); by registration the policy says no.
    const late = Object.create(client) as StationApiClient;
    late.keyCheck = undefined as unknown as StationApiClient['keyCheck'];
    const failure = await rejection(
      ProvisionError,
      (await run(jobId, k, prompts(), { service: late })).result,
    );
    expect(failure).toMatchObject({ code: 'REGISTRATION_REFUSED', needsReset: true });
    expect((failure as Error).message).toContain('refused');
    expect(methodsOf('kwame.asante@fabrikam.example')).toHaveLength(before);
  }, 60_000);

  it('a key that fails the sign-in check is revoked and its job requeued', async () => {
    const jobId = await queued('elin.nyberg@fabrikam.example');
    const k = await key();
    // The key's answer is damaged on its way: one bit of the signature flipped.
    const faulty = Object.create(client) as StationApiClient;
    faulty.signInCheck = (id, assertion) => {
      const signature = decodeBase64Url(assertion.signature);
      signature[signature.length - 1]! ^= 1;
      return client.signInCheck(id, { ...assertion, signature: encodeBase64Url(signature) });
    };
    const claim = (await client.claim(jobId, 'mailroom-f'))!;
    const failure = await rejection(
      ProvisionError,
      provisionJob({
        key: k.open,
        job: claim.job,
        leaseId: claim.lease.leaseId,
        service: faulty,
        prompts: prompts(),
        attestationRoots: [VIRTUAL_ATTESTATION_ROOT_PEM],
      }),
    );
    expect(failure).toMatchObject({ code: 'SIGN_IN_FAILED', needsReset: true });
    await eventually(
      () =>
        Promise.resolve(methodsOf('elin.nyberg@fabrikam.example').length === 0 ? true : undefined),
      'the credential deleted',
    );
    await backInQueue(jobId);
  }, 60_000);

  it('a station killed mid-job: the lease returns and the key is registered once', async () => {
    const jobId = await queued('ivan.petrov@fabrikam.example');
    const first = await key();
    const claim = (await client.claim(jobId, 'mailroom-dies', 5))!;
    const dying = new AbortController();
    // The station process dies while the key waits for its touch: no failure report, no heartbeat.
    const p = prompts((kind) => kind === 'touch' && dying.abort());
    const killed = await rejection(
      ProvisionError,
      provisionKey({
        key: first.open,
        job: claim.job,
        leaseId: claim.lease.leaseId,
        service: client,
        prompts: p,
        attestationRoots: [VIRTUAL_ATTESTATION_ROOT_PEM],
        signal: dying.signal,
      }),
    );
    expect(killed).toMatchObject({ code: 'ABORTED' });
    const second = await key({ userPresence: { kind: 'immediate' } });
    const retaken = await eventually(
      async () => (await client.claim(jobId, 'mailroom-2')) ?? undefined,
      'the lease to lapse',
      30_000,
    );
    const done = await provisionJob({
      key: second.open,
      job: retaken.job,
      leaseId: retaken.lease.leaseId,
      service: client,
      prompts: prompts(),
      attestationRoots: [VIRTUAL_ATTESTATION_ROOT_PEM],
    });
    expect(done.serial).toBe(second.key.serial);
    expect(methodsOf('ivan.petrov@fabrikam.example')).toHaveLength(1);
  }, 60_000);
});
