import { describe, expect, it } from 'vitest';
import { GraphError } from '../../../core/graph/graph-error.ts';
import { resolveGroup } from '../../../core/graph/resolve-group.ts';

function directory(groups: { id: string; displayName: string }[]) {
  const asked: string[] = [];
  return {
    asked,
    findGroupsByName: (name: string) => {
      asked.push(name);
      return Promise.resolve(groups.filter((g) => g.displayName === name));
    },
  };
}

describe('resolveGroup', () => {
  const mailroom = { id: '283256ab-a214-4f44-920e-07ffa0cd9713', displayName: 'Mailroom' };

  it('takes an object id as it is, without asking Graph', async () => {
    const graph = directory([]);
    expect(await resolveGroup(graph, mailroom.id.toUpperCase())).toBe(mailroom.id);
    expect(graph.asked).toEqual([]);
  });

  it('finds the one group with that exact name', async () => {
    expect(await resolveGroup(directory([mailroom]), 'Mailroom')).toBe(mailroom.id);
  });

  it('refuses a name that no group has, and one that several share, naming their ids', async () => {
    await expect(resolveGroup(directory([mailroom]), 'Post room')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('No Entra group is named "Post room"'),
    });
    const twin = { id: '715fa8bf-b1d3-4c74-afd3-91e0654f74da', displayName: 'Mailroom' };
    const error = await resolveGroup(directory([mailroom, twin]), 'Mailroom').catch((e) => e);
    expect(error).toBeInstanceOf(GraphError);
    expect(error).toMatchObject({ code: 'CONFLICT' });
    expect((error as Error).message).toContain(`${mailroom.id}, ${twin.id}`);
  });
});
