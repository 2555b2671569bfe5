import { CborMapReader } from '../../core/cbor/cbor-map-reader.ts';
import type { CborInput, CborKey, CborValue } from '../../core/cbor/cbor-value.ts';
import { parseCoseKey, type CoseKey } from '../../core/webauthn/cose-key.ts';
import {
  parseDescriptor,
  parseRp,
  parseUser,
  type CredentialDescriptor,
  type RelyingPartyEntity,
  type UserEntity,
} from './webauthn-entities.ts';

/** authenticatorCredentialManagement parameters (CTAP 2.1 §6.8). */
export const CredentialManagementParam = {
  subCommand: 0x01,
  subCommandParams: 0x02,
  pinUvAuthProtocol: 0x03,
  pinUvAuthParam: 0x04,
} as const;

export const CredentialManagementSubCommand = {
  GET_CREDS_METADATA: 0x01,
  ENUMERATE_RPS_BEGIN: 0x02,
  ENUMERATE_RPS_GET_NEXT_RP: 0x03,
  ENUMERATE_CREDENTIALS_BEGIN: 0x04,
  ENUMERATE_CREDENTIALS_GET_NEXT_CREDENTIAL: 0x05,
  DELETE_CREDENTIAL: 0x06,
  UPDATE_USER_INFORMATION: 0x07,
} as const;

export const CredentialManagementSubParam = {
  rpIdHash: 0x01,
  credentialId: 0x02,
  user: 0x03,
} as const;

export const CredentialManagementResult = {
  existingResidentCredentialsCount: 0x01,
  maxPossibleRemainingResidentCredentialsCount: 0x02,
  rp: 0x03,
  rpIdHash: 0x04,
  totalRps: 0x05,
  user: 0x06,
  credentialId: 0x07,
  publicKey: 0x08,
  totalCredentials: 0x09,
  credProtect: 0x0a,
  largeBlobKey: 0x0b,
  thirdPartyPayment: 0x0c,
} as const;

export interface CredentialManagementRequest {
  subCommand: number;
  subCommandParams?: ReadonlyMap<number, CborInput | undefined>;
  pinUvAuthProtocol?: number;
  pinUvAuthParam?: Uint8Array;
}

export interface CredentialManagementResponse {
  existingResidentCredentialsCount?: number;
  maxPossibleRemainingResidentCredentialsCount?: number;
  rp?: RelyingPartyEntity;
  rpIdHash?: Uint8Array;
  totalRps?: number;
  user?: UserEntity;
  credentialId?: CredentialDescriptor;
  publicKey?: CoseKey;
  totalCredentials?: number;
  credProtect?: number;
  largeBlobKey?: Uint8Array;
  thirdPartyPayment?: boolean;
  unknown: Map<CborKey, CborValue>;
}

export function encodeCredentialManagementRequest(request: CredentialManagementRequest): CborInput {
  const P = CredentialManagementParam;
  return new Map<number, CborInput | undefined>([
    [P.subCommand, request.subCommand],
    [P.subCommandParams, request.subCommandParams],
    [P.pinUvAuthProtocol, request.pinUvAuthProtocol],
    [P.pinUvAuthParam, request.pinUvAuthParam],
  ]);
}

export function parseCredentialManagementResponse(
  value: CborValue | undefined,
): CredentialManagementResponse {
  if (value === undefined) return { unknown: new Map() };
  const R = CredentialManagementResult;
  const r = new CborMapReader(value, 'credentialManagement response');
  const out: CredentialManagementResponse = { unknown: r.unknownEntries(Object.values(R)) };
  const set = <K extends keyof CredentialManagementResponse>(
    key: K,
    v: CredentialManagementResponse[K] | undefined,
  ): void => {
    if (v !== undefined) out[key] = v;
  };
  set(
    'existingResidentCredentialsCount',
    r.optionalUint(R.existingResidentCredentialsCount, 'existingResidentCredentialsCount'),
  );
  set(
    'maxPossibleRemainingResidentCredentialsCount',
    r.optionalUint(
      R.maxPossibleRemainingResidentCredentialsCount,
      'maxPossibleRemainingResidentCredentialsCount',
    ),
  );
  if (r.has(R.rp)) out.rp = parseRp(r.raw(R.rp), 'credentialManagement response: rp');
  set('rpIdHash', r.optionalBytes(R.rpIdHash, 'rpIDHash', 32));
  set('totalRps', r.optionalUint(R.totalRps, 'totalRPs'));
  if (r.has(R.user)) out.user = parseUser(r.raw(R.user), 'credentialManagement response: user');
  if (r.has(R.credentialId))
    out.credentialId = parseDescriptor(
      r.raw(R.credentialId),
      'credentialManagement response: credentialID',
    );
  if (r.has(R.publicKey))
    out.publicKey = parseCoseKey(r.raw(R.publicKey), 'credentialManagement response: publicKey');
  set('totalCredentials', r.optionalUint(R.totalCredentials, 'totalCredentials'));
  set('credProtect', r.optionalUint(R.credProtect, 'credProtect'));
  set('largeBlobKey', r.optionalBytes(R.largeBlobKey, 'largeBlobKey'));
  set('thirdPartyPayment', r.optionalBool(R.thirdPartyPayment, 'thirdPartyPayment'));
  return out;
}
