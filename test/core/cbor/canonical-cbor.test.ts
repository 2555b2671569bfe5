import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../core/bytes.ts';
import { decodeCanonical, encodeCanonical } from '../../../core/cbor/canonical-cbor.ts';
import { CborError, type CborErrorCode } from '../../../core/cbor/cbor-error.ts';
import type { CborInput } from '../../../core/cbor/cbor-value.ts';
import { checkCanonical } from '../../../core/cbor/check-canonical.ts';
import {
  CANONICAL_INTEGERS,
  CANONICAL_KEY_ORDER,
  FIVE_TEXT_KEYS,
  LENGTH_FIRST_DIFFERS,
  MIXED_KEY_ORDER,
} from '../../vectors/python-fido2.ts';
import {
  APPENDIX_A_CTAP,
  APPENDIX_A_NOT_CTAP,
  CTAP_REJECTED,
  MOST_NEGATIVE_INTEGER,
} from '../../vectors/rfc8949-cbor.ts';
import { caught } from '../../support/caught.ts';

const cborError = (run: () => unknown): CborError => caught(CborError, () => run());

const encodeHex = (value: CborInput): string => toHex(encodeCanonical(value));

// Floats, tags and simple values other than false/true/null are well-formed but unsupported
// (the default below); indefinite lengths are non-canonical; f818 is not well-formed (RFC 8949 §3.3).
const NOT_CTAP_REJECTION: Record<string, [CborErrorCode, number]> = {
  f818: ['CBOR_MALFORMED', 0],
  '5f42010243030405ff': ['CBOR_NON_CANONICAL', 0],
  '7f657374726561646d696e67ff': ['CBOR_NON_CANONICAL', 0],
  '9fff': ['CBOR_NON_CANONICAL', 0],
  '9f018202039f0405ffff': ['CBOR_NON_CANONICAL', 0],
  '83018202039f0405ff': ['CBOR_NON_CANONICAL', 5],
  bf61610161629f0203ffff: ['CBOR_NON_CANONICAL', 0],
  '826161bf61626163ff': ['CBOR_NON_CANONICAL', 3],
};

describe('RFC 8949 Appendix A items that CTAP can carry', () => {
  it.each(APPENDIX_A_CTAP)(
    '$hex decodes to the published value and re-encodes to the same bytes',
    ({ hex, value }) => {
      const decoded = decodeCanonical(fromHex(hex));
      expect(decoded).toEqual(value);
      expect(encodeHex(decoded)).toBe(hex);
      expect(encodeHex(value)).toBe(hex);
    },
  );

  it('decodes −2^64 as a bigint but refuses to encode it rather than emit a bignum tag', () => {
    const decoded = decodeCanonical(fromHex(MOST_NEGATIVE_INTEGER.hex));
    expect(decoded).toBe(MOST_NEGATIVE_INTEGER.value);
    expect(cborError(() => encodeCanonical(MOST_NEGATIVE_INTEGER.value)).code).toBe(
      'CBOR_UNENCODABLE',
    );
  });

  it('refuses integers beyond 64 bits instead of writing bignum tags', () => {
    for (const value of [2n ** 64n, -(2n ** 64n) - 1n, 2 ** 64]) {
      expect(cborError(() => encodeCanonical([value])).code).toBe('CBOR_UNENCODABLE');
    }
  });

  it.each(APPENDIX_A_NOT_CTAP)('refuses %s, which CTAP does not use', (hex) => {
    const [code, offset] = NOT_CTAP_REJECTION[hex] ?? ['CBOR_UNSUPPORTED', 0];
    const error = cborError(() => decodeCanonical(fromHex(hex)));
    expect(error.code).toBe(code);
    expect(error.offset).toBe(offset);
  });
});

describe('CTAP2 canonical integers and key order (python-fido2)', () => {
  it.each(CANONICAL_INTEGERS)('%d encodes as %s and decodes back', (value, hex) => {
    expect(encodeHex(value)).toBe(hex);
    expect(decodeCanonical(fromHex(hex))).toBe(value);
  });

  it.each(CANONICAL_KEY_ORDER)('accepts %s, whose keys are in CTAP2 order', (hex) => {
    expect(() => checkCanonical(fromHex(hex))).not.toThrow();
  });

  it('sorts {24, -1} with 24 first, unlike RFC 7049 length-first order', () => {
    expect(
      encodeHex(
        new Map([
          [-1, 0],
          [24, 0],
        ]),
      ),
    ).toBe(toHex(LENGTH_FIRST_DIFFERS));
    const lengthFirst = cborError(() => decodeCanonical(fromHex('a22000181800')));
    expect(lengthFirst.code).toBe('CBOR_NON_CANONICAL');
    expect(lengthFirst.offset).toBe(3);
  });

  it('sorts integer and text keys by major type, then length, then bytes', () => {
    // python-fido2's six-key map with its byte-string key h'61' (41 61 00) left out; this encoder
    // writes integer and text keys only.
    const withoutBytesKey = toHex(MIXED_KEY_ORDER).replace('416100', '').replace(/^a6/, 'a5');
    const map = new Map<number | string, number>([
      ['a', 0],
      [-25, 0],
      [100, 0],
      [-1, 0],
      [24, 0],
    ]);
    expect(encodeHex(map)).toBe(withoutBytesKey);
    expect(() => checkCanonical(MIXED_KEY_ORDER)).not.toThrow();
  });

  it('sorts keys whatever order they were inserted in', () => {
    const inserted = { c: 'C', d: 'D', a: 'A', b: 'B', e: 'E' };
    expect(encodeHex(inserted)).toBe(toHex(FIVE_TEXT_KEYS));
    const reversed = new Map([...Object.entries(inserted)].reverse());
    expect(encodeHex(reversed)).toBe(toHex(FIVE_TEXT_KEYS));
  });

  it('encodes a plain object and a Map with the same entries identically', () => {
    const object = { type: 'public-key', alg: -7, id: Uint8Array.of(1, 2) };
    const map = new Map<string, CborInput>(Object.entries(object));
    expect(encodeHex(object)).toBe(encodeHex(map));
    expect(encodeHex(object)).toBe('a362696442010263616c672664747970656a7075626c69632d6b6579');
  });
});

// The offset each rejection must point at: the offending head, key, or first trailing byte.
const EXPECTED_REJECTION: Record<string, [CborErrorCode, number]> = {
  '1800': ['CBOR_NON_CANONICAL', 0],
  '1817': ['CBOR_NON_CANONICAL', 0],
  '190017': ['CBOR_NON_CANONICAL', 0],
  '1900ff': ['CBOR_NON_CANONICAL', 0],
  '1a0000ffff': ['CBOR_NON_CANONICAL', 0],
  '1b00000000ffffffff': ['CBOR_NON_CANONICAL', 0],
  '3800': ['CBOR_NON_CANONICAL', 0],
  '3817': ['CBOR_NON_CANONICAL', 0],
  '390000': ['CBOR_NON_CANONICAL', 0],
  '580141': ['CBOR_NON_CANONICAL', 0],
  '780161': ['CBOR_NON_CANONICAL', 0],
  '9800': ['CBOR_NON_CANONICAL', 0],
  b800: ['CBOR_NON_CANONICAL', 0],
  '5f42010243030405ff': ['CBOR_NON_CANONICAL', 0],
  '7f6161ff': ['CBOR_NON_CANONICAL', 0],
  '9fff': ['CBOR_NON_CANONICAL', 0],
  bfff: ['CBOR_NON_CANONICAL', 0],
  a203040102: ['CBOR_NON_CANONICAL', 3],
  a2616201616102: ['CBOR_NON_CANONICAL', 4],
  a26161000100: ['CBOR_NON_CANONICAL', 4],
  a22000181800: ['CBOR_NON_CANONICAL', 3],
  a201000100: ['CBOR_NON_CANONICAL', 3],
  c00101: ['CBOR_UNSUPPORTED', 0],
  d818426101: ['CBOR_UNSUPPORTED', 0],
  f7: ['CBOR_UNSUPPORTED', 0],
  f0: ['CBOR_UNSUPPORTED', 0],
  f818: ['CBOR_MALFORMED', 0],
  fa3f800000: ['CBOR_UNSUPPORTED', 0],
  '62c328': ['CBOR_MALFORMED', 0],
  '4201': ['CBOR_MALFORMED', 0],
  '1c': ['CBOR_MALFORMED', 0],
  ff: ['CBOR_MALFORMED', 0],
  '0000': ['CBOR_MALFORMED', 1],
};

describe('encodings a strict CTAP2 decoder must refuse', () => {
  it('has an expectation for every vector', () => {
    expect(CTAP_REJECTED.map((v) => v.hex).sort()).toEqual(Object.keys(EXPECTED_REJECTION).sort());
  });

  it.each(CTAP_REJECTED)('refuses $hex ($what) with the right code and offset', ({ hex }) => {
    const [code, offset] = EXPECTED_REJECTION[hex]!;
    const error = cborError(() => decodeCanonical(fromHex(hex)));
    expect(error.code).toBe(code);
    expect(error.offset).toBe(offset);
    expect(error.message).toContain(`offset ${offset}`);
  });

  it('refuses arrays nested deeper than the limit, pointing at the first one too deep', () => {
    const error = cborError(() => decodeCanonical(fromHex('81'.repeat(5) + '00'), { maxDepth: 4 }));
    expect(error.code).toBe('CBOR_UNSUPPORTED');
    expect(error.offset).toBe(4);
    expect(decodeCanonical(fromHex('81'.repeat(4) + '00'), { maxDepth: 4 })).toEqual([[[[0]]]]);
  });
});

describe('decoded values', () => {
  it('gives byte strings that are copies, not views of the input', () => {
    const input = fromHex('a1014401020304');
    const decoded = decodeCanonical(input) as Map<number, Uint8Array>;
    input.fill(0xee);
    expect(toHex(decoded.get(1)!)).toBe('01020304');
  });

  it('refuses map keys that are neither integers nor text', () => {
    expect(cborError(() => decodeCanonical(fromHex(CANONICAL_KEY_ORDER[2]!))).code).toBe(
      'CBOR_UNSUPPORTED',
    );
  });
});

describe('encoder input checks', () => {
  it('refuses floats, naming where they are', () => {
    const error = cborError(() => encodeCanonical({ timeout: 1.5 }));
    expect(error.code).toBe('CBOR_UNENCODABLE');
    expect(error.message).toContain('$.timeout = 1.5');
    expect(cborError(() => encodeCanonical(Number.NaN)).code).toBe('CBOR_UNENCODABLE');
  });

  it('refuses undefined array items but leaves out undefined map entries', () => {
    // JavaScript callers can slip an undefined into an array; the type system cannot always stop it.
    const sparse = [1, undefined] as unknown as CborInput;
    const error = cborError(() => encodeCanonical(sparse));
    expect(error.code).toBe('CBOR_UNENCODABLE');
    expect(error.message).toContain('$[1]');
    expect(
      encodeHex(
        new Map([
          [1, 'a'],
          [2, undefined],
        ]),
      ),
    ).toBe('a1016161');
  });

  it('keeps integer 1 and text "1" apart as different keys, integers first', () => {
    const map = new Map<number | string, CborInput>([
      ['1', 0],
      [1, 0],
    ]);
    expect(encodeHex(map)).toBe('a20100613100');
  });

  it('writes large integers with integer heads, never as floats', () => {
    expect(encodeHex(2 ** 32)).toBe('1b0000000100000000');
    expect(encodeHex(-(2 ** 32) - 1)).toBe('3b0000000100000000');
    expect(encodeHex(Number.MAX_SAFE_INTEGER)).toBe('1b001fffffffffffff');
  });
});
