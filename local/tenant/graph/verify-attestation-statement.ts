import { X509Certificate, createHash, verify } from 'node:crypto';
// @peculiar/x509 resolves its algorithms through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { concatBytes } from '../../../core/bytes.ts';
import type { CborKey, CborValue } from '../../../core/cbor/cbor-value.ts';
import { formatAaguid } from '../../../core/webauthn/aaguid.ts';
import type { AttestedCredentialData } from '../../../core/webauthn/authenticator-data.ts';
import { CoseAlgorithm, verifyCoseSignature } from '../../../core/webauthn/cose-key.ts';
import { RegistrationRefusal } from './registration-refusal.ts';

/** id-fido-gen-ce-aaguid (WebAuthn L3 §8.2.1). */
const AAGUID_EXTENSION = '1.3.6.1.4.1.45724.1.1.4';
/** id-fido-u2f-ce-transports: a BIT STRING of bluetoothRadio, bluetoothLowEnergy, uSB, nFC, uSBInternal. */
const TRANSPORTS_EXTENSION = '1.3.6.1.4.1.45724.2.1.1';
const TRANSPORT_BITS = ['ble', 'ble', 'usb', 'nfc', 'internal'] as const;

export interface AttestationVerdict {
  type: 'none' | 'self' | 'full';
  /** A full chain to one of the trusted roots, valid now. */
  trusted: boolean;
  /** SHA-1 thumbprints (hex) of the x5c certificates, as Graph lists them. */
  certificateThumbprints: string[];
  /** From the attestation certificate's transports extension, when it has one. */
  transports: string[];
  /** Why a full chain was not trusted (for the recorded refusal detail). */
  untrustedReason: string | undefined;
}

/**
 * Verifies a `packed` or `none` attestation statement (WebAuthn L3 §8.2, §8.7), the only two
 * formats Entra accepts. A signature that does not verify, or a certificate that breaks the
 * packed rules, is invalidAttestation; whether the statement is *trusted* (full attestation
 * chaining to a configured root) is reported, and the caller decides against the policy.
 */
export function verifyAttestationStatement(
  fmt: string,
  attStmt: ReadonlyMap<CborKey, CborValue>,
  authData: Uint8Array,
  credential: AttestedCredentialData,
  clientDataHash: Uint8Array,
  trustedRoots: readonly X509Certificate[],
  now: Date,
): AttestationVerdict {
  const invalid = (detail: string): never => {
    throw new RegistrationRefusal('invalidAttestation', detail);
  };
  if (fmt === 'none') {
    if (attStmt.size !== 0) invalid('A "none" attestation statement must be empty.');
    return {
      type: 'none',
      trusted: false,
      certificateThumbprints: [],
      transports: [],
      untrustedReason: 'no attestation',
    };
  }
  if (fmt !== 'packed')
    invalid(`Attestation format "${fmt}" is not accepted; only "packed" and "none" are.`);
  const alg = attStmt.get('alg');
  const sig = attStmt.get('sig');
  const x5c = attStmt.get('x5c');
  if (typeof alg !== 'number' || !(sig instanceof Uint8Array))
    invalid('packed attStmt needs an integer alg and a byte string sig.');
  if (attStmt.has('ecdaaKeyId')) invalid('ECDAA attestation is not supported.');
  const signedData = concatBytes([authData, clientDataHash]);
  const algorithm = alg as number;
  const signature = sig as Uint8Array;

  if (x5c === undefined) {
    // Self attestation: signed by the credential key itself, with its algorithm.
    if (algorithm !== credential.publicKey.alg) {
      invalid(
        `Self attestation alg ${algorithm} differs from the credential key's alg ${credential.publicKey.alg}.`,
      );
    }
    if (!safeVerify(() => verifyCoseSignature(credential.publicKey, signedData, signature))) {
      invalid('The self-attestation signature does not verify with the credential public key.');
    }
    return {
      type: 'self',
      trusted: false,
      certificateThumbprints: [],
      transports: [],
      untrustedReason: 'self attestation',
    };
  }

  if (!Array.isArray(x5c) || x5c.length === 0 || !x5c.every((c) => c instanceof Uint8Array)) {
    invalid('packed x5c must be a non-empty array of DER certificates.');
  }
  let chain: X509Certificate[] = [];
  try {
    chain = (x5c as Uint8Array[]).map((der) => new X509Certificate(der));
  } catch (cause) {
    invalid(`An x5c certificate does not parse: ${(cause as Error).message}`);
  }
  const leaf = chain[0]!;
  const hash =
    algorithm === CoseAlgorithm.ES256 || algorithm === CoseAlgorithm.RS256 ? 'sha256' : null;
  if (hash === null && algorithm !== CoseAlgorithm.EdDSA)
    invalid(`Attestation alg ${algorithm} is not supported.`);
  const signatureOk = safeVerify(() =>
    verify(
      hash,
      signedData,
      algorithm === CoseAlgorithm.ES256
        ? { key: leaf.publicKey, dsaEncoding: 'der' }
        : leaf.publicKey,
      signature,
    ),
  );
  if (!signatureOk)
    invalid('The packed attestation signature does not verify with the x5c leaf certificate.');
  // Packed attestation certificate requirements (WebAuthn L3 §8.2.1).
  if (leaf.ca) invalid('The attestation certificate must not be a CA certificate.');
  if (!/(^|\n)OU=Authenticator Attestation(\n|$)/.test(leaf.subject)) {
    invalid('The attestation certificate subject must have OU "Authenticator Attestation".');
  }
  const parsed = new x509.X509Certificate(leaf.raw);
  const aaguidExtension = parsed.getExtension(AAGUID_EXTENSION);
  if (aaguidExtension) {
    const value = new Uint8Array(aaguidExtension.value);
    const certificateAaguid =
      value.length === 18 && value[0] === 0x04 && value[1] === 0x10 ? value.subarray(2) : undefined;
    if (!certificateAaguid || formatAaguid(certificateAaguid) !== formatAaguid(credential.aaguid)) {
      invalid(
        'The AAGUID in the attestation certificate does not match the one in authenticatorData.',
      );
    }
  }
  const chainProblem = checkChain(chain, trustedRoots, now);
  return {
    type: 'full',
    trusted: chainProblem === undefined,
    certificateThumbprints: chain.map((c) => createHash('sha1').update(c.raw).digest('hex')),
    transports: transportsOf(parsed),
    untrustedReason: chainProblem,
  };
}

/** Undefined when the chain leads to a trusted root, all certificates valid now; else why not. */
function checkChain(
  chain: readonly X509Certificate[],
  roots: readonly X509Certificate[],
  now: Date,
): string | undefined {
  const validNow = (c: X509Certificate) =>
    new Date(c.validFrom) <= now && now <= new Date(c.validTo);
  for (let i = 0; i < chain.length; i++) {
    const certificate = chain[i]!;
    if (!validNow(certificate))
      return `x5c[${i}] (${certificate.subject.replace(/\n/g, ', ')}) is not valid now`;
    const issuer = chain[i + 1];
    if (issuer) {
      if (!issuer.ca || !certificate.checkIssued(issuer) || !certificate.verify(issuer.publicKey)) {
        return `x5c[${i}] is not signed by x5c[${i + 1}]`;
      }
      continue;
    }
    const root = roots.find(
      (r) =>
        validNow(r) &&
        (r.fingerprint256 === certificate.fingerprint256 ||
          (certificate.checkIssued(r) && certificate.verify(r.publicKey))),
    );
    if (!root)
      return `the chain does not lead to a trusted attestation root (issuer: ${certificate.issuer.replace(/\n/g, ', ')})`;
  }
  return undefined;
}

function transportsOf(certificate: x509.X509Certificate): string[] {
  const extension = certificate.getExtension(TRANSPORTS_EXTENSION);
  if (!extension) return [];
  const value = new Uint8Array(extension.value);
  // BIT STRING: 0x03, length, unused bits, then the bits, most significant first.
  if (value[0] !== 0x03 || value.length < 3) return [];
  const transports = new Set<string>();
  TRANSPORT_BITS.forEach((name, bit) => {
    const byte = value[3 + Math.floor(bit / 8)];
    if (byte !== undefined && (byte & (0x80 >> (bit % 8))) !== 0) transports.add(name);
  });
  return [...transports];
}

function safeVerify(check: () => boolean): boolean {
  try {
    return check();
  } catch {
    return false;
  }
}
