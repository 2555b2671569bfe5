import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { concatBytes, fromHex, toHex } from '../../../core/bytes.ts';
import { decodeCanonical, encodeCanonical } from '../../../core/cbor/canonical-cbor.ts';
import type { CborInput } from '../../../core/cbor/cbor-value.ts';
import {
  CredentialManagementSubCommand as Sub,
  CredentialManagementSubParam as SubParam,
  encodeCredentialManagementRequest,
  parseCredentialManagementResponse,
  type CredentialManagementRequest,
} from '../../../station/ctap/credential-management-command.ts';
import { encodeDescriptor, encodeUser } from '../../../station/ctap/webauthn-entities.ts';
import * as kanidm from '../../vectors/kanidm.ts';
import * as libfido2 from '../../vectors/libfido2-wiredata.ts';

const AUTH = { pinUvAuthProtocol: 2, pinUvAuthParam: kanidm.CREDMAN_PIN_UV_AUTH_PARAM };
const RP_ID_HASH = kanidm.CREDMAN_ENUMERATE_CREDENTIALS_BEGIN_MAC_INPUT.subarray(5);
const parse = (cbor: Uint8Array): ReturnType<typeof parseCredentialManagementResponse> =>
  parseCredentialManagementResponse(decodeCanonical(cbor));
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Command byte 0x0a ‖ canonical CBOR of the request. */
const wire = (request: CredentialManagementRequest): string =>
  toHex(
    concatBytes([Uint8Array.of(0x0a), encodeCanonical(encodeCredentialManagementRequest(request))]),
  );

describe('credentialManagement requests (kanidm)', () => {
  it('encodes getCredsMetadata, enumerateRPsBegin and enumerateRPsGetNextRP', () => {
    expect(wire({ subCommand: Sub.GET_CREDS_METADATA, ...AUTH })).toBe(
      toHex(kanidm.CREDMAN_GET_CREDS_METADATA_REQUEST),
    );
    expect(wire({ subCommand: Sub.ENUMERATE_RPS_BEGIN, ...AUTH })).toBe(
      toHex(kanidm.CREDMAN_ENUMERATE_RPS_BEGIN_REQUEST),
    );
    expect(wire({ subCommand: Sub.ENUMERATE_RPS_GET_NEXT_RP })).toBe(
      toHex(kanidm.CREDMAN_ENUMERATE_RPS_NEXT_REQUEST),
    );
  });

  it('encodes enumerateCredentialsBegin, whose MAC covers subCommand ‖ subCommandParams', () => {
    const subCommandParams = new Map<number, CborInput>([[SubParam.rpIdHash, RP_ID_HASH]]);
    expect(
      toHex(
        concatBytes([
          Uint8Array.of(Sub.ENUMERATE_CREDENTIALS_BEGIN),
          encodeCanonical(subCommandParams),
        ]),
      ),
    ).toBe(toHex(kanidm.CREDMAN_ENUMERATE_CREDENTIALS_BEGIN_MAC_INPUT));
    expect(wire({ subCommand: Sub.ENUMERATE_CREDENTIALS_BEGIN, subCommandParams, ...AUTH })).toBe(
      toHex(kanidm.CREDMAN_ENUMERATE_CREDENTIALS_BEGIN_REQUEST),
    );
  });

  it('encodes updateUserInformation with the credential descriptor and the new user', () => {
    const response = parse(kanidm.CREDMAN_ENUMERATE_CREDENTIALS_BEGIN_RESPONSE);
    const subCommandParams = new Map<number, CborInput>([
      [SubParam.credentialId, encodeDescriptor(response.credentialId!)],
      [SubParam.user, encodeUser(response.user!)],
    ]);
    expect(wire({ subCommand: Sub.UPDATE_USER_INFORMATION, subCommandParams, ...AUTH })).toBe(
      toHex(kanidm.CREDMAN_UPDATE_USER_INFORMATION_REQUEST),
    );
  });
});

describe('credentialManagement responses', () => {
  it('reads getCredsMetadata counts from kanidm and libfido2', () => {
    expect(parse(kanidm.CREDMAN_GET_CREDS_METADATA_RESPONSE)).toMatchObject({
      existingResidentCredentialsCount: 3,
      maxPossibleRemainingResidentCredentialsCount: 22,
    });
    expect(parse(libfido2.CBOR_CREDMAN_META_PAYLOAD.subarray(1))).toMatchObject({
      existingResidentCredentialsCount: 0,
      maxPossibleRemainingResidentCredentialsCount: 25,
    });
  });

  it('reads enumerateRPsBegin with and without a name, and a YubiKey with no RPs', () => {
    const idOnly = parse(kanidm.CREDMAN_ENUMERATE_RPS_BEGIN_RESPONSE);
    expect(idOnly.rp).toEqual({ id: 'webauthn.firstyear.id.au' });
    expect(toHex(idOnly.rpIdHash!)).toBe(sha256('webauthn.firstyear.id.au'));
    expect(idOnly.totalRps).toBe(2);
    const named = parse(kanidm.CREDMAN_ENUMERATE_RPS_BEGIN_RESPONSE_ICON);
    expect(named.rp).toEqual({
      id: 'webauthntest.azurewebsites.net',
      name: 'WebAuthn Test Server',
    });
    expect(named.totalRps).toBe(3);
    expect(parse(kanidm.CREDMAN_ENUMERATE_RPS_NONE)).toEqual({ totalRps: 0, unknown: new Map() });
    expect(parse(kanidm.CREDMAN_ENUMERATE_RPS_NEXT_RESPONSE).rp?.id).toBe(
      'webauthntest.identitystandards.io',
    );
  });

  it('reads the libfido2 RP list, whose hashes are SHA-256 of the RP ids', () => {
    const rps = libfido2.CBOR_CREDMAN_RPLIST_PAYLOADS.map((p) => parse(p.subarray(1)));
    expect(rps.map((r) => r.rp?.id)).toEqual(['yubico.com', 'yubikey.org', 'webauthn.dev']);
    expect(rps.map((r) => toHex(r.rpIdHash!))).toEqual(rps.map((r) => sha256(r.rp!.id)));
    expect(rps.map((r) => r.totalRps)).toEqual([3, undefined, undefined]);
  });

  it('reads enumerateCredentialsBegin: user, credential id, ES256 key, credProtect, largeBlobKey', () => {
    const response = parse(kanidm.CREDMAN_ENUMERATE_CREDENTIALS_BEGIN_RESPONSE);
    expect(response.user).toEqual({
      id: new TextEncoder().encode('alice@example.com'),
      name: 'allison@example.com',
      displayName: 'Allison Doe',
    });
    expect(response.credentialId).toEqual({
      type: 'public-key',
      id: fromHex('3924dbf7ba5de8829c69ee10158976f1'),
    });
    expect(response.publicKey).toMatchObject({ kty: 2, alg: -7, crv: 1 });
    expect(response.totalCredentials).toBe(2);
    expect(response.credProtect).toBe(1);
    expect(response.largeBlobKey).toHaveLength(32);
  });

  it('reads the five libfido2 resident credentials, ES256 and EdDSA', () => {
    const credentials = libfido2.CBOR_CREDMAN_RKLIST_PAYLOADS.map((p) => parse(p.subarray(1)));
    expect(credentials[0]!.totalCredentials).toBe(5);
    expect(credentials.map((c) => c.publicKey!.alg)).toEqual([-7, -8, -8, -7, -7]);
    expect(credentials.map((c) => c.publicKey!.kty)).toEqual([2, 1, 1, 2, 2]);
    expect(new Set(credentials.map((c) => c.user!.name))).toEqual(new Set(['bob banana']));
    expect(credentials.every((c) => c.credProtect === 1)).toBe(true);
  });

  it('gives an empty response for an empty answer (Feitian keys with no RPs)', () => {
    expect(parseCredentialManagementResponse(undefined)).toEqual({ unknown: new Map() });
  });
});
