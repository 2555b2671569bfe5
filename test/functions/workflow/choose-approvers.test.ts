import { describe, expect, it } from 'vitest';
import { chooseApprovers } from '../../../functions/workflow/choose-approvers.ts';

const requester = { id: 'aaaa-requester', displayName: 'Maja Lind' };
const manager = { id: 'bbbb-manager', displayName: 'Lars Eriksson', accountEnabled: true };
const fallback = [
  { id: 'cccc-sofia', displayName: 'Sofia Marin', accountEnabled: true },
  { id: 'dddd-hana', displayName: 'Hana Suzuki', accountEnabled: true },
];

describe('chooseApprovers', () => {
  it('picks the manager when there is a usable one', () => {
    expect(chooseApprovers(requester.id, manager, fallback)).toEqual({
      source: 'manager',
      approvers: [{ id: 'bbbb-manager', displayName: 'Lars Eriksson' }],
    });
  });

  it('falls back to the group when there is no manager', () => {
    const choice = chooseApprovers(requester.id, null, fallback);
    expect(choice.source).toBe('fallback:no-manager');
    expect(choice.approvers.map((a) => a.id)).toEqual(['cccc-sofia', 'dddd-hana']);
  });

  it('falls back when the manager is disabled', () => {
    const choice = chooseApprovers(requester.id, { ...manager, accountEnabled: false }, fallback);
    expect(choice.source).toBe('fallback:manager-disabled');
    expect(choice.approvers).toHaveLength(2);
  });

  it('falls back when the manager is the requester, whatever the case of the id', () => {
    const choice = chooseApprovers(requester.id, { ...manager, id: 'AAAA-REQUESTER' }, fallback);
    expect(choice.source).toBe('fallback:manager-is-requester');
    expect(choice.approvers.map((a) => a.id)).not.toContain('aaaa-requester');
  });

  it('never lists the requester, a disabled member or anyone twice from the group', () => {
    const members = [
      { id: 'AAAA-requester', displayName: 'Maja Lind' },
      { id: 'cccc-sofia', displayName: 'Sofia Marin' },
      { id: 'CCCC-SOFIA', displayName: 'Sofia Marin' },
      { id: 'eeee-gone', displayName: 'Former Employee', accountEnabled: false },
    ];
    expect(chooseApprovers(requester.id, null, members).approvers).toEqual([
      { id: 'cccc-sofia', displayName: 'Sofia Marin' },
    ]);
  });

  it('returns no approvers when nobody may approve', () => {
    expect(chooseApprovers(requester.id, null, [requester]).approvers).toEqual([]);
  });

  it('names an approver by UPN or id when Graph gave no display name', () => {
    const choice = chooseApprovers(
      requester.id,
      {
        id: 'ffff',
        displayName: null,
        userPrincipalName: 'x@contoso.example',
      },
      [],
    );
    expect(choice.approvers[0]).toEqual({
      id: 'ffff',
      displayName: 'x@contoso.example',
      userPrincipalName: 'x@contoso.example',
    });
  });
});
