import { z } from 'zod';
import { RequestReason } from '../../core/request/request-state.ts';
import { officeAddressLines, type OfficeFields } from '../../core/request/office-address.ts';
import type { Strings } from './bot-strings.ts';

export interface RequestFormSubmission {
  reason: RequestReason;
  keyClass: string;
  shippingAddress: string;
  note?: string;
}

/**
 * Checks what the request form sent (Teams checks `isRequired` in the client, but an invoke can
 * come from anywhere): each problem as a sentence for the person, or the submission.
 */
export function readRequestForm(
  data: Record<string, unknown>,
  keyClasses: readonly string[],
  defaultKeyClass: string,
  strings: Strings,
): { ok: true; value: RequestFormSubmission } | { ok: false; problems: string[] } {
  const text = (key: string) => (typeof data[key] === 'string' ? data[key].trim() : '');
  const problems: string[] = [];
  const reason = z.enum(Object.values(RequestReason) as [RequestReason]).safeParse(text('reason'));
  if (!reason.success) problems.push(strings.reasonRequired);
  const keyClass = text('keyClass') || defaultKeyClass;
  if (!keyClasses.includes(keyClass)) problems.push(strings.keyClassRequired);
  const shippingAddress = text('shipTo');
  if (!shippingAddress) problems.push(strings.shipToRequired);
  else if (shippingAddress.length > 500) problems.push(strings.shipToTooLong);
  const note = text('note');
  if (note.length > 500) problems.push(strings.noteTooLong);
  if (!reason.success || problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    value: { reason: reason.data, keyClass, shippingAddress, ...(note ? { note } : {}) },
  };
}

/** A ship-to address from a Graph profile's office fields, one part per line. */
export function shipToFromProfile(
  profile: OfficeFields & { displayName?: string | null },
): string | undefined {
  const lines = officeAddressLines(profile);
  return lines.length > 0 ? [profile.displayName, ...lines].filter(Boolean).join('\n') : undefined;
}
