import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { webcrypto } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @peculiar/x509 resolves its algorithms through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createGraphCredential } from '../../core/graph/graph-credential.ts';
import type { TenantControls } from '../tenant/controls/tenant-controls.ts';
import { startLocalTenant, type LocalTenantOptions } from '../tenant/start-local-tenant.ts';
import type { ContractSettings } from './contract-run.ts';

const crypto = webcrypto as unknown as Crypto;
const RSA = {
  name: 'RSASSA-PKCS1-v1_5',
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: 'SHA-256',
} as const;

/**
 * A self-signed RSA certificate for an app's client assertions, valid for a day: the certificate
 * alone (to register with the tenant) and with its private key (for ClientCertificateCredential).
 */
export async function clientCertificate(
  subject: string,
): Promise<{ certificatePem: string; pemWithKey: string }> {
  const keys = await crypto.subtle.generateKey(RSA, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: '01',
      name: subject,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 86_400_000),
      signingAlgorithm: RSA,
      keys,
    },
    crypto,
  );
  const certificatePem = certificate.toString('pem');
  const keyPem = x509.PemConverter.encode(
    await crypto.subtle.exportKey('pkcs8', keys.privateKey),
    'PRIVATE KEY',
  );
  return { certificatePem, pemWithKey: `${certificatePem}\n${keyPem}` };
}

export interface LocalContractTarget {
  settings: ContractSettings;
  /** The tenant's test controls, for tests that change its settings. */
  controls: TenantControls;
  close(): Promise<void>;
}

/**
 * The local tenant set up the way an IT admin sets up a real one for the probe: the functions
 * app with a certificate credential (made now, registered through the test controls), a test user
 * and another user. Its clock can be moved, so the expired-challenge case runs in seconds.
 */
export async function localContractTarget(
  options: Pick<LocalTenantOptions, 'methodIds' | 'tlsDirectory'> = {},
): Promise<LocalContractTarget> {
  let offset = 0;
  const tenant = await startLocalTenant({ port: 0, ...options, now: () => Date.now() + offset });
  const folder = await mkdtemp(join(tmpdir(), 'courier-contract-'));
  try {
    const certificate = await clientCertificate('CN=Passkey Courier contract probe');
    const certificatePath = join(folder, 'contract-probe.pem');
    await writeFile(certificatePath, certificate.pemWithKey, { mode: 0o600 });
    tenant.controls.addClientCertificate('functions', certificate.certificatePem);
    const functions = tenant.applications.functions!;
    return {
      controls: tenant.controls,
      settings: {
        credential: createGraphCredential({
          kind: 'client-certificate',
          tenantId: tenant.tenantId,
          clientId: functions.clientId,
          certificatePath,
          authorityHost: tenant.url,
          caPem: tenant.caPem,
        }),
        graphBaseUrl: tenant.url,
        caPem: tenant.caPem,
        tenantId: tenant.tenantId,
        testUser: 'lea.schmidt@fabrikam.example',
        otherUser: 'omar.haddad@fabrikam.example',
        advanceClock: (ms) => {
          offset += ms;
        },
      },
      async close() {
        await tenant.close();
        await rm(folder, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await tenant.close();
    await rm(folder, { recursive: true, force: true });
    throw error;
  }
}
