import { z } from 'zod';

/**
 * A kind of key the organisation hands out, from configuration: shown on the approval card, and
 * the station programs only keys that match it.
 */
export const keyClassSchema = z.strictObject({
  name: z.string().min(1).max(80),
  /** AAGUIDs of the models that belong to this class (lowercase UUIDs). */
  allowedAaguids: z.array(z.uuid().transform((a) => a.toLowerCase())).min(1),
  /** Lowest firmware accepted, "major.minor.patch" (e.g. 5.7.0 for forcePINChange support). */
  minimumFirmware: z.string().regex(/^\d+\.\d+\.\d+$/, 'minimumFirmware must look like 5.7.0'),
  /**
   * Accept keys without authenticatorConfig (CTAP 2.0 and some 2.1 keys): their minimum PIN
   * length and forcePINChange cannot be set, which the job then records. Refused by default.
   */
  allowWithoutAuthenticatorConfig: z.boolean().optional(),
  /** Accept keys that speak only PIN/UV auth protocol 1. Refused by default. */
  allowPinProtocolOneOnly: z.boolean().optional(),
});

export type KeyClass = z.infer<typeof keyClassSchema>;

/** True when firmware `version` (major, minor, patch) is at least the class minimum. */
export function meetsMinimumFirmware(
  version: { major: number; minor: number; patch: number },
  minimum: string,
): boolean {
  const [major, minor, patch] = minimum.split('.').map(Number) as [number, number, number];
  if (version.major !== major) return version.major > major;
  if (version.minor !== minor) return version.minor > minor;
  return version.patch >= patch;
}
