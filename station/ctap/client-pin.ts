import type { CoseKey } from '../../core/webauthn/cose-key.ts';
import type { AuthenticatorInfo } from './authenticator-info.ts';
import { ClientPinSubCommand } from './client-pin-command.ts';
import type { Ctap2, Ctap2CallOptions } from './ctap2.ts';
import { concatBytes } from '../../core/bytes.ts';
import { padPin, pinBytes, pinHash, type PinInput } from './pin-encoding.ts';
import type { PinUvAuthProtocol, PinUvAuthProtocolOptions } from './pin-uv-auth-protocol.ts';
import { PinUvAuthProtocolOne } from './pin-uv-auth-protocol-one.ts';
import { PinUvAuthProtocolTwo } from './pin-uv-auth-protocol-two.ts';
import { PinUvAuthToken } from './pin-uv-auth-token.ts';
import { TransportError } from '../transport/transport-error.ts';

export interface PinRetries {
  retries: number;
  /** True when the key needs a power cycle before it accepts another PIN attempt. */
  powerCycleState?: boolean;
}

/**
 * authenticatorClientPIN flows (CTAP 2.1 §6.5.5): retries, key agreement, setPIN, changePIN and
 * PIN tokens, over one PIN/UV auth protocol. A fresh key agreement is made for every operation,
 * since keys regenerate theirs after a wrong PIN.
 */
export class ClientPin {
  readonly ctap: Ctap2;
  readonly protocol: PinUvAuthProtocol;

  constructor(ctap: Ctap2, protocol: PinUvAuthProtocol) {
    this.ctap = ctap;
    this.protocol = protocol;
  }

  static isSupported(info: AuthenticatorInfo): boolean {
    return 'clientPin' in info.options;
  }

  /** getPinUvAuthTokenUsingPinWithPermissions is available (CTAP 2.1 keys). */
  static isTokenSupported(info: AuthenticatorInfo): boolean {
    return info.options.pinUvAuthToken === true;
  }

  /** Picks the key's most preferred protocol that this stack speaks (2, then 1). */
  static forInfo(
    ctap: Ctap2,
    info: AuthenticatorInfo,
    options: PinUvAuthProtocolOptions = {},
  ): ClientPin {
    for (const version of info.pinUvAuthProtocols.length > 0 ? info.pinUvAuthProtocols : [1]) {
      if (version === 2) return new ClientPin(ctap, new PinUvAuthProtocolTwo(options));
      if (version === 1) return new ClientPin(ctap, new PinUvAuthProtocolOne(options));
    }
    throw new TransportError(
      'INVALID_RESPONSE',
      `The key offers PIN/UV auth protocols [${info.pinUvAuthProtocols.join(', ')}], none of which this station speaks (1, 2).`,
    );
  }

  async getRetries(options?: Ctap2CallOptions): Promise<PinRetries> {
    const response = await this.ctap.clientPin(
      { pinUvAuthProtocol: this.protocol.version, subCommand: ClientPinSubCommand.GET_PIN_RETRIES },
      options,
    );
    if (response.pinRetries === undefined) throw missing('getPINRetries', 'pinRetries');
    return response.powerCycleState === undefined
      ? { retries: response.pinRetries }
      : { retries: response.pinRetries, powerCycleState: response.powerCycleState };
  }

  async getKeyAgreement(options?: Ctap2CallOptions): Promise<CoseKey> {
    const response = await this.ctap.clientPin(
      {
        pinUvAuthProtocol: this.protocol.version,
        subCommand: ClientPinSubCommand.GET_KEY_AGREEMENT,
      },
      options,
    );
    if (!response.keyAgreement) throw missing('getKeyAgreement', 'keyAgreement');
    return response.keyAgreement;
  }

  /** setPIN: only on a key without a PIN (options.clientPin false). */
  async setPin(pin: PinInput, options?: Ctap2CallOptions): Promise<void> {
    const { keyAgreement, sharedSecret } = this.protocol.encapsulate(
      await this.getKeyAgreement(options),
    );
    const bytes = pinBytes(pin);
    const padded = padPin(bytes);
    try {
      const newPinEnc = this.protocol.encrypt(sharedSecret, padded);
      await this.ctap.clientPin(
        {
          pinUvAuthProtocol: this.protocol.version,
          subCommand: ClientPinSubCommand.SET_PIN,
          keyAgreement,
          newPinEnc,
          pinUvAuthParam: this.protocol.authenticate(sharedSecret, newPinEnc),
        },
        options,
      );
    } finally {
      wipe(bytes, padded, sharedSecret);
    }
  }

  /** changePIN: proves the current PIN and sets a new one; clears forcePINChange. */
  async changePin(
    currentPin: PinInput,
    newPin: PinInput,
    options?: Ctap2CallOptions,
  ): Promise<void> {
    const { keyAgreement, sharedSecret } = this.protocol.encapsulate(
      await this.getKeyAgreement(options),
    );
    const current = pinBytes(currentPin);
    const hash = pinHash(current);
    const next = pinBytes(newPin);
    const padded = padPin(next);
    try {
      const pinHashEnc = this.protocol.encrypt(sharedSecret, hash);
      const newPinEnc = this.protocol.encrypt(sharedSecret, padded);
      await this.ctap.clientPin(
        {
          pinUvAuthProtocol: this.protocol.version,
          subCommand: ClientPinSubCommand.CHANGE_PIN,
          keyAgreement,
          pinHashEnc,
          newPinEnc,
          pinUvAuthParam: this.protocol.authenticate(
            sharedSecret,
            concatBytes([newPinEnc, pinHashEnc]),
          ),
        },
        options,
      );
    } finally {
      wipe(current, hash, next, padded, sharedSecret);
    }
  }

  /** Legacy getPinToken (0x05): a token with implicit makeCredential and getAssertion permissions. */
  async getPinToken(pin: PinInput, options?: Ctap2CallOptions): Promise<PinUvAuthToken> {
    return this.requestToken(pin, ClientPinSubCommand.GET_PIN_TOKEN, undefined, undefined, options);
  }

  /** getPinUvAuthTokenUsingPinWithPermissions (0x09): a token limited to `permissions` (and `rpId`). */
  async getPinUvAuthTokenUsingPinWithPermissions(
    pin: PinInput,
    permissions: number,
    rpId?: string,
    options?: Ctap2CallOptions,
  ): Promise<PinUvAuthToken> {
    return this.requestToken(
      pin,
      ClientPinSubCommand.GET_PIN_UV_AUTH_TOKEN_USING_PIN_WITH_PERMISSIONS,
      permissions,
      rpId,
      options,
    );
  }

  /**
   * The best token for the key: with permissions on CTAP 2.1 keys, the legacy token otherwise
   * (which then carries mc and ga implicitly).
   */
  async getToken(
    info: AuthenticatorInfo,
    pin: PinInput,
    permissions: number,
    rpId?: string,
    options?: Ctap2CallOptions,
  ): Promise<PinUvAuthToken> {
    return ClientPin.isTokenSupported(info)
      ? this.getPinUvAuthTokenUsingPinWithPermissions(pin, permissions, rpId, options)
      : this.getPinToken(pin, options);
  }

  private async requestToken(
    pin: PinInput,
    subCommand: number,
    permissions: number | undefined,
    rpId: string | undefined,
    options?: Ctap2CallOptions,
  ): Promise<PinUvAuthToken> {
    const { keyAgreement, sharedSecret } = this.protocol.encapsulate(
      await this.getKeyAgreement(options),
    );
    const bytes = pinBytes(pin);
    const hash = pinHash(bytes);
    try {
      const response = await this.ctap.clientPin(
        {
          pinUvAuthProtocol: this.protocol.version,
          subCommand,
          keyAgreement,
          pinHashEnc: this.protocol.encrypt(sharedSecret, hash),
          permissions,
          rpId,
        },
        options,
      );
      if (!response.pinUvAuthToken) throw missing('getPinToken', 'pinUvAuthToken');
      let token: Uint8Array;
      try {
        token = this.protocol.decrypt(sharedSecret, response.pinUvAuthToken);
      } catch (cause) {
        throw new TransportError(
          'INVALID_RESPONSE',
          'The key returned a PIN token that does not decrypt.',
          { cause },
        );
      }
      const validLength =
        this.protocol.version === 1
          ? token.length === 16 || token.length === 32
          : token.length === 32;
      if (!validLength) {
        throw new TransportError(
          'INVALID_RESPONSE',
          `The key returned a ${token.length}-byte PIN token; protocol ${this.protocol.version} tokens are ${this.protocol.version === 1 ? '16 or 32' : '32'} bytes.`,
        );
      }
      return new PinUvAuthToken(this.protocol, token, permissions, rpId);
    } finally {
      wipe(bytes, hash, sharedSecret);
    }
  }
}

function missing(subCommand: string, member: string): TransportError {
  return new TransportError(
    'INVALID_RESPONSE',
    `clientPIN/${subCommand}: the key's answer has no ${member}.`,
  );
}

function wipe(...buffers: Uint8Array[]): void {
  for (const buffer of buffers) buffer.fill(0);
}
