/** The public half of the PIN envelope key, as the station API hands it out (docs/design.md §3). */
export interface PinPublicJwk {
  kty: 'RSA';
  /** Modulus, base64url. */
  n: string;
  /** Exponent, base64url. */
  e: string;
  kid: string;
  alg: 'RSA-OAEP-256';
  use: 'enc';
}

/**
 * The service's PIN envelope key (docs/design.md §2.2): stations seal PINs to its public key with
 * RSA-OAEP-256, and only the service can open them. In Azure the private key never leaves Key
 * Vault (KeyVaultPinKey); in local mode it is a key file (LocalPinKey). `decrypt` has the shape
 * core/pin-envelope's openPin expects.
 */
export interface PinKey {
  /** The key (and version) new envelopes are sealed to. */
  readonly kid: string;
  publicKeyJwk(): Promise<PinPublicJwk>;
  /**
   * Decrypts an RSA-OAEP-256 ciphertext sealed to `kid`. Refuses a kid that is not this key's,
   * rather than following it elsewhere. The caller wipes the plaintext when done.
   */
  decrypt(kid: string, ciphertext: Uint8Array): Promise<Uint8Array>;
}
