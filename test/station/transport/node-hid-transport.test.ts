import { describe, expect, it } from 'vitest';
import {
  listFidoDevices,
  nodeHidLoadError,
} from '../../../station/transport/node-hid-transport.ts';
import { missingRequirement, strictRequirements } from '../../support/system-requirement.ts';

const LIBUSB = {
  what: 'libusb (node-hid links it)',
  aptPackages: ['libusb-1.0-0'],
  probe: ['sh', '-c', 'ldconfig -p | grep -q libusb-1.0.so.0'] as [string, ...string[]],
};
const missing = missingRequirement(LIBUSB);

describe('the USB (node-hid) transport', () => {
  it('explains a missing libusb with the command that installs it', () => {
    const error = nodeHidLoadError(
      new Error('libusb-1.0.so.0: cannot open shared object file: No such file or directory'),
    );
    expect(error.code).toBe('NATIVE_LIBRARY_MISSING');
    expect(error.message).toMatch(/apt-get install libusb-1\.0-0/);
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('explains an unknown load failure with a reinstall', () => {
    expect(nodeHidLoadError(new Error('invalid ELF header')).message).toMatch(/npm ci/);
  });

  it.skipIf(missing !== undefined && !strictRequirements)(
    'loads node-hid lazily and lists FIDO keys (none on this machine)',
    async () => {
      if (missing) throw new Error(missing);
      const devices = await listFidoDevices();
      expect(Array.isArray(devices)).toBe(true);
      expect(devices.every((d) => typeof d.path === 'string' && d.path.length > 0)).toBe(true);
    },
  );
});
