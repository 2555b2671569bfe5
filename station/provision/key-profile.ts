import { formatAaguid } from '../../core/webauthn/aaguid.ts';
import { AuthenticatorConfig } from '../ctap/authenticator-config.ts';
import type { AuthenticatorInfo } from '../ctap/authenticator-info.ts';
import { ClientPin } from '../ctap/client-pin.ts';
import type { CtapHidDevice } from '../ctap/ctap-hid-device.ts';
import type { Ctap2 } from '../ctap/ctap2.ts';
import { readYubiKeyDeviceInfo } from '../ctap/yubikey-device-info.ts';

export interface Firmware {
  major: number;
  minor: number;
  patch: number;
}

/** What the station needs to know about a key before touching it, from what the key says. */
export interface KeyProfile {
  aaguid: string;
  /** From the YubiKey DeviceInfo (vendor command 0x42); undefined on other makes. */
  serial: number | undefined;
  firmware: Firmware | undefined;
  /** "YubiKey (USB-A keychain)"-style text, or the AAGUID's make when unknown. */
  model: string;
  versions: string[];
  /** The key's own order of preference (CTAP 2.1 §6.5.5.2: the first supported one is used). */
  pinProtocols: number[];
  pinSet: boolean;
  supportsPin: boolean;
  /** authenticatorConfig with setMinPINLength: minPINLength and forcePINChange can be set. */
  supportsConfig: boolean;
  /** getPinUvAuthTokenUsingPinWithPermissions; without it the legacy getPinToken is used. */
  supportsPermissionTokens: boolean;
  minPinLength: number;
  forcePinChange: boolean;
  remainingDiscoverableCredentials: number | undefined;
  info: AuthenticatorInfo;
}

/** Reads getInfo and, where the key is a YubiKey, its serial, firmware and form factor. */
export async function readKeyProfile(device: CtapHidDevice, ctap: Ctap2): Promise<KeyProfile> {
  const info = await ctap.getInfo();
  const yubikey = await readYubiKeyDeviceInfo(device).catch(() => undefined);
  const fromInfo =
    info.firmwareVersion === undefined
      ? undefined
      : {
          major: (info.firmwareVersion >> 16) & 0xff,
          minor: (info.firmwareVersion >> 8) & 0xff,
          patch: info.firmwareVersion & 0xff,
        };
  const firmware = yubikey?.version ?? fromInfo;
  const formFactor = yubikey?.formFactor?.name;
  return profileFromInfo(info, {
    serial: yubikey?.serial,
    firmware,
    model: yubikey
      ? `YubiKey${formFactor ? ` (${formFactor})` : ''}`
      : `Security key ${info.versions.includes('FIDO_2_1') ? 'CTAP 2.1' : 'CTAP 2.0'}`,
  });
}

export function profileFromInfo(
  info: AuthenticatorInfo,
  identity: { serial: number | undefined; firmware: Firmware | undefined; model: string },
): KeyProfile {
  return {
    aaguid: formatAaguid(info.aaguid),
    serial: identity.serial,
    firmware: identity.firmware,
    model: identity.model,
    versions: info.versions,
    pinProtocols: info.pinUvAuthProtocols.length > 0 ? info.pinUvAuthProtocols : [1],
    pinSet: info.options.clientPin === true,
    supportsPin: ClientPin.isSupported(info),
    supportsConfig: AuthenticatorConfig.isSupported(info) && info.options.setMinPINLength === true,
    supportsPermissionTokens: ClientPin.isTokenSupported(info),
    minPinLength: info.minPinLength,
    forcePinChange: info.forcePinChange,
    remainingDiscoverableCredentials: info.remainingDiscoverableCredentials,
    info,
  };
}

export function formatFirmware(firmware: Firmware | undefined): string | undefined {
  return firmware ? `${firmware.major}.${firmware.minor}.${firmware.patch}` : undefined;
}
