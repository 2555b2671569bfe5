import { z } from 'zod';
import { RequestReason, RequestState } from './request-state.ts';

/** Something the viewer of a request may do now; the Teams parts show a button for each. */
export const RequestAction = {
  Approve: 'approve',
  Cancel: 'cancel',
  ConfirmDelivery: 'confirm-delivery',
  RevealPin: 'reveal-pin',
  ReportLost: 'report-lost',
} as const;
export type RequestAction = (typeof RequestAction)[keyof typeof RequestAction];

const person = z.strictObject({ id: z.string(), displayName: z.string().optional() });

/**
 * A request as the status API shows it to the Teams parts (tab and bot): where it is, who
 * decides, what the viewer can do. Never the PIN, the serial or anything that would let someone
 * other than the requester confirm delivery.
 */
export const requestViewSchema = z.strictObject({
  requestId: z.string(),
  state: z.enum(Object.values(RequestState) as [RequestState, ...RequestState[]]),
  reason: z.enum(Object.values(RequestReason) as [RequestReason, ...RequestReason[]]),
  note: z.string().optional(),
  keyClass: z.string(),
  requestedAt: z.string(),
  updatedAt: z.string(),
  requester: person,
  approvers: z.array(person),
  decidedBy: person.optional(),
  approvalDeadline: z.string().optional(),
  carrier: z.string().optional(),
  trackingNumber: z.string().optional(),
  deliveryDeadline: z.string().optional(),
  deliveryConfirmed: z.boolean(),
  pinReleased: z.boolean(),
  outcome: z.string().optional(),
  outcomeMessage: z.string().optional(),
  replaces: z.string().optional(),
  actions: z.array(z.enum(Object.values(RequestAction) as [RequestAction, ...RequestAction[]])),
});
export type RequestView = z.infer<typeof requestViewSchema>;
