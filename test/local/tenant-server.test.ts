import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../local/tenant/clock.ts';
import { startLocalTenant } from '../../local/tenant/start-local-tenant.ts';
import { VIRTUAL_KEY_AAGUID } from '../../station/virtual-key/virtual-key.ts';
import { appToken, call } from './support/tenant-http.ts';
import {
  registrationBody,
  syntheticCredential,
  type GraphCreationOptions,
} from './support/software-key-registration.ts';

const repository = fileURLToPath(new URL('../../', import.meta.url));

describe('npm run tenant', () => {
  it('prints the root URL, then the CA file, serves until told to stop', async () => {
    const tlsDirectory = mkdtempSync(join(tmpdir(), 'tenant-tls-'));
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'local/tenant/main.ts',
        '--port',
        '0',
        '--tls-dir',
        tlsDirectory,
        '--persona',
        'operator',
      ],
      {
        cwd: repository,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => resolve(code)),
    );
    try {
      const lines = createInterface({ input: child.stdout });
      const [url, caFile] = await new Promise<string[]>((resolve, reject) => {
        const seen: string[] = [];
        lines.on('line', (line) => {
          seen.push(line);
          if (seen.length === 2) resolve(seen);
        });
        void exited.then((code) => reject(new Error(`exited ${code}: ${stderr}`)));
      });
      expect(url).toMatch(/^https:\/\/localhost:\d+$/);
      expect(caFile).toBe(join(tlsDirectory, 'ca.pem'));
      const index = await call({ url: url!, caPem: readFileSync(caFile!, 'utf8') }, 'GET', '/');
      expect(index.json).toMatchObject({
        authorityHost: url,
        graph: { v1: `${url}/v1.0`, beta: `${url}/beta` },
      });
      expect(stderr).toContain('auto sign-in as operator');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('explains a bad option instead of starting', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'local/tenant/main.ts',
        '--persona',
        'nobody',
        '--port',
        '0',
        '--tls-dir',
        mkdtempSync(join(tmpdir(), 'tenant-tls-')),
      ],
      {
        cwd: repository,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toContain('No persona named "nobody"');
  });
});

describe('a state file', () => {
  it('keeps the policy, passkeys and keys across restarts, so an earlier challenge still works', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'tenant-state-'));
    const stateFile = join(folder, 'tenant.json');
    const options = {
      tlsDirectory: join(folder, 'tls'),
      stateFile,
      now: manualClock(Date.now()).now,
    };
    let tenant = await startLocalTenant(options);
    tenant.controls.editPolicy({ isAttestationEnforced: false });
    const token = await appToken(tenant);
    const creation = await call(
      tenant,
      'GET',
      '/beta/users/lina.haddad@fabrikam.example/authentication/fido2Methods/creationOptions(challengeTimeoutInMinutes=600)',
      { token },
    );
    await tenant.close();
    expect(statSync(stateFile).mode & 0o777).toBe(0o600);

    // Same port: the issuer (and so the old token) includes the root URL.
    const port = tenant.port;
    tenant = await startLocalTenant({ ...options, port });
    expect(tenant.controls.inspect().policy.isAttestationEnforced).toBe(false);
    const credential = syntheticCredential({
      options: creation.json as GraphCreationOptions,
      aaguid: VIRTUAL_KEY_AAGUID,
      attestation: 'none',
    });
    // The token from before the restart is still valid: the signing key was kept too.
    const created = await call(
      tenant,
      'POST',
      '/beta/users/lina.haddad@fabrikam.example/authentication/fido2Methods',
      { token, json: registrationBody(credential) },
    );
    expect(created.status, created.text).toBe(201);
    await tenant.close();

    tenant = await startLocalTenant({ ...options, port });
    const listed = await call(
      tenant,
      'GET',
      '/v1.0/users/lina.haddad@fabrikam.example/authentication/fido2Methods',
      { token },
    );
    expect(listed.json.value.map((m: { id: string }) => m.id)).toEqual([created.json.id]);
    await tenant.close();
  });

  it('without one, a restart starts again from the seed', async () => {
    const tlsDirectory = mkdtempSync(join(tmpdir(), 'tenant-tls-'));
    let tenant = await startLocalTenant({ tlsDirectory, controls: false });
    tenant.controls.editPolicy({ state: 'disabled' });
    expect((await call(tenant, 'GET', '/_courier/tenant/state')).status).toBe(404); // controls off over HTTP
    await tenant.close();
    tenant = await startLocalTenant({ tlsDirectory });
    expect(tenant.controls.inspect().policy.state).toBe('enabled');
    await tenant.close();
  });
});
