import { describe, expect, it } from 'vitest';
import {
  readBulkCsv,
  readResultsCsv,
  safeCell,
  writeResultsCsv,
  type BulkResult,
} from '../../../station/bulk/bulk-rows.ts';

describe('bulk CSV rows', () => {
  it('reads users with the usual column names, and reports every bad line at once', () => {
    const rows = readBulkCsv(
      '\uFEFFUPN,Shipping Address,Key class\r\nlina.haddad@fabrikam.example,"Storgatan 1, Malmö",\r\nchloe@x.example,,YubiKey 5 Series\n',
    );
    expect(rows).toEqual([
      { row: 2, user: 'lina.haddad@fabrikam.example', shippingAddress: 'Storgatan 1, Malmö' },
      { row: 3, user: 'chloe@x.example', keyClass: 'YubiKey 5 Series' },
    ]);
    expect(() => readBulkCsv('user,colour\nab,red\n')).toThrow(
      /line 2: unknown column "colour"[\s\S]*line 2: user: Too small/,
    );
  });

  it('writes results no spreadsheet will run as a formula, and reads them back for a resume', () => {
    expect(safeCell('=HYPERLINK("http://evil")')).toBe(`'=HYPERLINK("http://evil")`);
    expect(safeCell('+1')).toBe("'+1");
    expect(safeCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(safeCell('lina@x')).toBe('lina@x');
    const results: BulkResult[] = [
      {
        row: 2,
        upn: '=cmd|/c calc',
        status: 'error',
        requestId: '',
        serial: '',
        aaguid: '',
        credentialId: '',
        methodId: '',
        error: 'USER_NOT_FOUND: -no such user',
      },
      {
        row: 3,
        upn: 'lina@x',
        status: 'started',
        requestId: 'bulk-1',
        serial: '',
        aaguid: '',
        credentialId: '',
        methodId: '',
        error: '',
      },
    ];
    const text = writeResultsCsv(results);
    expect(text.split('\n')[0]).toBe(
      '"row","upn","status","requestId","serial","aaguid","credentialId","methodId","error"',
    );
    expect(text).toContain(`"'=cmd|/c calc"`);
    expect(text).toContain(`"USER_NOT_FOUND: -no such user"`);
    expect(readResultsCsv(text)).toEqual(results);
  });
});
