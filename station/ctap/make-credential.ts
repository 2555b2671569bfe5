import { CborMapReader } from '../../core/cbor/cbor-map-reader.ts';
import type { CborInput, CborKey, CborValue } from '../../core/cbor/cbor-value.ts';
import {
  parseAuthenticatorData,
  type AuthenticatorData,
} from '../../core/webauthn/authenticator-data.ts';
import {
  encodeDescriptor,
  encodeRp,
  encodeUser,
  type CredentialDescriptor,
  type CredentialParameters,
  type RelyingPartyEntity,
  type UserEntity,
} from './webauthn-entities.ts';

/** authenticatorMakeCredential parameters (CTAP 2.1 §6.1). */
export const MakeCredentialParam = {
  clientDataHash: 0x01,
  rp: 0x02,
  user: 0x03,
  pubKeyCredParams: 0x04,
  excludeList: 0x05,
  extensions: 0x06,
  options: 0x07,
  pinUvAuthParam: 0x08,
  pinUvAuthProtocol: 0x09,
  enterpriseAttestation: 0x0a,
} as const;

export const MakeCredentialResult = {
  fmt: 0x01,
  authData: 0x02,
  attStmt: 0x03,
  epAtt: 0x04,
  largeBlobKey: 0x05,
  unsignedExtensionOutputs: 0x06,
} as const;

export interface MakeCredentialRequest {
  clientDataHash: Uint8Array;
  rp: RelyingPartyEntity;
  user: UserEntity;
  pubKeyCredParams: CredentialParameters[];
  excludeList?: CredentialDescriptor[];
  /** Authenticator extension inputs by identifier, e.g. { credProtect: 1, 'hmac-secret': true }. */
  extensions?: Record<string, CborInput>;
  options?: { rk?: boolean; up?: boolean; uv?: boolean };
  pinUvAuthParam?: Uint8Array;
  pinUvAuthProtocol?: number;
  /** 1 = vendor-facilitated, 2 = platform-managed (only when getInfo options.ep is true). */
  enterpriseAttestation?: 1 | 2;
}

export interface MakeCredentialResponse {
  fmt: string;
  authData: Uint8Array;
  authenticatorData: AuthenticatorData;
  attStmt: Map<CborKey, CborValue>;
  epAtt?: boolean;
  largeBlobKey?: Uint8Array;
  unsignedExtensionOutputs?: Map<CborKey, CborValue>;
  unknown: Map<CborKey, CborValue>;
}

export function encodeMakeCredentialRequest(request: MakeCredentialRequest): CborInput {
  const P = MakeCredentialParam;
  const options =
    request.options && Object.values(request.options).some((v) => v !== undefined)
      ? request.options
      : undefined;
  return new Map<number, CborInput | undefined>([
    [P.clientDataHash, request.clientDataHash],
    [P.rp, encodeRp(request.rp)],
    [P.user, encodeUser(request.user)],
    [P.pubKeyCredParams, request.pubKeyCredParams.map((p) => ({ alg: p.alg, type: p.type }))],
    [
      P.excludeList,
      request.excludeList && request.excludeList.length > 0
        ? request.excludeList.map(encodeDescriptor)
        : undefined,
    ],
    [
      P.extensions,
      request.extensions && Object.keys(request.extensions).length > 0
        ? request.extensions
        : undefined,
    ],
    [P.options, options],
    [P.pinUvAuthParam, request.pinUvAuthParam],
    [P.pinUvAuthProtocol, request.pinUvAuthProtocol],
    [P.enterpriseAttestation, request.enterpriseAttestation],
  ]);
}

export function parseMakeCredentialResponse(value: CborValue | undefined): MakeCredentialResponse {
  const R = MakeCredentialResult;
  const r = new CborMapReader(value, 'makeCredential response');
  const authData = r.bytes(R.authData, 'authData');
  const attStmt = r.map(R.attStmt, 'attStmt').entries;
  const response: MakeCredentialResponse = {
    fmt: r.text(R.fmt, 'fmt'),
    authData,
    authenticatorData: parseAuthenticatorData(authData),
    attStmt: new Map(attStmt),
    unknown: r.unknownEntries(Object.values(R)),
  };
  const epAtt = r.optionalBool(R.epAtt, 'epAtt');
  if (epAtt !== undefined) response.epAtt = epAtt;
  const largeBlobKey = r.optionalBytes(R.largeBlobKey, 'largeBlobKey');
  if (largeBlobKey) response.largeBlobKey = largeBlobKey;
  const unsigned = r.optionalMap(R.unsignedExtensionOutputs, 'unsignedExtensionOutputs');
  if (unsigned) response.unsignedExtensionOutputs = new Map(unsigned.entries);
  return response;
}
