import type { HttpResponseInit } from '@azure/functions';
import { z } from 'zod';
import { resolveGroup } from '../../core/graph/resolve-group.ts';
import { ADMIN_ROUTE_PREFIX } from './admin-api.ts';
import { ADMIN_ROLE, json, registerRoutes, validate, type ApiCall } from './http-api.ts';

/**
 * GET manage/groups/{groupId}/members: the users in an Entra group (every page; the group by its
 * object id or its exact display name), for an IT admin
 * enrolling a whole group with `station bulk --group`. The station holds no Graph credential of its
 * own, so the service reads the group for it.
 */
async function groupMembers(call: ApiCall): Promise<HttpResponseInit> {
  const group = validate(z.string().min(1).max(256), call.request.params.groupId, 'groupId');
  const groupId = await resolveGroup(call.services.graph, group);
  const members = await call.services.graph.listGroupMembers(groupId);
  return json(200, {
    groupId,
    members: members.map((m) => ({
      id: m.id,
      userPrincipalName: m.userPrincipalName,
      displayName: m.displayName,
      ...(m.accountEnabled === undefined ? {} : { accountEnabled: m.accountEnabled }),
    })),
  });
}

export function registerGroupMembersApi(): void {
  registerRoutes({ role: ADMIN_ROLE }, [
    ['admin-group-members', 'GET', `${ADMIN_ROUTE_PREFIX}/groups/{groupId}/members`, groupMembers],
  ]);
}
