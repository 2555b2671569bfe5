import { createPublicKey } from 'node:crypto';
import { sealPin } from '../../../core/pin-envelope/pin-envelope.ts';
import { encodeBase64Url } from '../../../core/webauthn/base64url.ts';
import { VIRTUAL_KEY_AAGUID } from '../../../station/virtual-key/virtual-key.ts';
import type { CallResult } from '../../local/host/support/https-call.ts';
import {
  makeCredentialFromOptions,
  softwareKey,
  type GraphCreationOptions,
} from '../../local/support/software-key-registration.ts';
import type { CourierCaller } from './courier-stack.ts';

export interface Claimed {
  jobId: string;
  requestId: string;
  leaseId: string;
  attempts: number;
}

/**
 * A mailroom station as the tests drive it: the station API over HTTPS with an operator's token,
 * and a software key programmed from Graph's real options (the station program itself is built
 * separately; this does only what a test needs, the way the station does it).
 */
export class TestStation {
  readonly stationId: string;
  /** The last result body sent, so a test can repeat the call as a station does after an error. */
  lastSubmission: Record<string, unknown> | undefined;
  private readonly caller: CourierCaller;

  constructor(caller: CourierCaller, stationId: string) {
    this.caller = caller;
    this.stationId = stationId;
  }

  async claimNext(leaseSeconds?: number): Promise<Claimed | undefined> {
    const answer = await this.caller.post('station/claim-next', {
      stationId: this.stationId,
      ...(leaseSeconds ? { leaseSeconds } : {}),
    });
    if (answer.status === 204) return undefined;
    return claimed(answer);
  }

  async claim(jobId: string, leaseSeconds?: number): Promise<CallResult> {
    return this.caller.post(`station/jobs/${jobId}/claim`, {
      stationId: this.stationId,
      ...(leaseSeconds ? { leaseSeconds } : {}),
    });
  }

  /** Fetches options, programs a fresh software key with a PIN, and submits the result. */
  async program(
    job: Claimed,
    options: {
      attempt?: number;
      serial?: number;
      aaguid?: string;
      pin?: string;
      /** What the station declares, when it is not what the key attested (a lying station). */
      declare?: { aaguid?: string; credentialId?: string };
      /** Changes the options before the key sees them (a challenge nobody issued, say). */
      tamper?: (options: GraphCreationOptions) => GraphCreationOptions;
    } = {},
  ): Promise<{ result: CallResult; serial: number; pin: string }> {
    const fetched = await this.caller.post(`station/jobs/${job.jobId}/creation-options`, {
      leaseId: job.leaseId,
    });
    if (fetched.status !== 200) throw new Error(`options: ${fetched.status} ${fetched.text}`);
    const { options: graphOptions } = fetched.json<{ options: GraphCreationOptions }>();
    const keyAnswer = await this.caller.get('station/pin-envelope-key');
    if (keyAnswer.status !== 200) throw new Error(`pin key: ${keyAnswer.status} ${keyAnswer.text}`);
    const pinKey = keyAnswer.json<{ kid: string; jwk: Record<string, string> }>();
    const serial = options.serial ?? 31_000_000 + Math.floor(Math.random() * 999_999);
    const pin = options.pin ?? '73915846';
    const key = await softwareKey({
      serial,
      pin,
      ...(options.aaguid ? { aaguid: options.aaguid } : {}),
    });
    try {
      const made = await makeCredentialFromOptions(
        key,
        options.tamper ? options.tamper(graphOptions) : graphOptions,
      );
      const pinEnvelope = sealPin(
        { pin, jobId: job.jobId, serial },
        { kid: pinKey.kid, publicKey: createPublicKey({ key: pinKey.jwk, format: 'jwk' }) },
      );
      const result = await this.submit(job.jobId, {
        leaseId: job.leaseId,
        attempt: options.attempt ?? job.attempts + 1,
        credentialId: options.declare?.credentialId ?? encodeBase64Url(made.credentialId),
        clientDataJSON: encodeBase64Url(new TextEncoder().encode(made.clientDataJSON)),
        attestationObject: encodeBase64Url(made.attestationObject),
        clientExtensionResults: { hmacCreateSecret: true },
        aaguid: options.declare?.aaguid ?? options.aaguid ?? VIRTUAL_KEY_AAGUID,
        serial,
        firmware: '5.7.4',
        displayName: 'YubiKey (Courier)',
        pinEnvelope,
      });
      return { result, serial, pin };
    } finally {
      await key.close();
    }
  }

  /** The result call, repeated while the service answers "pending". */
  async submit(jobId: string, body: Record<string, unknown>): Promise<CallResult> {
    this.lastSubmission = body;
    for (;;) {
      const answer = await this.caller.post(`station/jobs/${jobId}/result`, body);
      if (answer.status !== 202) return answer;
    }
  }

  fail(job: Claimed, reason: string, detail = 'test failure'): Promise<CallResult> {
    return this.caller.post(`station/jobs/${job.jobId}/failure`, {
      leaseId: job.leaseId,
      attempt: job.attempts + 1,
      reason,
      detail,
    });
  }

  confirmPinChange(job: Claimed): Promise<CallResult> {
    return this.caller.post(`station/jobs/${job.jobId}/pin-change-confirmed`, {
      leaseId: job.leaseId,
      forcePinChange: true,
      minPinLength: 8,
    });
  }

  ship(job: Claimed, trackingNumber = 'JD014600006281234567'): Promise<CallResult> {
    return this.caller.post(`station/jobs/${job.jobId}/shipment`, {
      leaseId: job.leaseId,
      carrier: 'PostNord',
      trackingNumber,
    });
  }
}

export function claimed(answer: CallResult): Claimed {
  if (answer.status !== 200) throw new Error(`claim: ${answer.status} ${answer.text}`);
  const body = answer.json<{
    job: { jobId: string; requestId: string; attempts: number };
    lease: { leaseId: string };
  }>();
  return {
    jobId: body.job.jobId,
    requestId: body.job.requestId,
    leaseId: body.lease.leaseId,
    attempts: body.job.attempts,
  };
}
