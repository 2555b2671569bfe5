import { createHash } from 'node:crypto';
import { verifyRegistrationResponse } from '@simplewebauthn/server';
import {
  convertCertBufferToPEM,
  decodeAttestationObject,
  decodeClientDataJSON,
  validateCertificatePath,
} from '@simplewebauthn/server/helpers';
// @peculiar/x509 resolves its algorithms through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { RegistrationRefusal } from './registration-refusal.ts';

/** The algorithms Entra's creation options offer (pubKeyCredParams): ES256, RS256. */
export const OFFERED_ALGORITHMS: readonly number[] = [-7, -257];

/** id-fido-u2f-ce-transports: a BIT STRING of bluetoothRadio, bluetoothLowEnergy, uSB, nFC, uSBInternal. */
const TRANSPORTS_EXTENSION = '1.3.6.1.4.1.45724.2.1.1';
const TRANSPORT_BITS = ['ble', 'ble', 'usb', 'nfc', 'internal'] as const;

export interface WebAuthnRegistration {
  fmt: string;
  /** none, self (packed without x5c) or full (packed with x5c). */
  attestationType: 'none' | 'self' | 'full';
  credentialId: string;
  /** COSE key bytes, as in authenticatorData. */
  publicKey: Uint8Array;
  signCount: number;
  aaguid: string;
  backupEligible: boolean;
  /** DER certificates of x5c, leaf first (empty without full attestation). */
  x5c: Uint8Array<ArrayBuffer>[];
  /** SHA-1 thumbprints (hex) of the x5c certificates, as Graph lists them. */
  certificateThumbprints: string[];
  transports: string[];
}

/** The parts of clientDataJSON Entra's rules read, decoded by @simplewebauthn/server. */
export function readClientData(clientDataJSON: string): {
  challenge: string;
  crossOrigin: boolean;
} {
  try {
    const data = decodeClientDataJSON(clientDataJSON);
    if (typeof data.challenge !== 'string') throw new Error('clientDataJSON has no challenge.');
    return { challenge: data.challenge, crossOrigin: data.crossOrigin === true };
  } catch (cause) {
    throw new RegistrationRefusal(
      'invalidClientData',
      `clientDataJSON does not decode: ${(cause as Error).message}`,
    );
  }
}

/** The attestation format, decoded by @simplewebauthn/server, before anything is verified. */
export function readAttestationFormat(attestationObject: string): string {
  try {
    return decodeAttestationObject(Buffer.from(attestationObject, 'base64url')).get('fmt');
  } catch (cause) {
    throw new RegistrationRefusal(
      'invalidAttestation',
      `attestationObject does not decode: ${(cause as Error).message}`,
    );
  }
}

/**
 * WebAuthn's registration checks (§7.1), done by @simplewebauthn/server rather than the
 * project's own parsers in core/webauthn, so a bug there cannot pass on both sides: clientData
 * type, challenge (through `isOurChallenge`), origin; rpIdHash; UP and UV; the offered
 * algorithms; and the attestation statement's signature and certificate rules. Trust in the
 * chain is not decided here (the library checks no path without roots): see `chainTrusted`.
 */
export async function verifyWebAuthnRegistration(input: {
  id: string;
  clientDataJSON: string;
  attestationObject: string;
  rpId: string;
  isOurChallenge: (challenge: string) => boolean | Promise<boolean>;
}): Promise<WebAuthnRegistration> {
  let verified: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
  try {
    verified = await verifyRegistrationResponse({
      response: {
        id: input.id,
        rawId: input.id,
        type: 'public-key',
        response: {
          clientDataJSON: input.clientDataJSON,
          attestationObject: input.attestationObject,
        },
        clientExtensionResults: {},
      },
      expectedChallenge: input.isOurChallenge,
      expectedOrigin: `https://${input.rpId}`,
      expectedRPID: input.rpId,
      expectedType: 'webauthn.create',
      requireUserPresence: true,
      requireUserVerification: true,
      supportedAlgorithmIDs: [...OFFERED_ALGORITHMS],
    });
  } catch (cause) {
    const message = (cause as Error).message;
    const aboutClientData = /challenge|origin|registration response type|tokenBinding/i.test(
      message,
    );
    throw new RegistrationRefusal(
      aboutClientData ? 'invalidClientData' : 'invalidAttestation',
      `@simplewebauthn/server: ${message}`,
    );
  }
  if (!verified.verified)
    throw new RegistrationRefusal(
      'invalidAttestation',
      '@simplewebauthn/server: the attestation signature does not verify.',
    );
  const info = verified.registrationInfo;
  const attStmt = decodeAttestationObject(info.attestationObject).get('attStmt');
  const x5c = (attStmt.get('x5c') ?? []).map((der) => new Uint8Array(der));
  return {
    fmt: info.fmt,
    attestationType: info.fmt === 'none' ? 'none' : x5c.length > 0 ? 'full' : 'self',
    credentialId: info.credential.id,
    publicKey: new Uint8Array(info.credential.publicKey),
    signCount: info.credential.counter,
    aaguid: info.aaguid.toLowerCase(),
    backupEligible: info.credentialDeviceType === 'multiDevice',
    x5c,
    certificateThumbprints: x5c.map((c) => createHash('sha1').update(c).digest('hex')),
    transports: x5c[0] ? transportsOf(x5c[0]) : [],
  };
}

/**
 * Whether a full attestation chains to one of `rootsPem`, checked by @simplewebauthn/server
 * (path and validity); undefined when it does, else why not.
 */
export async function chainTrusted(
  x5c: readonly Uint8Array<ArrayBuffer>[],
  rootsPem: readonly string[],
): Promise<string | undefined> {
  if (x5c.length === 0) return 'no attestation certificate';
  if (rootsPem.length === 0) return 'no trusted root is listed for this authenticator';
  try {
    await validateCertificatePath(
      x5c.map((c) => convertCertBufferToPEM(c)),
      [...rootsPem],
    );
    return undefined;
  } catch (cause) {
    return `the chain does not lead to a trusted attestation root (${(cause as Error).message})`;
  }
}

function transportsOf(der: Uint8Array<ArrayBuffer>): string[] {
  const extension = new x509.X509Certificate(der).getExtension(TRANSPORTS_EXTENSION);
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
