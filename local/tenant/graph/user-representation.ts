import type { User } from '@microsoft/microsoft-graph-types';
import type { DirectoryUser } from '../directory.ts';

/** What GET /users/{id} returns when no $select is given: Graph's default set. */
export const DEFAULT_USER_PROPERTIES = [
  'businessPhones',
  'displayName',
  'givenName',
  'jobTitle',
  'mail',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'userPrincipalName',
  'id',
] as const satisfies readonly (keyof User)[];

/**
 * Properties a $select may name. Shipping and approval need accountEnabled and the address,
 * which Graph returns only when selected, so the gateway must select them, here as there.
 */
export const SELECTABLE_USER_PROPERTIES = [
  ...DEFAULT_USER_PROPERTIES,
  'accountEnabled',
  'city',
  'companyName',
  'country',
  'department',
  'employeeId',
  'employeeType',
  'otherMails',
  'postalCode',
  'state',
  'streetAddress',
  'usageLocation',
  'userType',
] as const satisfies readonly (keyof User)[];

export type SelectableUserProperty = (typeof SELECTABLE_USER_PROPERTIES)[number];

export function userJson(user: DirectoryUser, select: readonly string[] | undefined): User {
  const all: Required<Pick<User, SelectableUserProperty>> = {
    businessPhones: user.businessPhones,
    displayName: user.displayName,
    givenName: user.givenName,
    jobTitle: user.jobTitle,
    mail: user.mail,
    mobilePhone: user.mobilePhone,
    officeLocation: user.officeLocation,
    preferredLanguage: user.preferredLanguage,
    surname: user.surname,
    userPrincipalName: user.userPrincipalName,
    id: user.id,
    accountEnabled: user.accountEnabled,
    city: user.city,
    companyName: null,
    country: user.country,
    department: user.department,
    employeeId: user.employeeId,
    employeeType: null,
    otherMails: [],
    postalCode: user.postalCode,
    state: user.state,
    streetAddress: user.streetAddress,
    usageLocation: user.usageLocation,
    userType: 'Member',
  };
  const names = select && select.length > 0 ? select : DEFAULT_USER_PROPERTIES;
  return Object.fromEntries(names.map((n) => [n, all[n as SelectableUserProperty]]));
}

/** The @odata.context of a user entity, with the selected properties as Graph writes them. */
export function userContext(
  root: string,
  version: string,
  select: readonly string[] | undefined,
): string {
  return select && select.length > 0
    ? `${root}/${version}/$metadata#users(${select.join(',')})/$entity`
    : `${root}/${version}/$metadata#users/$entity`;
}
