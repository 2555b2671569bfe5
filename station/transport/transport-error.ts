import { CourierError } from '../../core/courier-error.ts';

export type TransportErrorCode =
  /** The key was unplugged or its connection closed. */
  | 'DEVICE_REMOVED'
  /** No answer in time (overall deadline, or the key fell silent mid-command). */
  | 'TIMEOUT'
  /** The caller aborted the operation. */
  | 'CANCELLED'
  /** The key sent something that breaks CTAPHID framing (bad nonce, sequence, length, command). */
  | 'INVALID_RESPONSE'
  /** A message too large for CTAPHID or for the key's maxMsgSize. */
  | 'MESSAGE_TOO_LARGE'
  /** No FIDO key found, or the one asked for is gone. */
  | 'NO_DEVICE'
  /** node-hid's native library could not be loaded. */
  | 'NATIVE_LIBRARY_MISSING'
  /** The OS refused access to the HID device. */
  | 'PERMISSION_DENIED'
  /** Opening the device or socket failed for another reason. */
  | 'OPEN_FAILED'
  /** The connection was already closed by us. */
  | 'CLOSED';

/** A host-side transport failure: the key could not be reached or did not frame its answer right. */
export class TransportError extends CourierError<TransportErrorCode> {}
