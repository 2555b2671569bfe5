/**
 * Base of every error this project raises on purpose. Each layer (CBOR, transport, CTAP, Graph,
 * station pipeline…) subclasses it with its own name and a closed set of stable `code`s, so
 * callers branch on `code` rather than on message text, and `cause` keeps the lower-level error.
 */
export class CourierError<Code extends string = string> extends Error {
  readonly code: Code;

  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}
