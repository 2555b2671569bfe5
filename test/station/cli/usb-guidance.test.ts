import { describe, expect, it } from 'vitest';
import { usbAdvice } from '../../../station/cli/usb-guidance.ts';
import { nodeHidLoadError } from '../../../station/transport/node-hid-transport.ts';
import { TransportError } from '../../../station/transport/transport-error.ts';

describe('what the station says when USB keys cannot be reached', () => {
  const denied = new TransportError('PERMISSION_DENIED', 'cannot open device /dev/hidraw3');

  it('libusb missing: how to install it', () => {
    const advice = usbAdvice(
      nodeHidLoadError(new Error('libusb-1.0.so.0: cannot open shared object file')),
    );
    expect(advice).toContain('sudo apt-get install libusb-1.0-0');
  });

  it('Linux without the udev rule: the rule, and how to load it', () => {
    const advice = usbAdvice(denied, 'linux');
    expect(advice).toContain('/etc/udev/rules.d/70-fido-station.rules');
    expect(advice).toContain('TAG+="uaccess"');
    expect(advice).toContain('sudo udevadm control --reload-rules && sudo udevadm trigger');
  });

  it('Windows without elevation: run as administrator; macOS: Input Monitoring', () => {
    expect(usbAdvice(denied, 'win32')).toContain('Run as administrator');
    expect(usbAdvice(denied, 'darwin')).toContain('Input Monitoring');
  });
});
