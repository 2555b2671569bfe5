import { CborError } from './cbor-error.ts';
import type { CborKey, CborValue } from './cbor-value.ts';

/**
 * Typed access to a decoded CBOR map, for parsing authenticator responses and WebAuthn
 * structures at the boundary. Every accessor names the field in its error, so a malformed
 * response says which member was wrong and how, e.g.
 * "getInfo response: aaguid (key 3) must be a byte string of 16 bytes, got a text string".
 */
export class CborMapReader {
  readonly entries: ReadonlyMap<CborKey, CborValue>;
  readonly context: string;

  constructor(value: CborValue | undefined, context: string) {
    if (!(value instanceof Map)) {
      throw new CborError(
        'CBOR_UNEXPECTED_TYPE',
        `${context} must be a CBOR map, got ${describeCbor(value)}.`,
      );
    }
    this.entries = value;
    this.context = context;
  }

  has(key: CborKey): boolean {
    return this.entries.has(key);
  }

  raw(key: CborKey): CborValue | undefined {
    return this.entries.get(key);
  }

  /** Entries whose keys are not in `known`, kept so newer authenticator fields are not lost. */
  unknownEntries(known: Iterable<CborKey>): Map<CborKey, CborValue> {
    const knownSet = new Set(known);
    return new Map([...this.entries].filter(([key]) => !knownSet.has(key)));
  }

  private fail(key: CborKey, name: string, expected: string, got: CborValue | undefined): never {
    const where = typeof key === 'number' ? `${name} (key ${key})` : `"${key}"`;
    throw new CborError(
      'CBOR_UNEXPECTED_TYPE',
      got === undefined
        ? `${this.context}: required ${where} is missing.`
        : `${this.context}: ${where} must be ${expected}, got ${describeCbor(got)}.`,
    );
  }

  bytes(key: CborKey, name: string, length?: number): Uint8Array {
    const value = this.entries.get(key);
    const expected = length === undefined ? 'a byte string' : `a byte string of ${length} bytes`;
    if (!(value instanceof Uint8Array) || (length !== undefined && value.length !== length)) {
      return this.fail(key, name, expected, value);
    }
    return value;
  }

  optionalBytes(key: CborKey, name: string, length?: number): Uint8Array | undefined {
    return this.entries.has(key) ? this.bytes(key, name, length) : undefined;
  }

  uint(key: CborKey, name: string): number {
    const value = this.entries.get(key);
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      return this.fail(key, name, 'an unsigned integer', value);
    }
    return value;
  }

  optionalUint(key: CborKey, name: string): number | undefined {
    return this.entries.has(key) ? this.uint(key, name) : undefined;
  }

  int(key: CborKey, name: string): number {
    const value = this.entries.get(key);
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      return this.fail(key, name, 'an integer', value);
    }
    return value;
  }

  optionalInt(key: CborKey, name: string): number | undefined {
    return this.entries.has(key) ? this.int(key, name) : undefined;
  }

  text(key: CborKey, name: string): string {
    const value = this.entries.get(key);
    if (typeof value !== 'string') return this.fail(key, name, 'a text string', value);
    return value;
  }

  optionalText(key: CborKey, name: string): string | undefined {
    return this.entries.has(key) ? this.text(key, name) : undefined;
  }

  bool(key: CborKey, name: string): boolean {
    const value = this.entries.get(key);
    if (typeof value !== 'boolean') return this.fail(key, name, 'a boolean', value);
    return value;
  }

  optionalBool(key: CborKey, name: string): boolean | undefined {
    return this.entries.has(key) ? this.bool(key, name) : undefined;
  }

  array(key: CborKey, name: string): CborValue[] {
    const value = this.entries.get(key);
    if (!Array.isArray(value)) return this.fail(key, name, 'an array', value);
    return value;
  }

  optionalArray(key: CborKey, name: string): CborValue[] | undefined {
    return this.entries.has(key) ? this.array(key, name) : undefined;
  }

  textArray(key: CborKey, name: string): string[] {
    const values = this.array(key, name);
    if (!values.every((v) => typeof v === 'string')) {
      return this.fail(key, name, 'an array of text strings', values);
    }
    return values;
  }

  optionalTextArray(key: CborKey, name: string): string[] | undefined {
    return this.entries.has(key) ? this.textArray(key, name) : undefined;
  }

  uintArray(key: CborKey, name: string): number[] {
    const values = this.array(key, name);
    if (!values.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= 0)) {
      return this.fail(key, name, 'an array of unsigned integers', values);
    }
    return values as number[];
  }

  optionalUintArray(key: CborKey, name: string): number[] | undefined {
    return this.entries.has(key) ? this.uintArray(key, name) : undefined;
  }

  map(key: CborKey, name: string): CborMapReader {
    const value = this.entries.get(key);
    if (!(value instanceof Map)) return this.fail(key, name, 'a map', value);
    return new CborMapReader(value, `${this.context}: ${name}`);
  }

  optionalMap(key: CborKey, name: string): CborMapReader | undefined {
    return this.entries.has(key) ? this.map(key, name) : undefined;
  }
}

/** A short description of a decoded CBOR value's type, for error messages. */
export function describeCbor(value: CborValue | undefined): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return `a byte string of ${value.length} bytes`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value instanceof Map) return 'a map';
  if (typeof value === 'string') return 'a text string';
  if (typeof value === 'boolean') return `${value}`;
  if (typeof value === 'number' && value < 0) return 'a negative integer';
  return 'an integer';
}
