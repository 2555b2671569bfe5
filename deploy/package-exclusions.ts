/**
 * What must never reach the deployed functions app, by where it lives in the repository or in
 * node_modules: the station (it drives USB keys and holds no server code), local mode (the tenant
 * emulator and its keys), tests, native modules Azure's Linux workers cannot load from a build made
 * elsewhere, and anything that looks like key material or local state.
 */
export interface PackageExclusion {
  /** What the rule keeps out, for the error message. */
  what: string;
  /** How to stay clear of it, when that is not obvious. */
  advice?: string;
  /** Whether a bundle input (a path relative to the repository, as esbuild reports it) is one. */
  matches(input: string): boolean;
}

const under =
  (...prefixes: string[]) =>
  (input: string): boolean =>
    prefixes.some((prefix) => input.startsWith(prefix) || input.includes(`/${prefix}`));

export const PACKAGE_EXCLUSIONS: readonly PackageExclusion[] = [
  { what: 'the station program (station/)', matches: (input) => input.startsWith('station/') },
  { what: 'local mode (local/)', matches: (input) => input.startsWith('local/') },
  { what: 'tests (test/)', matches: (input) => input.startsWith('test/') },
  { what: 'the benchmarks (bench/)', matches: (input) => input.startsWith('bench/') },
  { what: 'node-hid (native USB access)', matches: under('node_modules/node-hid/') },
  {
    what: 'cbor-x and its native extension (the station speaks CBOR; the app does not)',
    matches: under('node_modules/cbor-x/', 'node_modules/cbor-extract/'),
    advice:
      'core/cbor and the core/webauthn parsers built on it (attestation-object, authenticator-data, cose-key) are for the station; in functions/ and core/graph read WebAuthn structures with @simplewebauthn/server/helpers (decodeAttestationObject, parseAuthenticatorData).',
  },
  {
    what: 'local state and keys (.courier/, *.pem, *.key, *.pfx, *.p12)',
    matches: (input) => input.startsWith('.courier/') || /\.(pem|key|pfx|p12)$/i.test(input),
  },
];

/** The exclusion an input falls under, if any. */
export function exclusionFor(input: string): PackageExclusion | undefined {
  return PACKAGE_EXCLUSIONS.find((exclusion) => exclusion.matches(input));
}
