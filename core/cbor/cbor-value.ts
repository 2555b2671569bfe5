/**
 * The values CTAP2 and WebAuthn messages are made of. Maps keep their key types (CTAP uses small
 * integers, WebAuthn uses text), so they are always `Map`s after decoding.
 */
export type CborKey = number | string;
export type CborValue =
  number | bigint | string | boolean | null | Uint8Array | CborValue[] | Map<CborKey, CborValue>;

/**
 * What the encoder accepts: `CborValue`s, plus plain objects with text keys for convenience, and
 * `undefined` map entries, which are left out (CTAP: an absent parameter is an omitted key).
 */
export type CborInput =
  | CborValue
  | readonly CborInput[]
  | ReadonlyMap<CborKey, CborInput | undefined>
  | { readonly [key: string]: CborInput | undefined };
