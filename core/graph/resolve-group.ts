import { GraphError } from './graph-error.ts';
import type { GraphGateway } from './graph-gateway.ts';

const OBJECT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * An Entra group named by an IT admin: its object id as given, or its display name looked up.
 * Display names are not unique in Entra, so a name that several groups share is refused with
 * their ids rather than guessed at; a name nobody has says so.
 */
export async function resolveGroup(
  gateway: Pick<GraphGateway, 'findGroupsByName'>,
  idOrName: string,
): Promise<string> {
  if (OBJECT_ID.test(idOrName)) return idOrName.toLowerCase();
  const found = await gateway.findGroupsByName(idOrName);
  if (found.length === 0) {
    throw new GraphError(
      'NOT_FOUND',
      `No Entra group is named "${idOrName}": check the name (it must match exactly) or give the group's object id.`,
    );
  }
  if (found.length > 1) {
    throw new GraphError(
      'CONFLICT',
      `${found.length} Entra groups are named "${idOrName}" (${found.map((g) => g.id).join(', ')}): give the object id of the one you mean.`,
    );
  }
  return found[0]!.id;
}
