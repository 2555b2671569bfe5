import type { PinUvAuthProtocol } from './pin-uv-auth-protocol.ts';

/**
 * A pinUvAuthToken obtained from a key, with the protocol it belongs to and what it was asked to
 * permit. It is a secret: keep it only as long as needed and call wipe() when done.
 */
export class PinUvAuthToken {
  readonly protocol: PinUvAuthProtocol;
  readonly permissions: number | undefined;
  readonly rpId: string | undefined;
  private readonly secret: Uint8Array;

  constructor(protocol: PinUvAuthProtocol, token: Uint8Array, permissions?: number, rpId?: string) {
    this.protocol = protocol;
    this.secret = token;
    this.permissions = permissions;
    this.rpId = rpId;
  }

  /** pinUvAuthParam over `message` with this token. */
  authenticate(message: Uint8Array): Uint8Array {
    return this.protocol.authenticate(this.secret, message);
  }

  get length(): number {
    return this.secret.length;
  }

  wipe(): void {
    this.secret.fill(0);
  }

  /** Never print the token. */
  toJSON(): string {
    return '[pinUvAuthToken]';
  }
}
