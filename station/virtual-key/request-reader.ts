import type { CborKey, CborValue } from '../../core/cbor/cbor-value.ts';
import { CtapStatus } from '../ctap/ctap-status.ts';
import { CtapFailure } from './ctap-failure.ts';

/**
 * Reads a decoded CTAP request map on the authenticator side, ending the command with the status
 * a CTAP 2.1 authenticator returns: MISSING_PARAMETER for an absent required member,
 * CBOR_UNEXPECTED_TYPE for a member of the wrong type.
 */
export class RequestReader {
  readonly entries: ReadonlyMap<CborKey, CborValue>;

  constructor(value: CborValue | undefined) {
    if (value === undefined) {
      this.entries = new Map();
    } else if (value instanceof Map) {
      this.entries = value;
    } else {
      throw new CtapFailure(CtapStatus.CBOR_UNEXPECTED_TYPE, 'request is not a map');
    }
  }

  has(key: CborKey): boolean {
    return this.entries.has(key);
  }

  raw(key: CborKey): CborValue | undefined {
    return this.entries.get(key);
  }

  private get<T>(
    key: CborKey,
    required: boolean,
    check: (v: CborValue) => v is CborValue & T,
  ): T | undefined {
    const value = this.entries.get(key);
    if (value === undefined) {
      if (required) throw new CtapFailure(CtapStatus.MISSING_PARAMETER, `missing ${String(key)}`);
      return undefined;
    }
    if (!check(value))
      throw new CtapFailure(CtapStatus.CBOR_UNEXPECTED_TYPE, `wrong type for ${String(key)}`);
    return value;
  }

  bytes(key: CborKey): Uint8Array {
    return this.get(key, true, isBytes)!;
  }

  optionalBytes(key: CborKey): Uint8Array | undefined {
    return this.get(key, false, isBytes);
  }

  text(key: CborKey): string {
    return this.get(key, true, isText)!;
  }

  optionalText(key: CborKey): string | undefined {
    return this.get(key, false, isText);
  }

  uint(key: CborKey): number {
    return this.get(key, true, isUint)!;
  }

  optionalUint(key: CborKey): number | undefined {
    return this.get(key, false, isUint);
  }

  int(key: CborKey): number {
    return this.get(key, true, isInt)!;
  }

  optionalBool(key: CborKey): boolean | undefined {
    return this.get(key, false, isBool);
  }

  map(key: CborKey): RequestReader {
    return new RequestReader(this.get(key, true, isMap));
  }

  optionalMap(key: CborKey): RequestReader | undefined {
    const value = this.get(key, false, isMap);
    return value === undefined ? undefined : new RequestReader(value);
  }

  array(key: CborKey): CborValue[] {
    return this.get(key, true, isArray)!;
  }

  optionalArray(key: CborKey): CborValue[] | undefined {
    return this.get(key, false, isArray);
  }
}

const isBytes = (v: CborValue): v is Uint8Array => v instanceof Uint8Array;
const isText = (v: CborValue): v is string => typeof v === 'string';
const isUint = (v: CborValue): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isInt = (v: CborValue): v is number => typeof v === 'number' && Number.isInteger(v);
const isBool = (v: CborValue): v is boolean => typeof v === 'boolean';
const isMap = (v: CborValue): v is Map<CborKey, CborValue> => v instanceof Map;
const isArray = (v: CborValue): v is CborValue[] => Array.isArray(v);
