/**
 * What a software key offers, by model, so every capability path of the station is exercised:
 * the YubiKey 5.7 look-alike, a CTAP 2.0 key with PIN protocol 1 only (like a YubiKey 5.1), and a
 * CTAP 2.1 key without authenticatorConfig.
 */
export interface KeyModel {
  name: KeyModelName;
  description: string;
  /** The AAGUID a key of this model reports unless told otherwise (made up; test equipment). */
  aaguid: string;
  firmware: { major: number; minor: number; patch: number };
  versions: string[];
  /** In the key's order of preference. */
  pinUvAuthProtocols: number[];
  /** authenticatorConfig with setMinPINLength (and so forcePINChange). */
  authenticatorConfig: boolean;
  /** getPinUvAuthTokenUsingPinWithPermissions; without it only the legacy getPinToken. */
  permissionTokens: boolean;
  credentialManagement: boolean;
  extensions: string[];
  /** Answers YubiKey's READ_CONFIG (serial, firmware, form factor); other makes do not. */
  yubikeyDeviceInfo: boolean;
}

export const KEY_MODEL_NAMES = ['yubikey-5.7', 'ctap20-pin1', 'ctap21-no-config'] as const;
export type KeyModelName = (typeof KEY_MODEL_NAMES)[number];

export const KEY_MODELS: Record<KeyModelName, KeyModel> = {
  'yubikey-5.7': {
    name: 'yubikey-5.7',
    description:
      'CTAP 2.1, PIN protocols 2 and 1, authenticatorConfig (like a YubiKey 5, firmware 5.7)',
    aaguid: '6e8b3c2a-5d1f-4f7e-9a0c-2b4d6f8a1c3e',
    firmware: { major: 5, minor: 7, patch: 4 },
    versions: ['FIDO_2_0', 'FIDO_2_1_PRE', 'FIDO_2_1'],
    pinUvAuthProtocols: [2, 1],
    authenticatorConfig: true,
    permissionTokens: true,
    credentialManagement: true,
    extensions: ['credProtect', 'hmac-secret', 'minPinLength'],
    yubikeyDeviceInfo: true,
  },
  'ctap20-pin1': {
    name: 'ctap20-pin1',
    description:
      'CTAP 2.0, PIN protocol 1 only, no authenticatorConfig (like a YubiKey 5, firmware 5.1)',
    aaguid: '0b7f3a2e-1c4d-4e5f-8a6b-7c8d9e0f1a2b',
    firmware: { major: 5, minor: 1, patch: 2 },
    versions: ['FIDO_2_0'],
    pinUvAuthProtocols: [1],
    authenticatorConfig: false,
    permissionTokens: false,
    credentialManagement: false,
    extensions: ['credProtect', 'hmac-secret'],
    yubikeyDeviceInfo: true,
  },
  'ctap21-no-config': {
    name: 'ctap21-no-config',
    description: 'CTAP 2.1, PIN protocols 2 and 1, but no authenticatorConfig',
    aaguid: '5c4b3a29-8f7e-4d6c-9b5a-4e3d2c1b0a99',
    firmware: { major: 2, minor: 4, patch: 0 },
    versions: ['FIDO_2_0', 'FIDO_2_1'],
    pinUvAuthProtocols: [2, 1],
    authenticatorConfig: false,
    permissionTokens: true,
    credentialManagement: true,
    extensions: ['credProtect', 'hmac-secret'],
    yubikeyDeviceInfo: false,
  },
};
