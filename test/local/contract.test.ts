import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reportJson, reportTable, scrub } from '../../local/contract/contract-report.ts';
import { runContract } from '../../local/contract/contract-run.ts';
import { localContractTarget } from '../../local/contract/local-contract-tenant.ts';
import { methodIdForms } from '../../local/tenant/graph/method-id.ts';

const tlsDirectory = () => mkdtempSync(join(tmpdir(), 'courier-contract-tls-'));

describe('npm run contract against the local tenant', () => {
  it.each(methodIdForms)(
    'matches every expectation with %s method ids, or explains why not, and leaves nothing behind',
    async (methodIds) => {
      const target = await localContractTarget({ methodIds, tlsDirectory: tlsDirectory() });
      try {
        const report = await runContract(target.settings);
        const differences = report.checks.filter((c) => c.verdict === 'differs');
        expect(differences).toEqual([]);
        expect(report.checks.filter((c) => c.verdict === 'skipped')).toEqual([]);
        for (const explained of report.checks.filter((c) => c.verdict === 'explained'))
          expect(explained.note, explained.id).toBeTruthy();
        expect(report.checks.map((c) => c.id)).toEqual(
          expect.arrayContaining([
            'options.v1.shape',
            'options.v1.expiry',
            'options.v1.encodings',
            'options.beta.function',
            'options.beta.query',
            'register.methodId',
            'list.contains',
            'delete.thenGet',
            'refuse.expiredChallenge',
            'refuse.otherUsersChallenge',
            'refuse.noneAttestation',
            'refuse.duplicate',
            'refuse.name31',
            'refuse.unknownUser',
            'policy.v1.0',
            'policy.beta',
            'permissions.passkeys',
            'headers.client-request-id',
            'headers.retry-after',
          ]),
        );
        expect(report.created.length).toBeGreaterThan(0);
        expect(report.created.every((c) => c.deleted)).toBe(true);
        const user = target.controls
          .inspect()
          .users.find((u) => u.userPrincipalName === report.target.testUser)!;
        expect(target.controls.inspect().methods.filter((m) => m.userId === user.id)).toEqual([]);
        // No secrets: no token, no challenge, nothing JWT- or JWE-shaped.
        const written = reportJson(report);
        expect(written).not.toMatch(/eyJ|ZXlK|PRIVATE KEY|Bearer/);
        expect(reportTable(report)).toMatch(/\d+ match, 0 differ/);
      } finally {
        await target.close();
      }
    },
  );

  it('reports a tenant that differs, and still cleans up', async () => {
    const target = await localContractTarget({ tlsDirectory: tlsDirectory() });
    try {
      target.controls.editPolicy({ isSelfServiceRegistrationAllowed: false });
      const report = await runContract(target.settings);
      const register = report.checks.find((c) => c.id === 'register.status')!;
      expect(register).toMatchObject({ verdict: 'differs', status: 400, code: 'badRequest' });
      expect(register.requestId).toMatch(/[0-9a-f-]{36}/);
      expect(report.created.every((c) => c.deleted)).toBe(true);
      expect(reportTable(report)).toMatch(/DIFFERS\s+register\.status/);
    } finally {
      await target.close();
    }
  });

  it('scrubs tokens and challenges from anything it writes', () => {
    expect(scrub('Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln ok')).toBe(
      'Bearer [redacted token] ok',
    );
    expect(scrub(`challenge ZXlKaGJHY2lPaUpTVTBFdFQwRkZVQzB5TlRZaUxDSmxibU1p`)).toBe(
      'challenge [redacted challenge]',
    );
  });
});
