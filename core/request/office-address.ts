/** A directory user's office fields (Graph's user resource), as far as an address needs them. */
export interface OfficeFields {
  officeLocation?: string | null;
  streetAddress?: string | null;
  postalCode?: string | null;
  city?: string | null;
  country?: string | null;
}

/**
 * The office address from the directory, one part per entry (office, street, postcode and city,
 * country), empty parts left out: where a key is shipped when nobody typed an address.
 */
export function officeAddressLines(user: OfficeFields): string[] {
  return [
    user.officeLocation,
    user.streetAddress,
    [user.postalCode, user.city].filter(Boolean).join(' '),
    user.country,
  ].filter((line): line is string => typeof line === 'string' && line.trim().length > 0);
}
