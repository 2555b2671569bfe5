import { webcrypto, type KeyObject } from 'node:crypto';
// @peculiar/x509 resolves its algorithms through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import {
  deriveEcKey,
  ecJwk,
  ecPrivateKeyObject,
  type EcKeyMaterial,
} from './deterministic-ec-key.ts';

/** FIDO's id-fido-gen-ce-aaguid: the AAGUID in an attestation certificate (WebAuthn L3 §8.2.1). */
export const AAGUID_EXTENSION_OID = '1.3.6.1.4.1.45724.1.1.4';
/** id-fido-u2f-ce-transports: which transports the authenticator has. */
export const FIDO_TRANSPORTS_EXTENSION_OID = '1.3.6.1.4.1.45724.2.1.1';
/** id-fido-gen-ce-sernum: a device-unique serial in an enterprise attestation certificate. */
export const SERIAL_NUMBER_EXTENSION_OID = '1.3.6.1.4.1.45724.1.1.2';

/**
 * The seed every software key's attestation root comes from. It is public on purpose: these keys
 * are test equipment, and a verifier that trusts this root trusts nothing real.
 */
export const VIRTUAL_ATTESTATION_ROOT_SEED =
  'Passkey Courier software key attestation root, version 1';

/**
 * The software keys' attestation root as published, so every process (and the local tenant's
 * seed) trusts the very same certificate. Its key is derived from VIRTUAL_ATTESTATION_ROOT_SEED;
 * issuing a root again would give a new signature (ECDSA signatures are randomised).
 */
export const VIRTUAL_ATTESTATION_ROOT_PEM = [
  '-----BEGIN CERTIFICATE-----',
  'MIICPzCCAeSgAwIBAgIBATAKBggqhkjOPQQDAjCBgzELMAkGA1UEBhMCU0UxGDAW',
  'BgNVBAoTD1Bhc3NrZXkgQ291cmllcjEiMCAGA1UECxMZQXV0aGVudGljYXRvciBB',
  'dHRlc3RhdGlvbjE2MDQGA1UEAxMtUGFzc2tleSBDb3VyaWVyIFNvZnR3YXJlIEtl',
  'eSBBdHRlc3RhdGlvbiBSb290MCAXDTI0MDEwMTAwMDAwMFoYDzIwNTQwMTAxMDAw',
  'MDAwWjCBgzELMAkGA1UEBhMCU0UxGDAWBgNVBAoTD1Bhc3NrZXkgQ291cmllcjEi',
  'MCAGA1UECxMZQXV0aGVudGljYXRvciBBdHRlc3RhdGlvbjE2MDQGA1UEAxMtUGFz',
  'c2tleSBDb3VyaWVyIFNvZnR3YXJlIEtleSBBdHRlc3RhdGlvbiBSb290MFkwEwYH',
  'KoZIzj0CAQYIKoZIzj0DAQcDQgAEvuhzfm7NxtWkvsUGhu/JelR62Fqz2lLwoGbe',
  'GNX4aETz/opfkqduVLmudiuii9T2iHukx6INzSvjDGstH+B/mKNFMEMwEgYDVR0T',
  'AQH/BAgwBgEB/wIBADAOBgNVHQ8BAf8EBAMCAQYwHQYDVR0OBBYEFEsGXOFMO1BE',
  'eiR+Nzpd+5Bo1MvZMAoGCCqGSM49BAMCA0kAMEYCIQCKgOiDK3hDBGxrkhvY1zlv',
  'JnTFavP4YGWOiIR4zsYE/wIhAK7m40f7YojJegTKdmETYsXYVgYEtNUgyRc724qr',
  '0PBf',
  '-----END CERTIFICATE-----',
].join('\n');

const ECDSA = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;
const NOT_BEFORE = new Date('2024-01-01T00:00:00Z');
const NOT_AFTER = new Date('2054-01-01T00:00:00Z');
const ROOT_NAME =
  'C=SE, O=Passkey Courier, OU=Authenticator Attestation, CN=Passkey Courier Software Key Attestation Root';

export interface AttestationIdentity {
  /** DER of the batch attestation certificate that goes in x5c. */
  certificate: Uint8Array;
  /** The attestation CA that signed it, as PEM, for verifiers' trust stores. */
  rootPem: string;
  rootCertificate: Uint8Array;
  privateKey: KeyObject;
}

/**
 * Issues the packed-attestation certificate for a software key, as a vendor's factory would:
 * a root CA and, per AAGUID, a batch certificate (X.509 v3, subject OU "Authenticator Attestation",
 * basicConstraints CA=false, the AAGUID extension). Keys are derived from `rootSeed`, so every
 * software key of an AAGUID shares one batch certificate, like a YubiKey batch.
 */
export function issueAttestationIdentity(
  aaguid: Uint8Array,
  rootSeed: string = VIRTUAL_ATTESTATION_ROOT_SEED,
): Promise<AttestationIdentity> {
  const aaguidHex = Buffer.from(aaguid).toString('hex');
  return issue(
    rootSeed,
    aaguid,
    `batch:${aaguidHex}`,
    `Passkey Courier Software Key ${aaguidHex.slice(0, 8)}`,
    [],
  );
}

/**
 * The enterprise attestation certificate of one key (WebAuthn L3 §8.2.2): unique to the device,
 * with its serial number in id-fido-gen-ce-sernum, so an enterprise RP can tell keys apart.
 */
export function issueEnterpriseAttestationIdentity(
  aaguid: Uint8Array,
  serial: number,
  rootSeed: string = VIRTUAL_ATTESTATION_ROOT_SEED,
): Promise<AttestationIdentity> {
  const aaguidHex = Buffer.from(aaguid).toString('hex');
  const serialBytes = new TextEncoder().encode(String(serial));
  return issue(
    rootSeed,
    aaguid,
    `enterprise:${aaguidHex}:${serial}`,
    `Passkey Courier Software Key ${serial}`,
    [
      new x509.Extension(
        SERIAL_NUMBER_EXTENSION_OID,
        false,
        Uint8Array.of(0x04, serialBytes.length, ...serialBytes),
      ),
    ],
  );
}

async function issue(
  rootSeed: string,
  aaguid: Uint8Array,
  label: string,
  commonName: string,
  extra: x509.Extension[],
): Promise<AttestationIdentity> {
  const crypto = webcrypto as unknown as Crypto;
  const rootKey = deriveEcKey(rootSeed, 'root');
  const leafKey = deriveEcKey(rootSeed, label);
  const rootKeys = await importPair(crypto, rootKey);
  const leafKeys = await importPair(crypto, leafKey);

  const root = await rootCertificate(rootSeed, rootKeys, crypto);
  const leaf = await x509.X509CertificateGenerator.create(
    {
      serialNumber: `02${Buffer.from(leafKey.x).toString('hex').slice(0, 14)}`,
      subject: `C=SE, O=Passkey Courier, OU=Authenticator Attestation, CN=${commonName}`,
      issuer: root.subject,
      notBefore: NOT_BEFORE,
      notAfter: NOT_AFTER,
      signingAlgorithm: SIGNING,
      publicKey: leafKeys.publicKey,
      signingKey: rootKeys.privateKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        await x509.AuthorityKeyIdentifierExtension.create(rootKeys.publicKey, false, crypto),
        // OCTET STRING { aaguid }
        new x509.Extension(AAGUID_EXTENSION_OID, false, Uint8Array.of(0x04, 0x10, ...aaguid)),
        // BIT STRING with only uSB (bit 2) set
        new x509.Extension(
          FIDO_TRANSPORTS_EXTENSION_OID,
          false,
          Uint8Array.of(0x03, 0x02, 0x05, 0x20),
        ),
        ...extra,
      ],
    },
    crypto,
  );
  return {
    certificate: new Uint8Array(leaf.rawData),
    rootCertificate: new Uint8Array(root.rawData),
    rootPem: root.toString('pem'),
    privateKey: ecPrivateKeyObject(leafKey),
  };
}

const roots = new Map<string, Promise<x509.X509Certificate>>();

/** The root of `rootSeed`: the published one for the default seed, issued once per process otherwise. */
function rootCertificate(
  rootSeed: string,
  rootKeys: CryptoKeyPair,
  crypto: Crypto,
): Promise<x509.X509Certificate> {
  let root = roots.get(rootSeed);
  if (!root) {
    root =
      rootSeed === VIRTUAL_ATTESTATION_ROOT_SEED
        ? publishedRoot(rootKeys, crypto)
        : issueRoot(rootKeys, crypto);
    roots.set(rootSeed, root);
  }
  return root;
}

async function issueRoot(rootKeys: CryptoKeyPair, crypto: Crypto): Promise<x509.X509Certificate> {
  return x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: '01',
      name: ROOT_NAME,
      notBefore: NOT_BEFORE,
      notAfter: NOT_AFTER,
      signingAlgorithm: SIGNING,
      keys: rootKeys,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
          true,
        ),
        await x509.SubjectKeyIdentifierExtension.create(rootKeys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
}

async function publishedRoot(
  rootKeys: CryptoKeyPair,
  crypto: Crypto,
): Promise<x509.X509Certificate> {
  const root = new x509.X509Certificate(VIRTUAL_ATTESTATION_ROOT_PEM);
  const published = Buffer.from(root.publicKey.rawData);
  const derived = Buffer.from(await crypto.subtle.exportKey('spki', rootKeys.publicKey));
  if (!published.equals(derived))
    throw new Error('The published software-key attestation root does not match its seed.');
  return root;
}

async function importPair(crypto: Crypto, key: EcKeyMaterial): Promise<CryptoKeyPair> {
  return {
    privateKey: await crypto.subtle.importKey('jwk', ecJwk(key, true), ECDSA, true, ['sign']),
    publicKey: await crypto.subtle.importKey('jwk', ecJwk(key, false), ECDSA, true, ['verify']),
  };
}
