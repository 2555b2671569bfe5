import type { PinUvAuthProtocol } from '../ctap/pin-uv-auth-protocol.ts';

/** How long an unused token lives, and the longest any token lives (CTAP 2.1 §6.5.2.1, USB). */
const INITIAL_USAGE_MS = 30_000;
const MAX_USAGE_MS = 10 * 60_000;

/**
 * The authenticator's pinUvAuthToken and its state (CTAP 2.1 §6.5.2): one token, shared by both
 * PIN protocols, replaced whenever a new one is issued, the PIN changes or the key powers up.
 */
export class PinTokenState {
  private token: Uint8Array;
  private inUse = false;
  private usedOnce = false;
  private issuedAt = 0;
  permissions = 0;
  rpId: string | undefined;
  userPresent = false;
  userVerified = false;
  private readonly random: (n: number) => Uint8Array;
  private readonly now: () => number;

  constructor(random: (n: number) => Uint8Array, now: () => number) {
    this.random = random;
    this.now = now;
    this.token = random(32);
  }

  /** resetPinUvAuthToken(): a fresh random token; the old one stops verifying. */
  reset(): void {
    this.token.fill(0);
    this.token = this.random(32);
    this.stopUsing();
  }

  beginUsing(userPresent: boolean, permissions: number, rpId: string | undefined): void {
    this.userPresent = userPresent;
    this.userVerified = true;
    this.permissions = permissions;
    this.rpId = rpId;
    this.issuedAt = this.now();
    this.usedOnce = false;
    this.inUse = true;
  }

  stopUsing(): void {
    this.inUse = false;
    this.permissions = 0;
    this.rpId = undefined;
    this.userPresent = false;
    this.userVerified = false;
  }

  /** The token value, for encrypting it to the platform. */
  get value(): Uint8Array {
    return this.token;
  }

  get active(): boolean {
    this.expireIfDue();
    return this.inUse;
  }

  /** verify(pinUvAuthToken, message, param): false if the token is not in use (expired or never issued). */
  verify(protocol: PinUvAuthProtocol, message: Uint8Array, param: Uint8Array): boolean {
    if (!this.active) return false;
    const ok = protocol.verify(this.token, message, param);
    if (ok) this.usedOnce = true;
    return ok;
  }

  /** After a makeCredential or getAssertion that collected presence: the token is spent for mc/ga/cm/acfg. */
  consumeAfterPresence(): void {
    if (!this.inUse) return;
    this.userPresent = false;
    this.userVerified = false;
    this.permissions &= 0x10; // all but largeBlobWrite
  }

  private expireIfDue(): void {
    if (!this.inUse) return;
    const age = this.now() - this.issuedAt;
    if (age > MAX_USAGE_MS || (!this.usedOnce && age > INITIAL_USAGE_MS)) this.stopUsing();
  }
}
