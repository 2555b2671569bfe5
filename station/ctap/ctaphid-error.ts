import { CourierError } from '../../core/courier-error.ts';
import { CtapHidErrorCode } from './ctaphid-constants.ts';

const NAMES = new Map<number, string>(Object.entries(CtapHidErrorCode).map(([k, v]) => [v, k]));

const ADVICE: Partial<Record<number, string>> = {
  [CtapHidErrorCode.CHANNEL_BUSY]:
    'Another program is using the key; close it (browser, ykman…) and retry.',
  [CtapHidErrorCode.MSG_TIMEOUT]: 'The key timed out waiting for the rest of a message.',
  [CtapHidErrorCode.INVALID_CHANNEL]:
    'The key forgot our channel (it was probably re-plugged); reopen it.',
  [CtapHidErrorCode.INVALID_CMD]: 'The key does not support this CTAPHID command.',
};

/** The key answered a CTAPHID message with CTAPHID_ERROR: a framing-level refusal, not a CTAP status. */
export class CtapHidError extends CourierError<string> {
  readonly hidError: number;

  constructor(hidError: number, options: { command?: string; cause?: unknown } = {}) {
    const name =
      NAMES.get(hidError) ?? `UNKNOWN_HID_ERROR_0x${hidError.toString(16).padStart(2, '0')}`;
    const where = options.command ? `CTAPHID ${options.command}` : 'CTAPHID';
    const advice = ADVICE[hidError];
    super(
      name,
      `${where}: the key answered ERROR ${name} (0x${hidError.toString(16).padStart(2, '0')}).${advice ? ` ${advice}` : ''}`,
      options,
    );
    this.hidError = hidError;
  }
}
