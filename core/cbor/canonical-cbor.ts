import { Decoder, Encoder } from 'cbor-x';
import { CborError } from './cbor-error.ts';
import type { CborInput, CborKey, CborValue } from './cbor-value.ts';
import { checkCanonical, compareCanonicalKeys } from './check-canonical.ts';

// cbor-x's defaults are not CTAP2-canonical: it would emit records, tag Uint8Arrays (tag 64), tag
// Maps (259) and fixed 16-bit map heads. These options switch all of that off (with mapsAsObjects
// false, Maps get no tag 259); key order is ours.
const encoder = new Encoder({
  useRecords: false,
  mapsAsObjects: false,
  variableMapSize: true,
  tagUint8Array: false,
  pack: false,
  structuredClone: false,
});

const decoder = new Decoder({ useRecords: false, mapsAsObjects: false, structuredClone: false });

/** Encodes a value in CTAP2 canonical CBOR (sorted keys, shortest heads, no tags, no floats). */
export function encodeCanonical(value: CborInput): Uint8Array {
  const prepared = prepare(value, '$');
  const bytes = encoder.encode(prepared);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Decodes one CBOR item that must be in CTAP2 canonical form. Maps come back as `Map`s, byte strings
 * as fresh `Uint8Array`s (never views into `bytes`), integers as numbers where they fit exactly.
 */
export function decodeCanonical(bytes: Uint8Array, options: { maxDepth?: number } = {}): CborValue {
  checkCanonical(bytes, options);
  let decoded: unknown;
  try {
    decoded = decoder.decode(bytes);
  } catch (cause) {
    // checkCanonical has already accepted the structure, so this is unexpected; keep the detail.
    throw new CborError('CBOR_MALFORMED', `CBOR could not be decoded: ${String(cause)}`, { cause });
  }
  return normalise(decoded);
}

function prepare(value: CborInput | undefined, path: string): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) {
      throw new CborError(
        'CBOR_UNENCODABLE',
        `Cannot encode ${path} = ${value}: CTAP messages carry integers only, not floats.`,
      );
    }
    // cbor-x writes integers outside ±2^32 as float64; as bigint they get an integer head.
    return value > 0xffff_ffff || value < -0x1_0000_0000
      ? checkedBigInt(BigInt(value), path)
      : value;
  }
  if (typeof value === 'bigint') return checkedBigInt(value, path);
  if (value instanceof Uint8Array) return value;
  if (Array.isArray(value)) {
    return value.map((item: CborInput | undefined, index) => {
      if (item === undefined) {
        throw new CborError(
          'CBOR_UNENCODABLE',
          `Cannot encode ${path}[${index}]: it is undefined.`,
        );
      }
      return prepare(item, `${path}[${index}]`);
    });
  }
  if (value instanceof Map) return sortedMap([...value.entries()], path);
  if (typeof value === 'object' && value !== undefined && isPlainObject(value)) {
    return sortedMap(Object.entries(value), path);
  }
  throw new CborError(
    'CBOR_UNENCODABLE',
    `Cannot encode ${path}: ${describe(value)} is not a CBOR value.`,
  );
}

function sortedMap(
  entries: [CborKey, CborInput | undefined][],
  path: string,
): Map<unknown, unknown> {
  const keyed = entries
    .filter(([, v]) => v !== undefined)
    .map(([key, v]) => {
      if (typeof key !== 'number' && typeof key !== 'string') {
        throw new CborError(
          'CBOR_UNENCODABLE',
          `Cannot encode ${path}: map keys must be integers or text.`,
        );
      }
      return { key, encodedKey: encoder.encode(prepare(key, path)), value: v };
    });
  keyed.sort((a, b) => compareCanonicalKeys(a.encodedKey, b.encodedKey));
  for (let i = 1; i < keyed.length; i++) {
    if (compareCanonicalKeys(keyed[i - 1]!.encodedKey, keyed[i]!.encodedKey) === 0) {
      throw new CborError(
        'CBOR_UNENCODABLE',
        `Cannot encode ${path}: duplicate key ${String(keyed[i]!.key)}.`,
      );
    }
  }
  return new Map(keyed.map(({ key, value: v }) => [key, prepare(v, `${path}.${String(key)}`)]));
}

// cbor-x gives integer heads only to -2^64 < n < 2^64 and writes anything else as a bignum tag
// (2 or 3), which canonical CTAP CBOR forbids; refuse those instead. (-2^64, the one value major
// type 1 still reaches, is among them: cbor-x's bound is exclusive.)
function checkedBigInt(value: bigint, path: string): bigint {
  if (value >= 1n << 64n || value <= -(1n << 64n)) {
    throw new CborError(
      'CBOR_UNENCODABLE',
      `Cannot encode ${path} = ${value}: it is outside the integer range this encoder writes without a bignum tag.`,
    );
  }
  return value;
}

function isPlainObject(value: object): value is Record<string, CborInput | undefined> {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'an object';
  return typeof value;
}

function normalise(value: unknown): CborValue {
  if (typeof value === 'bigint') {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value;
  }
  if (value instanceof Uint8Array) return new Uint8Array(value);
  if (Array.isArray(value)) return value.map(normalise);
  if (value instanceof Map) {
    const out = new Map<CborKey, CborValue>();
    for (const [k, v] of value as Map<unknown, unknown>) {
      // Keys of other types (bytes, arrays) are legal CBOR but never appear in CTAP or WebAuthn.
      if (typeof k !== 'number' && typeof k !== 'string') {
        throw new CborError(
          'CBOR_UNSUPPORTED',
          `CBOR map key of type ${describe(k)}: only integer and text keys are used.`,
        );
      }
      out.set(k, normalise(v));
    }
    return out;
  }
  if (
    value === null ||
    typeof value === 'number' ||
    typeof value === 'string' ||
    typeof value === 'boolean'
  ) {
    return value;
  }
  throw new CborError(
    'CBOR_UNSUPPORTED',
    `Decoded an unsupported CBOR value (${describe(value)}).`,
  );
}
