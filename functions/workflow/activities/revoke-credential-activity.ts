import type { CourierServices } from '../../courier-services.ts';
import type { RevokeInput, RevokeResult } from '../request-activities.ts';

/**
 * Deletes the request's Graph method (already gone counts as done) and destroys the PIN
 * envelope: a key that will not be used must neither sign in nor have its PIN revealed.
 */
export async function revokeCredential(
  input: RevokeInput,
  services: Pick<CourierServices, 'graph' | 'pins'>,
): Promise<RevokeResult> {
  const deleted = await services.graph.deleteFido2Method(input.userId, input.methodId);
  await services.pins.destroy(input.requestId);
  return {
    result: deleted.value,
    ...(deleted.requestId ? { graphRequestId: deleted.requestId } : {}),
  };
}
