import { RequestState } from '../../core/request/request-state.ts';
import { RequestEvent, requesterActionSchema, shippedSchema } from './request-events.ts';
import {
  DAY,
  sameId,
  TIMED_OUT,
  type Flow,
  type RequestFlow,
  type RequestResult,
} from './request-flow.ts';
import { WORKFLOW_CAPS } from './workflow-policy.ts';

/**
 * Shipping, delivery and the PIN: from a registered key to the PIN's release (Completed), or to
 * the credential's deletion (Revoked). `leaseId` is the registering station's lease, which it
 * also ships under.
 */
export function* deliver(
  flow: RequestFlow,
  methodId: string,
  leaseId: string,
): Flow<RequestResult> {
  const days = flow.input.policy.deliveryConfirmDays;

  // Registered and packed: the credential is live, so it cannot wait for shipment forever.
  const shipBy = flow.now().getTime() + days * DAY;
  const beforeShipment = flow.inbox(
    RequestEvent.Shipped,
    RequestEvent.LostKey,
    RequestEvent.Cancel,
  );
  let shipped = false;
  for (let round = 0; round < WORKFLOW_CAPS.shippingEvents && !shipped; round++) {
    const arrival = yield* flow.raceUntil(beforeShipment, shipBy);
    if (arrival === TIMED_OUT) return yield* flow.revoke(methodId, 'not-shipped');
    if (arrival.event === RequestEvent.LostKey || arrival.event === RequestEvent.Cancel) {
      const ended = yield* flow.withdraw(arrival, methodId);
      if (ended) return ended;
      continue;
    }
    const parsed = shippedSchema.safeParse(arrival.payload);
    if (!parsed.success || parsed.data.leaseId !== leaseId) {
      yield* flow.ignored('Shipped');
      continue;
    }
    shipped = true;
    flow.status.trackingNumber = parsed.data.trackingNumber;
    flow.status.deliveryDeadline = new Date(flow.now().getTime() + days * DAY).toISOString();
    yield* flow.record(RequestState.Shipped, 'shipped', {
      actor: parsed.data.operator,
      details: {
        stationId: parsed.data.stationId,
        operator: parsed.data.operator,
        carrier: parsed.data.carrier,
        trackingNumber: parsed.data.trackingNumber,
        deadline: flow.status.deliveryDeadline,
      },
      notify: [{ audience: 'requester', kind: 'shipped' }],
    });
  }
  if (!shipped) return yield* flow.revoke(methodId, 'too many shipping events');

  // Delivered: only the requester can say so, and only then can the PIN be revealed.
  const beforeDelivery = flow.inbox(
    RequestEvent.DeliveryConfirmed,
    RequestEvent.LostKey,
    RequestEvent.Cancel,
  );
  const beforeRelease = flow.inbox(RequestEvent.PinReleased, RequestEvent.LostKey);
  let deadline = flow.now().getTime() + days * DAY;
  let confirmed = false;
  for (let round = 0; round < WORKFLOW_CAPS.deliveryEvents; round++) {
    const arrival = yield* flow.raceUntil(confirmed ? beforeRelease : beforeDelivery, deadline);
    if (arrival === TIMED_OUT) {
      return yield* flow.revoke(methodId, confirmed ? 'pin-not-revealed' : 'not-confirmed');
    }
    if (arrival.event === RequestEvent.LostKey || arrival.event === RequestEvent.Cancel) {
      const ended = yield* flow.withdraw(arrival, methodId);
      if (ended) return ended;
      continue;
    }
    const parsed = requesterActionSchema.safeParse(arrival.payload);
    if (!parsed.success || !sameId(parsed.data.by.id, flow.input.requester.id)) {
      yield* flow.ignored(arrival.event);
      continue;
    }
    if (arrival.event === RequestEvent.DeliveryConfirmed) {
      confirmed = true;
      flow.status.deliveryConfirmed = true;
      // A fresh window to reveal the PIN; an unrevealed PIN leaves the key unusable anyway.
      deadline = flow.now().getTime() + days * DAY;
      yield* flow.record(RequestState.Shipped, 'delivery-confirmed', {
        actor: parsed.data.by,
        details: { methodId },
      });
      continue;
    }
    yield* flow.record(RequestState.PinReleased, 'pin-released', {
      actor: parsed.data.by,
      details: { methodId },
    });
    yield* flow.settle({ jobId: flow.jobId, action: 'close', reason: 'completed' });
    return yield* flow.end(RequestState.Completed, 'completed', {
      details: { methodId },
      notify: [{ audience: 'requester', kind: 'completed' }],
    });
  }
  return yield* flow.revoke(methodId, 'too many delivery events');
}
