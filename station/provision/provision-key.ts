import type { KeyObject } from 'node:crypto';
import type {
  KeyCheckRequest,
  KeyCheckResponse,
} from '../../core/station-api/key-check-schemas.ts';
import {
  decodeCreationOptions,
  type DecodedCreationOptions,
} from '../../core/graph/decode-creation-options.ts';
import { creationOptionsSchema } from '../../core/graph/schemas/creation-options-schema.ts';
import { sealPin } from '../../core/pin-envelope/pin-envelope.ts';
import type {
  SignInAssertion,
  SignInChallenge,
  SignInCheckResult,
} from '../../core/station-api/sign-in-check-schemas.ts';
import type {
  RegistrationOutcome,
  RegistrationSubmission,
  StationJob,
} from '../../core/station-api/station-api-schemas.ts';
import { encodeBase64Url } from '../../core/webauthn/base64url.ts';
import { ClientPin } from '../ctap/client-pin.ts';
import { TransportError } from '../transport/transport-error.ts';
import type { CreationOptions } from '../service/station-api-client.ts';
import { admitKey, type KeyPlan } from './admit-key.ts';
import { explainFailure } from './explain-failure.ts';
import { generatePin } from './generate-pin.ts';
import { guidedReset } from './guided-reset.ts';
import type { KeyPrompts } from './key-prompts.ts';
import { formatFirmware, readKeyProfile, type KeyProfile } from './key-profile.ts';
import type { OpenKey } from './key-slot.ts';
import {
  answerSignInChallenge,
  demandPinChange,
  makeCredential,
  setPinPolicy,
} from './key-steps.ts';
import { ProvisionError } from './provision-error.ts';
import { verifyAttestation, type MadeCredential } from './verify-attestation.ts';

/** The station API calls the pipeline makes (StationApiClient has them all). */
export interface ProvisionService {
  creationOptions(jobId: string, leaseId: string): Promise<CreationOptions>;
  pinEnvelopeKey(): Promise<{ kid: string; publicKey: KeyObject }>;
  submitResult(jobId: string, submission: RegistrationSubmission): Promise<RegistrationOutcome>;
  signInChallenge(
    jobId: string,
    body: { leaseId: string; attempt: number },
  ): Promise<SignInChallenge>;
  signInCheck(jobId: string, assertion: SignInAssertion): Promise<SignInCheckResult>;
  /**
   * The tenant's passkey policy (and, with attestation enforced, the FIDO metadata) on this key
   * model for the job's user. Optional: a service that cannot answer leaves it to Graph.
   */
  keyCheck?(jobId: string, body: KeyCheckRequest): Promise<KeyCheckResponse>;
  /** May this key be reset? Throws (KEY_ASSIGNED) while it belongs to a live request. */
  resetCheck?(serial: number, stationId: string): Promise<void>;
  confirmPinChange(
    jobId: string,
    body: { leaseId: string; forcePinChange: boolean; minPinLength: number; notApplied?: string[] },
  ): Promise<StationJob>;
}

export interface ProvisionInput {
  key: OpenKey;
  job: StationJob;
  leaseId: string;
  service: ProvisionService;
  prompts: KeyPrompts;
  /** PEM roots the key's attestation must chain to. */
  attestationRoots: string[];
  /** The tenant's minimum PIN length, set on the key with setMinPINLength. Default 6. */
  minPinLength?: number;
  /** Length of the generated PIN (raised to the key's and the policy's minimum). Default 8. */
  pinLength?: number;
  /** A key with a PIN gets the guided reset; false refuses it instead. Default true. */
  allowReset?: boolean;
  /** How long before the challenge expires the station stops waiting for a touch. Default 15 s. */
  optionsMarginMs?: number;
  signal?: AbortSignal;
}

export interface ProvisionResult {
  /** The key as it is now (reopened if it was reset). */
  key: OpenKey;
  serial: number | undefined;
  aaguid: string;
  firmware: string | undefined;
  model: string;
  credentialId: string;
  methodId: string;
  /** The attempt number under which Graph registered the key. */
  attempt: number;
  plan: KeyPlan;
  minPinLength: number;
}

const MAX_ROUNDS = 3;

/**
 * The per-key sequence, in the order that leaves nothing half-done: read the key; check it
 * against the key class before the PIN is touched; reset it if it is not fresh; generate the PIN;
 * setPIN; setMinPINLength; fetch options just in time; makeCredential; verify the attestation
 * here; submit with the sealed PIN; wait for Graph; pass the sign-in check; set forcePINChange
 * last and read it back. The PIN lives only in a byte buffer wiped at the end, whatever happens.
 */
export async function provisionKey(input: ProvisionInput): Promise<ProvisionResult> {
  const { job, leaseId, service, prompts, signal } = input;
  let key = input.key;
  let profile = await readKeyProfile(key.device, key.ctap);
  const name = keyName(profile, key);
  const stage = { name, pinSet: false, registered: false };
  const pin = new Uint8Array(64);
  let pinLength = 0;
  let attempt = job.attempts + 1;
  try {
    prompts.step(
      'inspect',
      `${name}: ${profile.model}, firmware ${formatFirmware(profile.firmware) ?? 'unknown'}`,
    );
    await winkAt(key);
    prompts.step('check-key-class', `Checking ${name} against ${job.keyClass.name}`);
    const plan = admitKey(profile, job.keyClass);
    if (service.keyCheck) {
      prompts.step('check-policy', `Checking ${name} against your tenant's passkey policy`);
      const verdict = await service.keyCheck(job.jobId, { leaseId, aaguid: profile.aaguid });
      if (!verdict.allowed) {
        // Refused before anything was written to the key: it stays fresh for another job.
        throw new ProvisionError(
          'KEY_NOT_ALLOWED',
          `Your tenant's passkey policy refuses ${name} for this user (${verdict.problems.map((p) => p.message).join(' ')}); set the key aside unchanged and tell IT.`,
        );
      }
    }
    if (profile.pinSet) {
      if (input.allowReset === false) {
        throw new ProvisionError(
          'KEY_NOT_FRESH',
          `${name} already has a PIN: reset it first (station reset), then try again.`,
        );
      }
      if (profile.serial !== undefined && service.resetCheck) {
        await service
          .resetCheck(profile.serial, job.lease?.stationId ?? 'station')
          .catch((error: unknown) => {
            throw new ProvisionError(
              'RESET_REFUSED',
              `${name} already has a PIN and ${error instanceof Error ? error.message.replace(/^Key \d+ /, 'it ') : String(error)}`,
              { cause: error },
            );
          });
      }
      prompts.step('reset', `${name} already has a PIN: it must be reset first`);
      key = await guidedReset(key, name, prompts, signal);
      profile = await readKeyProfile(key.device, key.ctap);
    }

    const policyMin = Math.max(input.minPinLength ?? 6, 4);
    const length = Math.max(input.pinLength ?? 8, profile.minPinLength, policyMin);
    const generated = new TextEncoder().encode(generatePin(length));
    pin.set(generated);
    generated.fill(0);
    pinLength = length;
    const pinBytes = () => pin.subarray(0, pinLength);
    const clientPin = ClientPin.forInfo(key.ctap, profile.info);
    prompts.step('set-pin', `Setting a ${length}-digit PIN on ${name}`);
    stage.pinSet = true;
    await clientPin.setPin(pinBytes(), signalOf(signal));

    let minPinLength = profile.minPinLength;
    if (plan.setMinPinLength) {
      minPinLength = Math.max(policyMin, profile.minPinLength);
      prompts.step(
        'set-min-pin-length',
        `Setting the minimum PIN length of ${name} to ${minPinLength}`,
      );
      await setPinPolicy(key, profile, clientPin, pinBytes(), minPinLength, signal);
    }

    const pinKey = await service.pinEnvelopeKey();
    let registered:
      | {
          outcome: RegistrationOutcome & { outcome: 'registered' };
          attempt: number;
          made: MadeCredential;
        }
      | undefined;
    for (let round = 1; !registered; round++) {
      signal?.throwIfAborted();
      prompts.step(
        'creation-options',
        `Fetching the registration options for ${job.recipient.displayName}`,
      );
      const fetched = await service.creationOptions(job.jobId, leaseId);
      const options = decodeOptions(fetched);
      const made = await makeUntilExpiry(
        key,
        profile,
        clientPin,
        pinBytes(),
        options,
        fetched.expiresAt,
        name,
        input,
      );
      if (!made) {
        if (round >= MAX_ROUNDS) {
          throw new ProvisionError(
            'TOUCH_TIMEOUT',
            `Nobody touched ${name} before the registration options expired, ${MAX_ROUNDS} times; try the job again. Nothing was registered. Reset the key before it is used again.`,
            { needsReset: true },
          );
        }
        prompts.step(
          'creation-options',
          `The registration options expired while waiting for the touch; fetching fresh ones`,
        );
        continue;
      }
      prompts.step('verify-attestation', `Checking the attestation of ${name}`);
      await verifyAttestation(made, {
        challenge: options.challenge,
        rpId: options.rp.id,
        aaguid: profile.aaguid,
        roots: input.attestationRoots,
      });
      prompts.step(
        'submit',
        `Registering ${name} for ${job.recipient.userPrincipalName} with Microsoft Entra ID`,
      );
      const outcome = await service.submitResult(
        job.jobId,
        submission(job, leaseId, attempt, made, profile, pinBytes(), pinKey),
      );
      if (outcome.outcome === 'registered') {
        registered = { outcome, attempt, made };
        break;
      }
      if (!outcome.retry || round >= MAX_ROUNDS) {
        throw new ProvisionError(
          'REGISTRATION_REFUSED',
          `Microsoft Entra ID refused ${name}: ${outcome.message} Nothing was registered; reset the key before it is used again.`,
          { needsReset: true },
        );
      }
      prompts.step(
        'submit',
        `Registration refused for now (${outcome.reason}); trying again with fresh options`,
      );
      attempt += 1;
    }
    stage.registered = true;

    prompts.step('sign-in-check', `Proving that ${name} signs in`);
    const challenge = await service.signInChallenge(job.jobId, {
      leaseId,
      attempt: registered.attempt,
    });
    await winkAt(key);
    const answer = await answerSignInChallenge(key, profile, clientPin, pinBytes(), challenge, {
      ...signalOf(signal),
      onKeepalive: (state) => {
        if (state === 'touch-needed') prompts.prompt('touch', `Touch ${name} now to sign in.`);
      },
    });
    await service.signInCheck(job.jobId, { leaseId, attempt: registered.attempt, ...answer });

    if (plan.forcePinChange) {
      prompts.step('force-pin-change', `Making ${name} demand a new PIN at first use`);
      const after = await demandPinChange(key, profile, clientPin, pinBytes(), signal);
      if (!after.forcePinChange) {
        throw new ProvisionError(
          'PIN_CHANGE_NOT_CONFIRMED',
          `${name} did not keep the "change PIN at first use" setting; reset it and set it aside for IT.`,
          { needsReset: true },
        );
      }
      minPinLength = after.minPinLength;
    }
    await service.confirmPinChange(job.jobId, {
      leaseId,
      forcePinChange: plan.forcePinChange,
      minPinLength: Math.max(4, minPinLength),
      ...(plan.notApplied.length > 0 ? { notApplied: plan.notApplied } : {}),
    });
    prompts.step('done', `${name} is registered for ${job.recipient.displayName}`);
    return {
      key,
      serial: profile.serial,
      aaguid: profile.aaguid,
      firmware: formatFirmware(profile.firmware),
      model: profile.model,
      credentialId: encodeBase64Url(registered.made.credentialId),
      methodId: registered.outcome.methodId,
      attempt: registered.attempt,
      plan,
      minPinLength,
    };
  } catch (error) {
    const failure = explainFailure(error, stage);
    failure.attempt ??= attempt;
    throw failure;
  } finally {
    pin.fill(0);
  }
}

/** "key 31234567 on udp 127.0.0.1:8111" (or "the key on …" when it has no serial). */
export function keyName(profile: Pick<KeyProfile, 'serial'>, key: OpenKey): string {
  return profile.serial === undefined
    ? `the key on ${key.slot.port}`
    : `key ${profile.serial} on ${key.slot.port}`;
}

async function winkAt(key: OpenKey): Promise<void> {
  if (key.device.supportsWink) await key.device.wink().catch(() => undefined);
}

function signalOf(signal: AbortSignal | undefined): { signal?: AbortSignal } {
  return signal ? { signal } : {};
}

function decodeOptions(fetched: CreationOptions): DecodedCreationOptions {
  const parsed = creationOptionsSchema.safeParse(fetched.options);
  if (!parsed.success) {
    throw new ProvisionError(
      'SERVICE_ERROR',
      `The service sent registration options the station cannot read; try the job again later. Nothing was registered.`,
      { cause: parsed.error, needsReset: true },
    );
  }
  return decodeCreationOptions(parsed.data);
}

/**
 * makeCredential while the options are still good: the touch is waited for until shortly before
 * the challenge expires, then abandoned (undefined) so fresh options can be fetched.
 */
async function makeUntilExpiry(
  key: OpenKey,
  profile: KeyProfile,
  clientPin: ClientPin,
  pin: Uint8Array,
  options: DecodedCreationOptions,
  expiresAt: string,
  name: string,
  input: ProvisionInput,
): Promise<MadeCredential | undefined> {
  const remaining = Date.parse(expiresAt) - Date.now() - (input.optionsMarginMs ?? 15_000);
  if (remaining <= 0) return undefined;
  const expiry = AbortSignal.timeout(remaining);
  const signal = input.signal ? AbortSignal.any([input.signal, expiry]) : expiry;
  input.prompts.step(
    'make-credential',
    `Creating ${options.user.name ?? 'the employee'}'s passkey on ${name}`,
  );
  await winkAt(key);
  try {
    return await makeCredential(key, profile, clientPin, pin, options, {
      signal,
      onKeepalive: (state) => {
        if (state === 'touch-needed')
          input.prompts.prompt('touch', `Touch ${name} now (it is blinking).`);
      },
    });
  } catch (error) {
    const cancelled = error instanceof TransportError && error.code === 'CANCELLED';
    if (expiry.aborted && !input.signal?.aborted && (cancelled || error instanceof DOMException))
      return undefined;
    throw error;
  }
}

function submission(
  job: StationJob,
  leaseId: string,
  attempt: number,
  made: MadeCredential,
  profile: KeyProfile,
  pin: Uint8Array,
  pinKey: { kid: string; publicKey: KeyObject },
): RegistrationSubmission {
  const firmware = formatFirmware(profile.firmware);
  return {
    leaseId,
    attempt,
    credentialId: encodeBase64Url(made.credentialId),
    clientDataJSON: encodeBase64Url(new TextEncoder().encode(made.clientDataJSON)),
    attestationObject: encodeBase64Url(made.attestationObject),
    clientExtensionResults: { hmacCreateSecret: profile.info.extensions.includes('hmac-secret') },
    aaguid: profile.aaguid,
    ...(profile.serial === undefined ? {} : { serial: profile.serial }),
    ...(firmware ? { firmware } : {}),
    displayName: displayNameFor(profile),
    // The PIN is a string only inside sealPin's plaintext, which it wipes where it can.
    pinEnvelope: sealPin(
      {
        pin: new TextDecoder().decode(pin),
        jobId: job.jobId,
        ...(profile.serial === undefined ? {} : { serial: profile.serial }),
      },
      pinKey,
    ),
  };
}

/** What Entra shows as the passkey's name (at most 30 characters). */
function displayNameFor(profile: KeyProfile): string {
  const base = profile.model.startsWith('YubiKey') ? 'YubiKey' : 'Security key';
  const text = profile.serial === undefined ? `${base} (Courier)` : `${base} ${profile.serial}`;
  return text.slice(0, 30);
}
