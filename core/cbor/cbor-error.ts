import { CourierError } from '../courier-error.ts';

export type CborErrorCode =
  /** Not well-formed CBOR: truncated, trailing bytes, reserved values. */
  | 'CBOR_MALFORMED'
  /** Well-formed, but not in CTAP2 canonical form (key order, lengths, indefinite items). */
  | 'CBOR_NON_CANONICAL'
  /** A CBOR feature CTAP never uses (tags, floats, deep nesting). */
  | 'CBOR_UNSUPPORTED'
  /** Decoded fine, but a field has the wrong type or is missing. */
  | 'CBOR_UNEXPECTED_TYPE'
  /** A value this encoder cannot represent (undefined in an array, a function, …). */
  | 'CBOR_UNENCODABLE';

export class CborError extends CourierError<CborErrorCode> {
  /** Byte offset of the problem in the input, when it is about raw bytes. */
  readonly offset: number | undefined;

  constructor(
    code: CborErrorCode,
    message: string,
    options?: { offset?: number; cause?: unknown },
  ) {
    super(code, message, options);
    this.offset = options?.offset;
  }
}
