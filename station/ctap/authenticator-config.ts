import { encodeCanonical } from '../../core/cbor/canonical-cbor.ts';
import type { CborInput } from '../../core/cbor/cbor-value.ts';
import type { AuthenticatorInfo } from './authenticator-info.ts';
import { ConfigSubCommand, SetMinPinLengthParam, configAuthMessage } from './config-command.ts';
import type { Ctap2, Ctap2CallOptions } from './ctap2.ts';
import type { PinUvAuthToken } from './pin-uv-auth-token.ts';

export interface SetMinPinLengthOptions {
  /** New minimum PIN length in code points; keys refuse to lower it (PIN_POLICY_VIOLATION). */
  minPinLength?: number;
  /** RP IDs allowed to read the minimum through the minPinLength extension. */
  rpIds?: string[];
  /** Make the key demand a PIN change before the next PIN use. */
  forceChangePin?: boolean;
}

/**
 * authenticatorConfig (CTAP 2.1 §6.11). With a PIN set, every subcommand needs a token with the
 * authenticatorConfig (acfg) permission; without one (no PIN, alwaysUv off) it may be omitted.
 */
export class AuthenticatorConfig {
  readonly ctap: Ctap2;
  readonly token: PinUvAuthToken | undefined;

  constructor(ctap: Ctap2, token?: PinUvAuthToken) {
    this.ctap = ctap;
    this.token = token;
  }

  static isSupported(info: AuthenticatorInfo): boolean {
    return info.options.authnrCfg === true;
  }

  async toggleAlwaysUv(options?: Ctap2CallOptions): Promise<void> {
    await this.call(ConfigSubCommand.TOGGLE_ALWAYS_UV, undefined, options);
  }

  async enableEnterpriseAttestation(options?: Ctap2CallOptions): Promise<void> {
    await this.call(ConfigSubCommand.ENABLE_ENTERPRISE_ATTESTATION, undefined, options);
  }

  async setMinPinLength(
    settings: SetMinPinLengthOptions,
    options?: Ctap2CallOptions,
  ): Promise<void> {
    const P = SetMinPinLengthParam;
    const params = new Map<number, CborInput | undefined>([
      [P.newMinPinLength, settings.minPinLength],
      [P.minPinLengthRpIds, settings.rpIds],
      [P.forceChangePin, settings.forceChangePin],
    ]);
    await this.call(ConfigSubCommand.SET_MIN_PIN_LENGTH, params, options);
  }

  private async call(
    subCommand: number,
    params: Map<number, CborInput | undefined> | undefined,
    options?: Ctap2CallOptions,
  ): Promise<void> {
    const present =
      params && [...params.values()].some((v) => v !== undefined) ? params : undefined;
    const auth = this.token
      ? {
          pinUvAuthProtocol: this.token.protocol.version,
          pinUvAuthParam: this.token.authenticate(
            configAuthMessage(subCommand, present ? encodeCanonical(present) : undefined),
          ),
        }
      : {};
    await this.ctap.config(
      { subCommand, ...(present ? { subCommandParams: present } : {}), ...auth },
      options,
    );
  }
}
