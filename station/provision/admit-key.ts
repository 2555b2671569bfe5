import { meetsMinimumFirmware, type KeyClass } from '../../core/request/key-class.ts';
import { formatFirmware, type KeyProfile } from './key-profile.ts';
import { ProvisionError } from './provision-error.ts';

/** What will be done to an admitted key, recorded with the job. */
export interface KeyPlan {
  /** The PIN/UV auth protocol used: the key's first preference this station speaks. */
  pinProtocol: 1 | 2;
  setMinPinLength: boolean;
  forcePinChange: boolean;
  /** What the key class accepted this key without. */
  notApplied: string[];
}

/**
 * The key-class and policy check, made from getInfo before the PIN is touched: the model
 * (AAGUID), the firmware, and the capabilities the key class requires. Throws the one
 * instruction for the operator when the key is refused.
 */
export function admitKey(profile: KeyProfile, keyClass: KeyClass): KeyPlan {
  const use = `use a ${keyClass.name} instead`;
  if (!keyClass.allowedAaguids.includes(profile.aaguid.toLowerCase())) {
    throw new ProvisionError(
      'KEY_NOT_ALLOWED',
      `This model (${profile.model}, AAGUID ${profile.aaguid}) is not allowed for this job by your tenant's passkey policy; set it aside and ${use}.`,
    );
  }
  const minimum = keyClass.minimumFirmware;
  if (minimum !== '0.0.0') {
    if (!profile.firmware) {
      throw new ProvisionError(
        'FIRMWARE_TOO_OLD',
        `This key does not say its firmware version, and ${keyClass.name} needs ${minimum} or later; set it aside and ${use}.`,
      );
    }
    if (!meetsMinimumFirmware(profile.firmware, minimum)) {
      throw new ProvisionError(
        'FIRMWARE_TOO_OLD',
        `This key's firmware ${formatFirmware(profile.firmware)} is older than ${minimum}, the minimum for ${keyClass.name}; set it aside and ${use}.`,
      );
    }
  }
  if (!profile.supportsPin) {
    throw new ProvisionError(
      'CAPABILITY_MISSING',
      `This key cannot hold a PIN, which every courier key needs; set it aside and ${use}.`,
    );
  }
  const notApplied: string[] = [];
  if (!profile.supportsConfig) {
    if (!keyClass.allowWithoutAuthenticatorConfig) {
      throw new ProvisionError(
        'CAPABILITY_MISSING',
        `This key cannot be made to demand a new PIN at first use (no authenticatorConfig), which ${keyClass.name} requires; set it aside and ${use}.`,
      );
    }
    notApplied.push('setMinPINLength', 'forcePINChange');
  }
  const pinProtocol = profile.pinProtocols.find((p): p is 1 | 2 => p === 1 || p === 2);
  if (!pinProtocol) {
    throw new ProvisionError(
      'CAPABILITY_MISSING',
      `This key speaks PIN protocols [${profile.pinProtocols.join(', ')}], none of which the station knows; set it aside and ${use}.`,
    );
  }
  if (!profile.pinProtocols.includes(2)) {
    if (!keyClass.allowPinProtocolOneOnly) {
      throw new ProvisionError(
        'CAPABILITY_MISSING',
        `This key speaks only the older PIN protocol 1, which ${keyClass.name} does not accept; set it aside and ${use}.`,
      );
    }
    notApplied.push('pinUvAuthProtocol2');
  }
  return {
    pinProtocol,
    setMinPinLength: profile.supportsConfig,
    forcePinChange: profile.supportsConfig,
    notApplied,
  };
}
