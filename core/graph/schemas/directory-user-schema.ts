import { z } from 'zod';

const text = z.string().nullable().optional();

/**
 * A user (microsoft.graph.user), as far as the project reads one: identity for approvals and
 * display, the office address for shipping. Unknown members are kept (Graph grows).
 */
export const directoryUserSchema = z.looseObject({
  id: z.string().min(1),
  userPrincipalName: text,
  displayName: text,
  mail: text,
  accountEnabled: z.boolean().nullable().optional(),
  jobTitle: text,
  department: text,
  officeLocation: text,
  streetAddress: text,
  city: text,
  state: text,
  postalCode: text,
  country: text,
  usageLocation: text,
  mobilePhone: text,
  preferredLanguage: text,
});

export type DirectoryUser = z.infer<typeof directoryUserSchema>;

/** The fields the gateway asks for with $select. */
export const DIRECTORY_USER_SELECT = [
  'id',
  'userPrincipalName',
  'displayName',
  'mail',
  'accountEnabled',
  'jobTitle',
  'department',
  'officeLocation',
  'streetAddress',
  'city',
  'state',
  'postalCode',
  'country',
  'usageLocation',
  'preferredLanguage',
].join(',');
