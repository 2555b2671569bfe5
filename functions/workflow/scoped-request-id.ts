import { createHash } from 'node:crypto';

/**
 * Request ids are minted by the service from a caller's idempotency key and the scope it belongs
 * to, never taken from the caller as they are. A key is only ever looked up inside its scope, so
 * one person's key cannot name, probe or collide with another person's request: a stranger who
 * sends someone else's key (or request id) simply gets their own request, exactly as with a key
 * nobody has used. SHA-256 over the scope and the key, 128 bits kept: collisions are not a
 * practical concern, and the id reveals neither.
 */
function scopedId(prefix: string, scope: string, key: string): string {
  const digest = createHash('sha256').update(`${scope}\u0000${key}`).digest('hex');
  return `${prefix}-${digest.slice(0, 32)}`;
}

/** The id of a request a person makes for themselves, from their idempotency key. */
export function ownRequestId(requesterId: string, idempotencyKey: string): string {
  return scopedId('req', requesterId.toLowerCase(), idempotencyKey);
}

/** The id of one employee's request in an IT admin's bulk batch (a retried batch finds it). */
export function bulkRequestId(batchId: string, userId: string): string {
  return scopedId('bulk', batchId, userId.toLowerCase());
}
