import type { RequestIndex } from './request-index.ts';

/** Wrong serial digits allowed before delivery confirmation locks and IT must help. */
export const MAX_SERIAL_TRIES = 5;

export type DeliveryStep =
  | { kind: 'confirmed'; at: string; now: boolean }
  | { kind: 'mismatch'; triesLeft: number }
  | { kind: 'locked' };

/**
 * The requester proves the key reached them with the last digits of its serial: records the
 * confirmation, or counts a wrong try (locking after MAX_SERIAL_TRIES). `now` says whether this
 * call confirmed it (the workflow must then be told) or found it confirmed already. Used by the
 * HTTP API and the bot alike.
 */
export async function confirmDeliveryStep(
  requests: RequestIndex,
  requestId: string,
  serialLastDigits: string,
  at: string = new Date().toISOString(),
): Promise<DeliveryStep> {
  let matched = false;
  let locked = false;
  const updated = await requests.applyRequesterStep(requestId, (current) => {
    if (current.deliveryConfirmedAt) return undefined;
    const tries = current.wrongSerialAttempts ?? 0;
    if (tries >= MAX_SERIAL_TRIES) {
      locked = true;
      return undefined;
    }
    // A key without a known serial (a model that does not report one) is confirmed as is.
    matched = current.serial === undefined || String(current.serial).endsWith(serialLastDigits);
    return matched ? { deliveryConfirmedAt: at } : { wrongSerialAttempts: tries + 1 };
  });
  if (updated.deliveryConfirmedAt) {
    return { kind: 'confirmed', at: updated.deliveryConfirmedAt, now: matched };
  }
  if (locked) return { kind: 'locked' };
  return { kind: 'mismatch', triesLeft: MAX_SERIAL_TRIES - (updated.wrongSerialAttempts ?? 0) };
}
