import { CborMapReader } from '../../core/cbor/cbor-map-reader.ts';
import type { CborInput, CborKey, CborValue } from '../../core/cbor/cbor-value.ts';
import {
  parseAuthenticatorData,
  type AuthenticatorData,
} from '../../core/webauthn/authenticator-data.ts';
import {
  encodeDescriptor,
  parseDescriptor,
  parseUser,
  type CredentialDescriptor,
  type UserEntity,
} from './webauthn-entities.ts';

/** authenticatorGetAssertion parameters (CTAP 2.1 §6.2). */
export const GetAssertionParam = {
  rpId: 0x01,
  clientDataHash: 0x02,
  allowList: 0x03,
  extensions: 0x04,
  options: 0x05,
  pinUvAuthParam: 0x06,
  pinUvAuthProtocol: 0x07,
} as const;

export const GetAssertionResult = {
  credential: 0x01,
  authData: 0x02,
  signature: 0x03,
  user: 0x04,
  numberOfCredentials: 0x05,
  userSelected: 0x06,
  largeBlobKey: 0x07,
} as const;

export interface GetAssertionRequest {
  rpId: string;
  clientDataHash: Uint8Array;
  allowList?: CredentialDescriptor[];
  extensions?: Record<string, CborInput>;
  options?: { up?: boolean; uv?: boolean };
  pinUvAuthParam?: Uint8Array;
  pinUvAuthProtocol?: number;
}

export interface GetAssertionResponse {
  /** Keys may omit it when the allowList had exactly one entry; Ctap2 fills it in then. */
  credential?: CredentialDescriptor;
  authData: Uint8Array;
  authenticatorData: AuthenticatorData;
  signature: Uint8Array;
  user?: UserEntity;
  numberOfCredentials?: number;
  userSelected?: boolean;
  largeBlobKey?: Uint8Array;
  unknown: Map<CborKey, CborValue>;
}

export function encodeGetAssertionRequest(request: GetAssertionRequest): CborInput {
  const P = GetAssertionParam;
  const options =
    request.options && Object.values(request.options).some((v) => v !== undefined)
      ? request.options
      : undefined;
  return new Map<number, CborInput | undefined>([
    [P.rpId, request.rpId],
    [P.clientDataHash, request.clientDataHash],
    [
      P.allowList,
      request.allowList && request.allowList.length > 0
        ? request.allowList.map(encodeDescriptor)
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
  ]);
}

export function parseGetAssertionResponse(value: CborValue | undefined): GetAssertionResponse {
  const R = GetAssertionResult;
  const r = new CborMapReader(value, 'getAssertion response');
  const authData = r.bytes(R.authData, 'authData');
  const response: GetAssertionResponse = {
    authData,
    authenticatorData: parseAuthenticatorData(authData),
    signature: r.bytes(R.signature, 'signature'),
    unknown: r.unknownEntries(Object.values(R)),
  };
  if (r.has(R.credential))
    response.credential = parseDescriptor(r.raw(R.credential), 'getAssertion response: credential');
  if (r.has(R.user)) response.user = parseUser(r.raw(R.user), 'getAssertion response: user');
  const count = r.optionalUint(R.numberOfCredentials, 'numberOfCredentials');
  if (count !== undefined) response.numberOfCredentials = count;
  const selected = r.optionalBool(R.userSelected, 'userSelected');
  if (selected !== undefined) response.userSelected = selected;
  const largeBlobKey = r.optionalBytes(R.largeBlobKey, 'largeBlobKey');
  if (largeBlobKey) response.largeBlobKey = largeBlobKey;
  return response;
}
