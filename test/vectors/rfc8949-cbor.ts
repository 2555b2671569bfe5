// RFC 8949 Appendix A examples (as published in cbor/test-vectors) and the non-canonical encodings
// a strict CTAP2 decoder must refuse. Hex only; the tests decide what each must decode to.
import type { CborValue } from '../../core/cbor/cbor-value.ts';

export interface CborExample {
  hex: string;
  value: CborValue;
}

/** Appendix A items CTAP can carry: integers, byte and text strings, arrays, maps, false/true/null. */
export const APPENDIX_A_CTAP: CborExample[] = [
  { hex: '00', value: 0 }, // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  { hex: '01', value: 1 }, // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  { hex: '0a', value: 10 }, // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  { hex: '17', value: 23 }, // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  { hex: '1818', value: 24 }, // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  { hex: '1819', value: 25 }, // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  { hex: '1864', value: 100 }, // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  { hex: '1903e8', value: 1000 }, // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  { hex: '1a000f4240', value: 1000000 }, // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  { hex: '1b000000e8d4a51000', value: 1000000000000 }, // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  { hex: '1bffffffffffffffff', value: 18446744073709551615n }, // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  { hex: '20', value: -1 }, // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  { hex: '29', value: -10 }, // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  { hex: '3863', value: -100 }, // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  { hex: '3903e7', value: -1000 }, // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  { hex: 'f4', value: false }, // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  { hex: 'f5', value: true }, // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  { hex: 'f6', value: null }, // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  { hex: '40', value: new Uint8Array(0) }, // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  { hex: '4401020304', value: Uint8Array.of(1, 2, 3, 4) }, // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  { hex: '60', value: '' }, // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  { hex: '6161', value: 'a' }, // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  { hex: '6449455446', value: 'IETF' }, // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  { hex: '62225c', value: '"\\' }, // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  { hex: '62c3bc', value: '\u00fc' }, // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  { hex: '63e6b0b4', value: '\u6c34' }, // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  { hex: '64f0908591', value: '\u{10151}' }, // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  { hex: '80', value: [] }, // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  { hex: '83010203', value: [1, 2, 3] }, // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  { hex: '8301820203820405', value: [1, [2, 3], [4, 5]] }, // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  {
    hex: '98190102030405060708090a0b0c0d0e0f101112131415161718181819',
    value: Array.from({ length: 25 }, (_, i) => i + 1),
  }, // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  { hex: 'a0', value: new Map() }, // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  {
    hex: 'a201020304',
    value: new Map([
      [1, 2],
      [3, 4],
    ]),
  }, // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  {
    hex: 'a26161016162820203',
    value: new Map<string, CborValue>([
      ['a', 1],
      ['b', [2, 3]],
    ]),
  }, // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  { hex: '826161a161626163', value: ['a', new Map([['b', 'c']])] }, // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  {
    hex: 'a56161614161626142616361436164614461656145',
    value: new Map(['a', 'b', 'c', 'd', 'e'].map((k) => [k, k.toUpperCase()])),
  }, // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
];

/** −2^64, the most negative integer CBOR has a head for (major type 1, 8-byte argument). */
// cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1 (-18446744073709551616)
export const MOST_NEGATIVE_INTEGER = { hex: '3bffffffffffffffff', value: -18446744073709551616n };

/** Appendix A items CTAP does not use: floats, tags (bignums included), simple values, undefined. */
export const APPENDIX_A_NOT_CTAP: string[] = [
  'f90000', // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  'f93c00', // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  'fa47c35000', // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  'fb3ff199999999999a', // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  'f97c00', // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  'f97e00', // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  'fa7f800000', // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  'fb7ff8000000000000', // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  'c249010000000000000000', // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  'c349010000000000000000', // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  'c074323031332d30332d32315432303a30343a30305a', // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  'c11a514b67b0', // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  'd74401020304', // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  'd818456449455446', // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  'd82076687474703a2f2f7777772e6578616d706c652e636f6d', // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  'f7', // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  'f0', // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  'f818', // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  'f8ff', // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  '5f42010243030405ff', // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  '7f657374726561646d696e67ff', // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  '9fff', // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  '9f018202039f0405ffff', // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  '83018202039f0405ff', // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  'bf61610161629f0203ffff', // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
  '826161bf61626163ff', // cbor/test-vectors:appendix_a.json@aba89b653e484bc8573c22f3ff35641d79dfd8c1
];

/**
 * Encodings CTAP 2.1 §8 forbids (non-minimal heads, indefinite lengths, unsorted or duplicate keys,
 * tags, floats, stray simple values) and plain malformations (bad UTF-8, truncation, reserved
 * additional information, stray break, trailing bytes).
 */
export const CTAP_REJECTED: { hex: string; what: string }[] = [
  { hex: '1800', what: '0 with 1-byte argument (non-minimal)' }, // constructed from the CTAP 2.1 §8 canonical rules, not from a test suite
  { hex: '1817', what: '23 with 1-byte argument' }, // constructed from the CTAP 2.1 §8 canonical rules, not from a test suite
  { hex: '190017', what: '23 with 2-byte argument' }, // constructed from the CTAP 2.1 §8 canonical rules, not from a test suite
  { hex: '1900ff', what: '255 with 2-byte argument' }, // constructed from the CTAP 2.1 §8 canonical rules, not from a test suite
  { hex: '1a0000ffff', what: '65535 with 4-byte argument' }, // constructed from the CTAP 2.1 §8 canonical rules, not from a test suite
  { hex: '1b00000000ffffffff', what: '2^32−1 with 8-byte argument' }, // constructed from the CTAP 2.1 §8 canonical rules, not from a test suite
  { hex: '3800', what: '−1 with 1-byte argument' }, // constructed from the CTAP 2.1 §8 canonical rules, not from a test suite
  { hex: '3817', what: '−24 with 1-byte argument' }, // constructed from the CTAP 2.1 §8 canonical rules, not from a test suite
  { hex: '390000', what: '−1 with 2-byte argument' }, // constructed from the CTAP 2.1 §8 canonical rules, not from a test suite
  { hex: '580141', what: "bytes h'41' with 1-byte length" }, // constructed from the CTAP 2.1 §8 canonical rules, not from a test suite
  { hex: '780161', what: 'text "a" with 1-byte length' }, // constructed from the CTAP 2.1 §8 canonical rules, not from a test suite
  { hex: '9800', what: '[] with 1-byte length' }, // constructed from the CTAP 2.1 §8 canonical rules, not from a test suite
  { hex: 'b800', what: '{} with 1-byte length' }, // constructed from the CTAP 2.1 §8 canonical rules, not from a test suite
  { hex: '5f42010243030405ff', what: 'indefinite-length byte string' }, // constructed from the CTAP 2.1 §8 canonical rules, not from a test suite
  { hex: '7f6161ff', what: 'indefinite-length text' }, // constructed from the CTAP 2.1 §8 canonical rules, not from a test suite
  { hex: '9fff', what: 'indefinite-length array' }, // constructed from the CTAP 2.1 §8 canonical rules, not from a test suite
  { hex: 'bfff', what: 'indefinite-length map' }, // constructed from the CTAP 2.1 §8 canonical rules, not from a test suite
  { hex: 'a203040102', what: 'map keys 3,1 unsorted' }, // constructed from the CTAP 2.1 §8 canonical rules, not from a test suite
  { hex: 'a2616201616102', what: 'map keys "b","a" unsorted' }, // constructed from the CTAP 2.1 §8 canonical rules, not from a test suite
  { hex: 'a26161000100', what: 'text key before int key' }, // constructed from the CTAP 2.1 §8 canonical rules, not from a test suite
  { hex: 'a22000181800', what: 'RFC 7049 length-first order {-1,24} (CTAP2 requires 24 first)' }, // constructed from the CTAP 2.1 §8 canonical rules, not from a test suite
  { hex: 'a201000100', what: 'duplicate key 1' }, // constructed from the CTAP 2.1 §8 canonical rules, not from a test suite
  { hex: 'c00101', what: 'tag 0 (tags not allowed)' }, // constructed from the CTAP 2.1 §8 canonical rules, not from a test suite
  { hex: 'd818426101', what: 'tag 24' }, // constructed from the CTAP 2.1 §8 canonical rules, not from a test suite
  { hex: 'f7', what: 'undefined' }, // constructed from the CTAP 2.1 §8 canonical rules, not from a test suite
  { hex: 'f0', what: 'simple(16)' }, // constructed from the CTAP 2.1 §8 canonical rules, not from a test suite
  {
    hex: 'f818',
    what: 'simple(24) in 2-byte form (RFC 8949 §3.3: not well-formed; RFC 7049 Appendix A still listed it)',
  }, // constructed from the CTAP 2.1 §8 canonical rules, not from a test suite
  { hex: 'fa3f800000', what: 'float32 1.0' }, // constructed from the CTAP 2.1 §8 canonical rules, not from a test suite
  { hex: '62c328', what: 'text with invalid UTF-8' }, // constructed from the CTAP 2.1 §8 canonical rules, not from a test suite
  { hex: '4201', what: 'byte string length 2 but 1 byte present (truncated)' }, // constructed from the CTAP 2.1 §8 canonical rules, not from a test suite
  { hex: '1c', what: 'reserved additional info 28' }, // constructed from the CTAP 2.1 §8 canonical rules, not from a test suite
  { hex: 'ff', what: 'break outside indefinite item' }, // constructed from the CTAP 2.1 §8 canonical rules, not from a test suite
  { hex: '0000', what: 'trailing data after the top-level item' }, // constructed from the CTAP 2.1 §8 canonical rules, not from a test suite
];
