import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientCertificate } from '../../../local/contract/local-contract-tenant.ts';
import { cachedToken } from '../../../station/cli/operator-login.ts';
import { resolveStationConfig } from '../../../station/cli/station-config.ts';
import { StationApiClient } from '../../../station/service/station-api-client.ts';
import { startTestStack, type TestStack } from '../../functions/support/courier-stack.ts';
import { queueJobs, stationEnvironment } from '../support/station-harness.ts';
import { runStation } from '../support/run-station.ts';

/**
 * An unattended kiosk signs in as its own app registration with a certificate (client
 * credentials), holds Station.Operator as an application permission, and renews its token from
 * the certificate when it runs out. Through the CLI, as an admin would set it up.
 */

let stack: TestStack;
let home: string;
let env: Record<string, string>;
let kioskPem: string;

beforeAll(async () => {
  stack = await startTestStack();
  const prepared = await stationEnvironment(stack, 'kiosk-home-');
  home = prepared.home;
  env = {
    ...prepared.env,
    STATION_KIOSK_CLIENT_ID: stack.tenant.applications['station-kiosk']!.clientId,
    NO_COLOR: '1',
  };
  const { certificatePem, pemWithKey } = await clientCertificate('CN=mailroom kiosk 1');
  stack.tenant.controls.addClientCertificate('station-kiosk', certificatePem);
  kioskPem = join(home, 'kiosk.pem');
  await writeFile(kioskPem, pemWithKey, { mode: 0o600 });
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

function station(args: string[], extraEnv: Record<string, string> = env) {
  return runStation(args, { ...process.env, ...extraEnv });
}

async function stationConfig(extraEnv: Record<string, string> = env) {
  return resolveStationConfig({}, { ...extraEnv });
}

describe('station login --certificate, for unattended kiosks', () => {
  it('signs in as the kiosk app, works the queue as an operator, and keeps no secret in the clear', async () => {
    const signedIn = await station(['login', '--certificate', kioskPem, '--json']);
    expect(signedIn.code, signedIn.stderr).toBe(0);
    expect(signedIn.stdout).toMatch(/"event":"signed-in"/);
    for (const text of [signedIn.stdout, signedIn.stderr]) {
      expect(text).not.toMatch(/eyJ|PRIVATE KEY/);
    }
    const cached = JSON.parse(await readFile(join(home, 'token.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(cached).toMatchObject({
      method: 'certificate',
      clientId: env.STATION_KIOSK_CLIENT_ID,
      certificatePath: kioskPem,
    });
    expect(JSON.stringify(cached)).not.toContain('PRIVATE KEY');

    // The token is the kiosk's own: an application token with the operator's role.
    const token = await cachedToken(await stationConfig());
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as {
      roles?: string[];
      scp?: string;
      oid: string;
      azp: string;
    };
    expect(claims.roles).toEqual(['Station.Operator']);
    expect(claims.scp).toBeUndefined();
    expect(claims.azp).toBe(env.STATION_KIOSK_CLIENT_ID);

    const [jobId] = await queueJobs(stack, 'kiosk-1', ['lina.haddad@fabrikam.example']);
    const client = new StationApiClient({
      baseUrl: stack.host.url,
      caPem: stack.host.caPem,
      token: async () => cachedToken(await stationConfig()),
    });
    const claim = await client.claim(jobId!, 'mailroom-kiosk-1');
    expect(claim?.job.jobId).toBe(jobId);
    // The lease is bound to the kiosk's service principal: the audit names the kiosk.
    const audit = await stack.as('admin').get(`manage/audit?requestId=${jobId!.slice(4)}`);
    const claimed = audit
      .json<{ records: { event: string; operator?: { id: string } }[] }>()
      .records.find((r) => r.operator);
    expect(claimed?.operator?.id).toBe(claims.oid);
  }, 60_000);

  it('renews an expired token from the certificate, with nobody at the kiosk', async () => {
    const file = join(home, 'token.json');
    const cached = JSON.parse(await readFile(file, 'utf8')) as { token: string; expiresOn: number };
    await writeFile(file, JSON.stringify({ ...cached, expiresOn: Date.now() }), { mode: 0o600 });
    const renewed = await cachedToken(await stationConfig());
    expect(renewed).not.toBe(cached.token);
    const rewritten = JSON.parse(await readFile(file, 'utf8')) as { expiresOn: number };
    expect(rewritten.expiresOn).toBeGreaterThan(Date.now() + 10 * 60_000);
  });

  it('says what to do when the certificate is not the kiosk’s, or no kiosk app is configured', async () => {
    const stranger = await clientCertificate('CN=not registered');
    const strangerPem = join(home, 'stranger.pem');
    await writeFile(strangerPem, stranger.pemWithKey, { mode: 0o600 });
    const refused = await station(['login', '--certificate', strangerPem]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/Sign-in failed: .*AADSTS700027/);

    const { STATION_KIOSK_CLIENT_ID: _omitted, ...withoutKiosk } = env;
    const unconfigured = await station(['login', '--certificate', kioskPem], withoutKiosk);
    expect(unconfigured.code).not.toBe(0);
    expect(unconfigured.stderr).toContain('station config set kioskClientId APP_ID');
  }, 30_000);
});
