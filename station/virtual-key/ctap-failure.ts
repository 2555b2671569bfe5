/**
 * Thrown inside the software key to end a command with a CTAP status. It never leaves the key:
 * the dispatcher turns it into the one-byte status a real authenticator would send.
 */
export class CtapFailure extends Error {
  readonly status: number;

  constructor(status: number, reason?: string) {
    super(reason ?? `CTAP status 0x${status.toString(16).padStart(2, '0')}`);
    this.status = status;
  }
}
