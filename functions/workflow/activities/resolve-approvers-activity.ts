import type { CourierServices } from '../../courier-services.ts';
import { chooseApprovers, eligible } from '../choose-approvers.ts';
import type {
  FallbackApproversInput,
  FallbackApproversResult,
  ResolveApproversInput,
  ResolveApproversResult,
} from '../request-activities.ts';

/** The requester's manager from Graph, or the fallback group when the manager cannot approve. */
export async function resolveApprovers(
  input: ResolveApproversInput,
  services: Pick<CourierServices, 'graph'>,
): Promise<ResolveApproversResult> {
  const manager = await services.graph.getManager(input.requesterId);
  const managerUsable =
    manager !== null &&
    manager.accountEnabled !== false &&
    manager.id.toLowerCase() !== input.requesterId.toLowerCase();
  // The group is read only when it is needed: most requests go to a manager.
  const members = managerUsable ? [] : await services.graph.listGroupMembers(input.fallbackGroupId);
  return chooseApprovers(input.requesterId, manager, members);
}

/** The fallback group's members who may approve (for escalation). */
export async function fallbackApprovers(
  input: FallbackApproversInput,
  services: Pick<CourierServices, 'graph'>,
): Promise<FallbackApproversResult> {
  return eligible(input.requesterId, await services.graph.listGroupMembers(input.fallbackGroupId));
}
