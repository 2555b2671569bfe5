import { isUtf8 } from 'node:buffer';
import { CborError } from './cbor-error.ts';

/**
 * Verifies that `bytes` holds exactly one CBOR data item in CTAP2 canonical form (CTAP 2.1 §8,
 * "CTAP2 canonical CBOR encoding form"):
 * - integers, lengths and counts use the shortest head;
 * - no indefinite-length items;
 * - map keys are unique and sorted: lower major type first, then shorter encoding, then bytewise;
 * - no tags, no floating point, no simple values other than false, true and null (CTAP uses none).
 *
 * cbor-x decodes leniently (it collapses duplicate keys and accepts any head width), so this walk
 * runs before decoding. It never builds values; it only points at the first offending byte.
 */
export function checkCanonical(bytes: Uint8Array, options: { maxDepth?: number } = {}): void {
  const maxDepth = options.maxDepth ?? 16;
  const end = walkItem(bytes, 0, 0, maxDepth);
  if (end !== bytes.length) {
    throw new CborError(
      'CBOR_MALFORMED',
      `CBOR has ${bytes.length - end} unexpected byte(s) after the first item (at offset ${end}).`,
      { offset: end },
    );
  }
}

/**
 * Checks the canonical CBOR item that starts at `offset` and returns the offset just after it.
 * For structures that embed CBOR inside a byte layout, like authenticatorData's credential public
 * key followed by its extensions map.
 */
export function canonicalItemEnd(
  bytes: Uint8Array,
  offset: number,
  options: { maxDepth?: number } = {},
): number {
  return walkItem(bytes, offset, 0, options.maxDepth ?? 16);
}

const MAJOR_NAMES = [
  'unsigned integer',
  'negative integer',
  'byte string',
  'text string',
  'array',
  'map',
  'tag',
  'simple/float',
];

interface Head {
  major: number;
  /** Argument value (length, count or integer magnitude). Numbers above 2^53 stay bigint. */
  argument: number | bigint;
  /** Offset just after the head. */
  next: number;
}

function fail(
  code: 'CBOR_MALFORMED' | 'CBOR_NON_CANONICAL',
  message: string,
  offset: number,
): never {
  throw new CborError(code, message, { offset });
}

// This runs on every message from a key, so it reads bytes directly, without a DataView or
// closures per item: validation must cost little next to decoding.
function readHead(bytes: Uint8Array, offset: number): Head {
  if (offset >= bytes.length)
    fail('CBOR_MALFORMED', `CBOR ends early: expected an item at offset ${offset}.`, offset);
  const initial = bytes[offset]!;
  const major = initial >> 5;
  const info = initial & 0x1f;
  if (info < 24) return { major, argument: info, next: offset + 1 };
  const size = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : 0;
  if (size === 0) {
    if (info === 31 && major === 7)
      fail('CBOR_MALFORMED', `Unexpected CBOR "break" at offset ${offset}.`, offset);
    if (info === 31 && major !== 0 && major !== 1 && major !== 6) {
      fail(
        'CBOR_NON_CANONICAL',
        `Non-canonical CBOR: indefinite-length ${MAJOR_NAMES[major]} at offset ${offset}.`,
        offset,
      );
    }
    fail(
      'CBOR_MALFORMED',
      `Malformed CBOR: reserved additional information ${info} at offset ${offset}.`,
      offset,
    );
  }
  if (offset + 1 + size > bytes.length) {
    fail(
      'CBOR_MALFORMED',
      `CBOR ends early: the ${MAJOR_NAMES[major]} head at offset ${offset} needs ${size} more byte(s).`,
      offset,
    );
  }
  let value: number | bigint;
  if (size === 8) {
    let big = 0n;
    for (let i = 1; i <= 8; i++) big = (big << 8n) | BigInt(bytes[offset + i]!);
    const asNumber = Number(big);
    value = Number.isSafeInteger(asNumber) ? asNumber : big;
  } else {
    let small = 0;
    for (let i = 1; i <= size; i++) small = small * 256 + bytes[offset + i]!;
    value = small;
  }
  // The smallest value each head width may carry; in major 7 these widths are floats and simple
  // values, which the walker rejects on its own.
  const minimum = size === 1 ? 24 : size === 2 ? 0x100 : size === 4 ? 0x10000 : 0x1_0000_0000;
  // RFC 8949 §3.3: simple values below 32 in the two-byte form are not well-formed at all.
  if (major === 7 && size === 1 && value < 32) {
    fail(
      'CBOR_MALFORMED',
      `Malformed CBOR: simple value ${value} in two-byte form at offset ${offset}.`,
      offset,
    );
  }
  if (major !== 7 && value < minimum) {
    fail(
      'CBOR_NON_CANONICAL',
      `Non-canonical CBOR: the ${MAJOR_NAMES[major]} at offset ${offset} does not use the shortest head.`,
      offset,
    );
  }
  return { major, argument: value, next: offset + 1 + size };
}

function lengthOf(head: Head, offset: number, bytes: Uint8Array): number {
  if (typeof head.argument === 'bigint' || head.next + head.argument > bytes.length) {
    throw new CborError(
      'CBOR_MALFORMED',
      `CBOR ends early: the ${MAJOR_NAMES[head.major]} at offset ${offset} declares ${head.argument} byte(s), ` +
        `but only ${bytes.length - head.next} remain.`,
      { offset },
    );
  }
  return head.argument;
}

function walkItem(bytes: Uint8Array, offset: number, depth: number, maxDepth: number): number {
  const head = readHead(bytes, offset);
  switch (head.major) {
    case 0:
    case 1:
      return head.next;
    case 2:
      return head.next + lengthOf(head, offset, bytes);
    case 3: {
      const length = lengthOf(head, offset, bytes);
      if (!isUtf8(bytes.subarray(head.next, head.next + length))) {
        fail(
          'CBOR_MALFORMED',
          `Malformed CBOR: the text string at offset ${offset} is not valid UTF-8.`,
          offset,
        );
      }
      return head.next + length;
    }
    case 4:
    case 5: {
      if (depth >= maxDepth) {
        throw new CborError(
          'CBOR_UNSUPPORTED',
          `CBOR nests deeper than ${maxDepth} levels at offset ${offset}.`,
          { offset },
        );
      }
      const count = head.argument;
      // Every item takes at least one byte, so a count larger than what remains is malformed
      // (and this keeps a hostile count from looping for long).
      if (typeof count === 'bigint' || count > bytes.length - head.next) {
        throw new CborError(
          'CBOR_MALFORMED',
          `CBOR ends early: the ${MAJOR_NAMES[head.major]} at offset ${offset} declares ${count} entries.`,
          { offset },
        );
      }
      let cursor = head.next;
      if (head.major === 4) {
        for (let i = 0; i < count; i++) cursor = walkItem(bytes, cursor, depth + 1, maxDepth);
        return cursor;
      }
      let previousKey: Uint8Array | undefined;
      for (let i = 0; i < count; i++) {
        const keyStart = cursor;
        cursor = walkItem(bytes, cursor, depth + 1, maxDepth);
        const key = bytes.subarray(keyStart, cursor);
        if (previousKey) {
          const order = compareCanonicalKeys(previousKey, key);
          if (order === 0) {
            throw new CborError(
              'CBOR_NON_CANONICAL',
              `Non-canonical CBOR: duplicate map key at offset ${keyStart}.`,
              { offset: keyStart },
            );
          }
          if (order > 0) {
            throw new CborError(
              'CBOR_NON_CANONICAL',
              `Non-canonical CBOR: map key at offset ${keyStart} is out of canonical order.`,
              { offset: keyStart },
            );
          }
        }
        previousKey = key;
        cursor = walkItem(bytes, cursor, depth + 1, maxDepth);
      }
      return cursor;
    }
    case 6:
      throw new CborError(
        'CBOR_UNSUPPORTED',
        `CBOR tag ${head.argument} at offset ${offset}: CTAP messages carry no tags.`,
        { offset },
      );
    default: {
      const info = bytes[offset]! & 0x1f;
      if (info === 20 || info === 21 || info === 22) return head.next;
      const what = info >= 25 && info <= 27 ? 'floating-point value' : `simple value ${info}`;
      throw new CborError(
        'CBOR_UNSUPPORTED',
        `CBOR ${what} at offset ${offset}: CTAP messages use only false, true and null.`,
        { offset },
      );
    }
  }
}

/**
 * CTAP2 canonical key order over encoded keys: major type, then encoded length, then bytes.
 * Returns <0, 0 or >0 like a sort comparator.
 */
export function compareCanonicalKeys(a: Uint8Array, b: Uint8Array): number {
  const majorA = a[0]! >> 5;
  const majorB = b[0]! >> 5;
  if (majorA !== majorB) return majorA - majorB;
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!;
  }
  return 0;
}
