import { CtapError } from '../ctap/ctap-error.ts';
import { CtapHidError } from '../ctap/ctaphid-error.ts';
import { CtapStatus } from '../ctap/ctap-status.ts';
import { StationApiError } from '../service/station-api-error.ts';
import { TransportError } from '../transport/transport-error.ts';
import { ProvisionError } from './provision-error.ts';

/** How far the key got, which decides what the operator must do with it now. */
export interface FailureStage {
  /** "key 31234567 on usb 1-2" */
  name: string;
  /** A PIN was set on the key (it must be reset before reuse). */
  pinSet: boolean;
  /** Graph registered a credential made on this key. */
  registered: boolean;
}

/**
 * Turns any failure of the per-key pipeline into one instruction: what happened in words an
 * operator knows, and what to do with the key in hand. Codes stay on the error for logs and
 * --json; the message never needs one.
 */
export function explainFailure(error: unknown, stage: FailureStage): ProvisionError {
  if (error instanceof ProvisionError) return error;
  const { name, pinSet, registered } = stage;
  const reset = pinSet ? ' Reset it before it is used again.' : '';
  const nothing = registered ? ' Its registration is being deleted.' : ' Nothing was registered.';
  const make = (code: ConstructorParameters<typeof ProvisionError>[0], message: string) =>
    new ProvisionError(code, message, { cause: error, needsReset: pinSet });
  if (error instanceof DOMException && error.name === 'AbortError') {
    return make('ABORTED', `Stopped ${name}.${nothing}${reset}`);
  }
  if (error instanceof TransportError) {
    if (error.code === 'CANCELLED') return make('ABORTED', `Stopped ${name}.${nothing}${reset}`);
    if (['DEVICE_REMOVED', 'TIMEOUT', 'NO_DEVICE', 'CLOSED'].includes(error.code)) {
      return make(
        'KEY_REMOVED',
        `Key removed (${name}): plug it back in;${nothing.toLowerCase()}${reset}`,
      );
    }
    if (error.code === 'NATIVE_LIBRARY_MISSING' || error.code === 'PERMISSION_DENIED') {
      return make('KEY_ERROR', error.message);
    }
    return make(
      'KEY_ERROR',
      `${name} answered something the station cannot read; unplug it and set it aside for IT.${nothing}`,
    );
  }
  if (error instanceof CtapHidError) {
    return make(
      'KEY_ERROR',
      `${name} refused a command (${error.message}); unplug it and plug it back in, then try again.${nothing}${reset}`,
    );
  }
  if (error instanceof CtapError) {
    if (error.is(CtapStatus.USER_ACTION_TIMEOUT) || error.is(CtapStatus.ACTION_TIMEOUT)) {
      return make(
        'TOUCH_TIMEOUT',
        `Nobody touched ${name} in time: try the job again and touch the key when it blinks.${nothing}${reset}`,
      );
    }
    if (error.is(CtapStatus.PIN_POLICY_VIOLATION)) {
      return make(
        'KEY_ERROR',
        `${name} refused the PIN under its own PIN policy; reset it and set it aside for IT.${nothing}`,
      );
    }
    if (
      error.is(CtapStatus.PIN_BLOCKED) ||
      error.is(CtapStatus.PIN_AUTH_BLOCKED) ||
      error.is(CtapStatus.PIN_INVALID)
    ) {
      return make(
        'KEY_ERROR',
        `${name} does not accept the PIN the station set: reset it and try again.${nothing}`,
      );
    }
    if (error.is(CtapStatus.KEY_STORE_FULL)) {
      return make('KEY_ERROR', `${name} is full: reset it and try again.${nothing}`);
    }
    if (error.is(CtapStatus.CREDENTIAL_EXCLUDED)) {
      return make(
        'KEY_ERROR',
        `${name} already holds this employee's passkey: reset it and try again.${nothing}`,
      );
    }
    if (error.is(CtapStatus.KEEPALIVE_CANCEL))
      return make('ABORTED', `Stopped ${name}.${nothing}${reset}`);
    return make(
      'KEY_ERROR',
      `${name} refused a step (${error.code}); reset it and try again, or set it aside for IT.${nothing}`,
    );
  }
  if (error instanceof StationApiError) {
    if (error.code === 'LEASE_LOST') return make('LEASE_LOST', `${error.message}${reset}`);
    if (error.code === 'SIGN_IN_FAILED') {
      return new ProvisionError(
        'SIGN_IN_FAILED',
        `${name} failed the sign-in check: its registration is being deleted and the job goes back to the queue. Reset the key and set it aside for IT.`,
        { cause: error, needsReset: true },
      );
    }
    if (error.code === 'WRONG_KEY_CLASS' || error.code === 'FIRMWARE_TOO_OLD') {
      return make('KEY_NOT_ALLOWED', `${error.message}${reset}`);
    }
    return make('SERVICE_ERROR', `${error.message}${registered ? '' : nothing}${reset}`);
  }
  return make(
    'KEY_ERROR',
    `Something unexpected went wrong with ${name} (${error instanceof Error ? error.message : String(error)}).${nothing}${reset}`,
  );
}
