/** Someone who may decide on a request. */
export interface Approver {
  id: string;
  displayName: string;
  userPrincipalName?: string;
}

/** Why these approvers were chosen; shown on the card and kept in the audit trail. */
export type ApproverSource =
  'manager' | 'fallback:no-manager' | 'fallback:manager-disabled' | 'fallback:manager-is-requester';

export interface ApproverChoice {
  source: ApproverSource;
  approvers: Approver[];
}

interface Person {
  id: string;
  displayName?: string | null;
  userPrincipalName?: string | null;
  accountEnabled?: boolean | null;
}

function toApprover(person: Person): Approver {
  return {
    id: person.id,
    displayName: person.displayName ?? person.userPrincipalName ?? person.id,
    ...(person.userPrincipalName ? { userPrincipalName: person.userPrincipalName } : {}),
  };
}

/**
 * Who approves a request (docs/design.md §2.1): the requester's manager; the fallback group when there is
 * no manager, the manager's account is disabled, or the manager is the requester. The requester
 * is never among the approvers, and neither is a disabled account. An empty list means nobody can
 * approve: the request cannot go on until IT fixes the directory or the fallback group.
 */
export function chooseApprovers(
  requesterId: string,
  manager: Person | null,
  fallbackMembers: readonly Person[],
): ApproverChoice {
  const same = (id: string) => id.toLowerCase() === requesterId.toLowerCase();
  if (manager && !same(manager.id) && manager.accountEnabled !== false) {
    return { source: 'manager', approvers: [toApprover(manager)] };
  }
  const source: ApproverSource = !manager
    ? 'fallback:no-manager'
    : same(manager.id)
      ? 'fallback:manager-is-requester'
      : 'fallback:manager-disabled';
  return { source, approvers: eligible(requesterId, fallbackMembers) };
}

/** Fallback group members who may approve: enabled, not the requester, each once. */
export function eligible(requesterId: string, people: readonly Person[]): Approver[] {
  const seen = new Set<string>([requesterId.toLowerCase()]);
  const approvers: Approver[] = [];
  for (const person of people) {
    const key = person.id.toLowerCase();
    if (seen.has(key) || person.accountEnabled === false) continue;
    seen.add(key);
    approvers.push(toApprover(person));
  }
  return approvers;
}
