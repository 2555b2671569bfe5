import { describe, expect, it } from 'vitest';
import { keyClassSchema, meetsMinimumFirmware } from '../../../core/request/key-class.ts';

describe('key class', () => {
  it('normalises AAGUIDs to lowercase', () => {
    const parsed = keyClassSchema.parse({
      name: 'YubiKey 5 NFC',
      allowedAaguids: ['2FC0579F-8113-47EA-B116-BB5A8DB9202A'],
      minimumFirmware: '5.7.0',
    });
    expect(parsed.allowedAaguids).toEqual(['2fc0579f-8113-47ea-b116-bb5a8db9202a']);
  });

  it.each([
    [{ name: 'x', allowedAaguids: [], minimumFirmware: '5.7.0' }, 'allowedAaguids'],
    [{ name: 'x', allowedAaguids: ['nope'], minimumFirmware: '5.7.0' }, 'allowedAaguids'],
    [
      {
        name: 'x',
        allowedAaguids: ['2fc0579f-8113-47ea-b116-bb5a8db9202a'],
        minimumFirmware: '5.7',
      },
      'minimumFirmware',
    ],
  ])('refuses a malformed class (%j) naming the field', (input, field) => {
    const result = keyClassSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path[0]).toBe(field);
  });

  it.each([
    [{ major: 5, minor: 7, patch: 0 }, '5.7.0', true],
    [{ major: 5, minor: 7, patch: 4 }, '5.7.0', true],
    [{ major: 5, minor: 10, patch: 0 }, '5.7.0', true],
    [{ major: 6, minor: 0, patch: 0 }, '5.7.0', true],
    [{ major: 5, minor: 4, patch: 3 }, '5.7.0', false],
    [{ major: 5, minor: 7, patch: 0 }, '5.7.1', false],
    [{ major: 4, minor: 9, patch: 9 }, '5.0.0', false],
  ])('firmware %j against minimum %s → %s', (version, minimum, expected) => {
    expect(meetsMinimumFirmware(version, minimum)).toBe(expected);
  });
});
