import { formatAaguid } from '../../core/webauthn/aaguid.ts';
import { ClientPin } from '../ctap/client-pin.ts';
import { readKeyProfile, formatFirmware } from '../provision/key-profile.ts';
import type { OpenKey } from '../provision/key-slot.ts';

/** Everything a key says about itself, without a PIN: getInfo, READ_CONFIG, PIN retries. */
export async function inspectKey(key: OpenKey): Promise<Record<string, unknown>> {
  const profile = await readKeyProfile(key.device, key.ctap);
  const info = profile.info;
  let retries: number | undefined;
  if (profile.pinSet) {
    retries = (
      await ClientPin.forInfo(key.ctap, info)
        .getRetries()
        .catch(() => undefined)
    )?.retries;
  }
  return {
    port: key.slot.port,
    model: profile.model,
    aaguid: formatAaguid(info.aaguid),
    serial: profile.serial ?? null,
    firmware: formatFirmware(profile.firmware) ?? null,
    versions: info.versions,
    pinProtocols: profile.pinProtocols,
    authenticatorConfig: profile.supportsConfig,
    pinSet: profile.pinSet,
    pinRetries: retries ?? null,
    minPinLength: info.minPinLength,
    forcePinChange: info.forcePinChange,
    residentCredentialsFree: info.remainingDiscoverableCredentials ?? null,
    extensions: info.extensions,
  };
}

export function inspectionLines(facts: Record<string, unknown>): string[] {
  const label: Record<string, string> = {
    port: 'Port',
    model: 'Model',
    aaguid: 'AAGUID',
    serial: 'Serial',
    firmware: 'Firmware',
    versions: 'CTAP versions',
    pinProtocols: 'PIN protocols',
    authenticatorConfig: 'authenticatorConfig',
    pinSet: 'PIN set',
    pinRetries: 'PIN retries left',
    minPinLength: 'Minimum PIN length',
    forcePinChange: 'Must change PIN',
    residentCredentialsFree: 'Free credential slots',
    extensions: 'Extensions',
  };
  return Object.entries(facts).map(([key, value]) => {
    const text = Array.isArray(value)
      ? value.join(', ')
      : value === null
        ? 'unknown'
        : typeof value === 'boolean'
          ? value
            ? 'yes'
            : 'no'
          : typeof value === 'string' || typeof value === 'number'
            ? String(value)
            : JSON.stringify(value);
    return `${(label[key] ?? key).padEnd(24)}${text}`;
  });
}
