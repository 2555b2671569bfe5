import { createHmac, randomBytes } from 'node:crypto';

/** Where the software key's randomness comes from: the OS, or a seed for reproducible tests. */
export type RandomSource = (length: number) => Uint8Array;

export const systemRandom: RandomSource = (length) => new Uint8Array(randomBytes(length));

/**
 * A deterministic byte stream from a seed (HMAC-SHA-256 in counter mode). For tests only: the same
 * seed gives the same credential ids, key-agreement keys, tokens and IVs on every run.
 */
export function seededRandom(seed: string | Uint8Array, label = 'virtual-key'): RandomSource {
  const key = typeof seed === 'string' ? new TextEncoder().encode(seed) : seed;
  let counter = 0;
  let buffer = new Uint8Array(0);
  return (length) => {
    while (buffer.length < length) {
      const block = createHmac('sha256', key).update(`${label}:${counter++}`).digest();
      const next = new Uint8Array(buffer.length + block.length);
      next.set(buffer);
      next.set(block, buffer.length);
      buffer = next;
    }
    const out = buffer.slice(0, length);
    buffer = buffer.slice(length);
    return out;
  };
}
