import { randomBytes, webcrypto } from 'node:crypto';
// @peculiar/x509 resolves its algorithms through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

const ECDSA = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY = 24 * 60 * 60 * 1000;

/** The names every local server certificate covers: the loopback host in all its spellings. */
export const LOOPBACK_NAMES = [
  { type: 'dns', value: 'localhost' },
  { type: 'ip', value: '127.0.0.1' },
  { type: 'ip', value: '::1' },
] as const;

export interface IssuedCertificate {
  certificatePem: string;
  /** PKCS#8 PEM. */
  privateKeyPem: string;
}

/**
 * A name-constrained CA: even if its key leaked (it sits unencrypted in `.courier/tls/`), it could
 * only vouch for localhost and loopback addresses, so trusting it risks nothing beyond this machine.
 *
 * DER of NameConstraints { permittedSubtrees: [dNSName localhost, iPAddress 127.0.0.0/8,
 * iPAddress ::1/128] } (RFC 5280 §4.2.1.10), written out because @peculiar/x509 has no helper.
 */
const LOOPBACK_NAME_CONSTRAINTS = Uint8Array.from([
  0x30,
  0x3f,
  0xa0,
  0x3d,
  // dNSName "localhost"
  0x30,
  0x0b,
  0x82,
  0x09,
  ...Buffer.from('localhost', 'ascii'),
  // iPAddress 127.0.0.0 / 255.0.0.0
  0x30,
  0x0a,
  0x87,
  0x08,
  127,
  0,
  0,
  0,
  255,
  0,
  0,
  0,
  // iPAddress ::1 / ffff:…:ffff
  0x30,
  0x22,
  0x87,
  0x20,
  ...new Uint8Array(15),
  1,
  ...new Uint8Array(16).fill(0xff),
]);
const NAME_CONSTRAINTS_OID = '2.5.29.30';

const crypto = webcrypto as unknown as Crypto;

/** Creates the local certificate authority (ECDSA P-256, 10 years). */
export async function issueLocalCertificateAuthority(now: Date): Promise<IssuedCertificate> {
  const keys = await crypto.subtle.generateKey(ECDSA, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serialNumber(),
      name: `CN=Passkey Courier Local CA ${now.toISOString().slice(0, 10)}, O=Passkey Courier (local development only)`,
      notBefore: new Date(now.getTime() - DAY),
      notAfter: new Date(now.getTime() + 3650 * DAY),
      signingAlgorithm: SIGNING,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
          true,
        ),
        new x509.Extension(NAME_CONSTRAINTS_OID, true, LOOPBACK_NAME_CONSTRAINTS),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  return {
    certificatePem: certificate.toString('pem'),
    privateKeyPem: await exportPrivateKey(keys.privateKey),
  };
}

/** Issues a TLS server certificate for the loopback names, valid 397 days, signed by the CA. */
export async function issueServerCertificate(
  ca: IssuedCertificate,
  now: Date,
): Promise<IssuedCertificate> {
  const caCertificate = new x509.X509Certificate(ca.certificatePem);
  const caKey = await crypto.subtle.importKey(
    'pkcs8',
    x509.PemConverter.decodeFirst(ca.privateKeyPem),
    ECDSA,
    false,
    ['sign'],
  );
  const keys = await crypto.subtle.generateKey(ECDSA, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serialNumber(),
      subject: 'CN=localhost, O=Passkey Courier (local development only)',
      issuer: caCertificate.subject,
      notBefore: new Date(now.getTime() - DAY),
      notAfter: new Date(now.getTime() + 397 * DAY),
      signingAlgorithm: SIGNING,
      publicKey: keys.publicKey,
      signingKey: caKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
        new x509.SubjectAlternativeNameExtension(
          LOOPBACK_NAMES.map((n) => ({ type: n.type, value: n.value })),
          false,
        ),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
        await x509.AuthorityKeyIdentifierExtension.create(caCertificate, false, crypto),
      ],
    },
    crypto,
  );
  return {
    certificatePem: certificate.toString('pem'),
    privateKeyPem: await exportPrivateKey(keys.privateKey),
  };
}

async function exportPrivateKey(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await crypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

/** A positive 16-byte serial (RFC 5280 allows up to 20 octets; the top bit must be clear). */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f || 0x01;
  return bytes.toString('hex');
}
