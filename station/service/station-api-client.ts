import { createPublicKey, type KeyObject } from 'node:crypto';
import {
  keyCheckResponseSchema,
  type KeyCheckRequest,
  type KeyCheckResponse,
} from '../../core/station-api/key-check-schemas.ts';
import { Agent } from 'node:https';
import { rootCertificates } from 'node:tls';
import type { z } from 'zod';
import {
  signInCheckResponseSchema,
  signInChallengeResponseSchema,
  type SignInAssertion,
  type SignInChallenge,
  type SignInCheckResult,
} from '../../core/station-api/sign-in-check-schemas.ts';
import {
  claimResponseSchema,
  creationOptionsResponseSchema,
  listJobsResponseSchema,
  pinEnvelopeKeyResponseSchema,
  registrationOutcomeSchema,
  stationApiErrorSchema,
  stationJobSchema,
  type RegistrationOutcome,
  type RegistrationSubmission,
  type StationJob,
} from '../../core/station-api/station-api-schemas.ts';
import { jsonCall, type JsonAnswer } from '../../core/http/json-call.ts';
import { StationApiError } from './station-api-error.ts';

export interface StationApiClientOptions {
  /** The functions app's root, e.g. https://courier.example.net (the API is under /api). */
  baseUrl: string;
  /** An Entra access token for the API with the Station.Operator role. */
  token: () => Promise<string>;
  /** Extra CA to trust (the local stack's); the system's CAs are trusted as well. */
  caPem?: string;
  /** How long a result call keeps repeating while the service answers "pending". */
  resultWaitMs?: number;
}

export interface Claim {
  job: StationJob;
  lease: { leaseId: string; expiresAt: string };
}

export interface CreationOptions {
  options: Record<string, unknown>;
  expiresAt: string;
  graphRequestId?: string;
}

export type FailureReason =
  | 'needs-reset'
  | 'wrong-key-class'
  | 'key-error'
  | 'policy-refused'
  | 'options-expired'
  | 'operator-aborted';

/**
 * The station API (core/station-api) as the station calls it: typed, validated both ways with the
 * schemas the service uses, errors as StationApiError with the service's code and instruction.
 */
export class StationApiClient {
  private readonly base: URL;
  private readonly options: StationApiClientOptions;
  private readonly agent: Agent;

  constructor(options: StationApiClientOptions) {
    this.options = options;
    this.base = new URL(
      'api/',
      options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`,
    );
    this.agent = new Agent({
      keepAlive: true,
      // The extra CA is added to Node's bundled roots, never in place of them.
      ...(options.caPem ? { ca: [...rootCertificates, options.caPem] } : {}),
    });
  }

  async listJobs(): Promise<StationJob[]> {
    return (await this.call('GET', 'station/jobs', undefined, listJobsResponseSchema)).jobs;
  }

  /** Every job the mailroom has in hand (queued, leased, registered…), for the queue view. */
  async queue(): Promise<StationJob[]> {
    return (await this.call('GET', 'station/queue', undefined, listJobsResponseSchema)).jobs;
  }

  async claimNext(stationId: string, leaseSeconds?: number): Promise<Claim | undefined> {
    return this.claimAt('station/claim-next', stationId, leaseSeconds);
  }

  async claim(jobId: string, stationId: string, leaseSeconds?: number): Promise<Claim | undefined> {
    return this.claimAt(`station/jobs/${enc(jobId)}/claim`, stationId, leaseSeconds);
  }

  async heartbeat(jobId: string, leaseId: string, leaseSeconds?: number): Promise<string> {
    const answer = await this.call(
      'POST',
      `station/jobs/${enc(jobId)}/heartbeat`,
      { leaseId, ...(leaseSeconds ? { leaseSeconds } : {}) },
      undefined,
    );
    return (answer as { lease: { expiresAt: string } }).lease.expiresAt;
  }

  creationOptions(jobId: string, leaseId: string): Promise<CreationOptions> {
    return this.call(
      'POST',
      `station/jobs/${enc(jobId)}/creation-options`,
      { leaseId },
      creationOptionsResponseSchema,
    );
  }

  /** The tenant's word on a key model for this job's user, before its PIN is touched. */
  keyCheck(jobId: string, body: KeyCheckRequest): Promise<KeyCheckResponse> {
    return this.call('POST', `station/jobs/${enc(jobId)}/key-check`, body, keyCheckResponseSchema);
  }

  async pinEnvelopeKey(): Promise<{ kid: string; publicKey: KeyObject }> {
    const answer = await this.call(
      'GET',
      'station/pin-envelope-key',
      undefined,
      pinEnvelopeKeyResponseSchema,
    );
    return { kid: answer.kid, publicKey: createPublicKey({ key: answer.jwk, format: 'jwk' }) };
  }

  /** Submits a registration and waits for Graph's answer, repeating the call while it is pending. */
  async submitResult(
    jobId: string,
    submission: RegistrationSubmission,
  ): Promise<RegistrationOutcome> {
    const deadline = Date.now() + (this.options.resultWaitMs ?? 5 * 60_000);
    for (;;) {
      const answer = await this.send('POST', `station/jobs/${enc(jobId)}/result`, submission);
      if (answer.status !== 202) return this.parse(answer, registrationOutcomeSchema);
      if (Date.now() > deadline) {
        throw new StationApiError(
          'RESULT_PENDING',
          'The service has not heard back from Microsoft Graph yet; keep the key plugged in and retry the job.',
          { status: 202 },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** Asks whether a key may be reset: refused (KEY_ASSIGNED) while it belongs to a live request. */
  async resetCheck(serial: number, stationId: string, force = false): Promise<void> {
    await this.call(
      'POST',
      `station/keys/${serial}/reset-check`,
      { stationId, ...(force ? { force } : {}) },
      undefined,
    );
  }

  async fail(
    jobId: string,
    report: { leaseId: string; attempt: number; reason: FailureReason; detail: string },
  ): Promise<void> {
    await this.call('POST', `station/jobs/${enc(jobId)}/failure`, report, undefined);
  }

  signInChallenge(
    jobId: string,
    body: { leaseId: string; attempt: number },
  ): Promise<SignInChallenge> {
    return this.call(
      'POST',
      `station/jobs/${enc(jobId)}/sign-in-challenge`,
      body,
      signInChallengeResponseSchema,
    );
  }

  signInCheck(jobId: string, assertion: SignInAssertion): Promise<SignInCheckResult> {
    return this.call(
      'POST',
      `station/jobs/${enc(jobId)}/sign-in-check`,
      assertion,
      signInCheckResponseSchema,
    );
  }

  async confirmPinChange(
    jobId: string,
    body: { leaseId: string; forcePinChange: boolean; minPinLength: number; notApplied?: string[] },
  ): Promise<StationJob> {
    const answer = await this.call(
      'POST',
      `station/jobs/${enc(jobId)}/pin-change-confirmed`,
      body,
      undefined,
    );
    return stationJobSchema.parse((answer as { job: unknown }).job);
  }

  async ship(
    jobId: string,
    body: { leaseId: string; carrier: string; trackingNumber: string },
  ): Promise<StationJob> {
    const answer = await this.call('POST', `station/jobs/${enc(jobId)}/shipment`, body, undefined);
    return stationJobSchema.parse((answer as { job: unknown }).job);
  }

  /** Any call under /api with the operator's token; for the admin API as well. */
  async call<T extends z.ZodType | undefined>(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    schema: T,
  ): Promise<T extends z.ZodType ? z.output<T> : unknown> {
    const answer = await this.send(method, path, body);
    return (
      schema ? this.parse(answer, schema) : this.parse(answer, undefined)
    ) as T extends z.ZodType ? z.output<T> : unknown;
  }

  /** A call whose every status the caller reads itself (the admin bulk API answers 422 with rows). */
  async callRaw(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: unknown }> {
    const answer = await this.send(method, path, body);
    if ((answer.status === 401 || answer.status === 403) && answer.body === undefined)
      this.parse(answer, undefined);
    return { status: answer.status, body: answer.body };
  }

  close(): void {
    this.agent.destroy();
  }

  private async claimAt(
    path: string,
    stationId: string,
    leaseSeconds?: number,
  ): Promise<Claim | undefined> {
    const answer = await this.send('POST', path, {
      stationId,
      ...(leaseSeconds ? { leaseSeconds } : {}),
    });
    if (answer.status === 204) return undefined;
    return this.parse(answer, claimResponseSchema);
  }

  private async send(method: 'GET' | 'POST', path: string, body?: unknown): Promise<JsonAnswer> {
    const url = new URL(path, this.base);
    let token: string;
    try {
      token = await this.options.token();
    } catch (cause) {
      throw new StationApiError(
        'UNAUTHORIZED',
        `Could not get a sign-in token for the service: ${cause instanceof Error ? cause.message : String(cause)}. Run "station login".`,
        { cause },
      );
    }
    try {
      return await jsonCall(url, method, {
        agent: this.agent,
        headers: { authorization: `Bearer ${token}` },
        ...(method === 'POST' ? { body: body ?? {} } : {}),
      });
    } catch (cause) {
      throw new StationApiError(
        'UNREACHABLE',
        `The service at ${this.base.origin} cannot be reached (${cause instanceof Error ? cause.message : String(cause)}); check the network and the service URL (station config).`,
        { cause },
      );
    }
  }

  private parse<T extends z.ZodType>(answer: JsonAnswer, schema: T): z.output<T>;
  private parse(answer: JsonAnswer, schema: undefined): unknown;
  private parse(answer: JsonAnswer, schema: z.ZodType | undefined): unknown {
    if (answer.status >= 400) {
      const error = stationApiErrorSchema.safeParse(answer.body);
      if (error.success) {
        throw new StationApiError(error.data.error.code, error.data.error.message, {
          status: answer.status,
          ...(error.data.error.requestId ? { requestId: error.data.error.requestId } : {}),
        });
      }
      throw new StationApiError(
        answer.status === 401 || answer.status === 403 ? 'UNAUTHORIZED' : 'INVALID_RESPONSE',
        answer.status === 401 || answer.status === 403
          ? 'The service refused your sign-in; run "station login" (your account needs the Station.Operator role).'
          : `The service answered HTTP ${answer.status} without an explanation.`,
        { status: answer.status },
      );
    }
    if (!schema) return answer.body;
    const parsed = schema.safeParse(answer.body);
    if (parsed.success) return parsed.data;
    throw new StationApiError(
      'INVALID_RESPONSE',
      `The service's answer does not fit the station API: ${parsed.error.issues
        .slice(0, 5)
        .map((i) => `${i.path.join('.')}: ${i.message}`)
        .join('; ')}. Is the station up to date?`,
      { status: answer.status },
    );
  }
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}
