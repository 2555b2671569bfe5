import { TransportError } from '../transport/transport-error.ts';

/** The udev rule that lets the logged-in user reach FIDO keys (Linux), as the README gives it. */
export const UDEV_RULE =
  'KERNEL=="hidraw*", SUBSYSTEM=="hidraw", ATTRS{idVendor}=="1050", TAG+="uaccess", MODE="0660", GROUP="plugdev"';

/**
 * What to do when USB keys cannot be reached: the library missing, Linux without the udev rule,
 * Windows without elevation (Windows gives FIDO HID devices to administrators only).
 */
export function usbAdvice(error: unknown, platform: NodeJS.Platform = process.platform): string {
  if (error instanceof TransportError && error.code === 'NATIVE_LIBRARY_MISSING')
    return error.message;
  const permission =
    (error instanceof TransportError && error.code === 'PERMISSION_DENIED') ||
    /permission|access denied|EACCES|cannot open device/i.test(
      String((error as Error)?.message ?? error),
    );
  if (!permission)
    return `USB security keys cannot be listed: ${(error as Error)?.message ?? String(error)}`;
  if (platform === 'linux') {
    return `This user may not open the security key. Add the udev rule and re-plug the key:\n  echo '${UDEV_RULE}' | sudo tee /etc/udev/rules.d/70-fido-station.rules\n  sudo udevadm control --reload-rules && sudo udevadm trigger\n(For other makes, use their USB vendor id instead of 1050, or drop the ATTRS part to allow every FIDO key.)`;
  }
  if (platform === 'win32') {
    return 'Windows lets only administrators talk to security keys directly: start the terminal with "Run as administrator" and run the station again.';
  }
  if (platform === 'darwin') {
    return 'macOS refused access to the key: allow the terminal under System Settings → Privacy & Security → Input Monitoring, then re-plug the key.';
  }
  return `This user may not open the security key: ${(error as Error)?.message ?? String(error)}`;
}
