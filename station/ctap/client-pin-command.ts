import { CborMapReader } from '../../core/cbor/cbor-map-reader.ts';
import type { CborInput, CborKey, CborValue } from '../../core/cbor/cbor-value.ts';
import { encodeCoseKey, parseCoseKey, type CoseKey } from '../../core/webauthn/cose-key.ts';

/** authenticatorClientPIN parameters (CTAP 2.1 §6.5.5). */
export const ClientPinParam = {
  pinUvAuthProtocol: 0x01,
  subCommand: 0x02,
  keyAgreement: 0x03,
  pinUvAuthParam: 0x04,
  newPinEnc: 0x05,
  pinHashEnc: 0x06,
  permissions: 0x09,
  rpId: 0x0a,
} as const;

export const ClientPinSubCommand = {
  GET_PIN_RETRIES: 0x01,
  GET_KEY_AGREEMENT: 0x02,
  SET_PIN: 0x03,
  CHANGE_PIN: 0x04,
  GET_PIN_TOKEN: 0x05,
  GET_PIN_UV_AUTH_TOKEN_USING_UV_WITH_PERMISSIONS: 0x06,
  GET_UV_RETRIES: 0x07,
  GET_PIN_UV_AUTH_TOKEN_USING_PIN_WITH_PERMISSIONS: 0x09,
} as const;

export const ClientPinResult = {
  keyAgreement: 0x01,
  pinUvAuthToken: 0x02,
  pinRetries: 0x03,
  powerCycleState: 0x04,
  uvRetries: 0x05,
} as const;

const SUBCOMMAND_NAMES: Record<number, string> = {
  0x01: 'getPINRetries',
  0x02: 'getKeyAgreement',
  0x03: 'setPIN',
  0x04: 'changePIN',
  0x05: 'getPinToken',
  0x06: 'getPinUvAuthTokenUsingUvWithPermissions',
  0x07: 'getUVRetries',
  0x09: 'getPinUvAuthTokenUsingPinWithPermissions',
};

export function clientPinSubCommandName(subCommand: number): string {
  return SUBCOMMAND_NAMES[subCommand] ?? `subcommand 0x${subCommand.toString(16)}`;
}

export interface ClientPinRequest {
  pinUvAuthProtocol?: number;
  subCommand: number;
  keyAgreement?: CoseKey;
  pinUvAuthParam?: Uint8Array;
  newPinEnc?: Uint8Array;
  pinHashEnc?: Uint8Array;
  permissions?: number;
  rpId?: string;
}

export interface ClientPinResponse {
  keyAgreement?: CoseKey;
  pinUvAuthToken?: Uint8Array;
  pinRetries?: number;
  powerCycleState?: boolean;
  uvRetries?: number;
  unknown: Map<CborKey, CborValue>;
}

export function encodeClientPinRequest(request: ClientPinRequest): CborInput {
  const P = ClientPinParam;
  return new Map<number, CborInput | undefined>([
    [P.pinUvAuthProtocol, request.pinUvAuthProtocol],
    [P.subCommand, request.subCommand],
    [P.keyAgreement, request.keyAgreement ? encodeCoseKey(request.keyAgreement) : undefined],
    [P.pinUvAuthParam, request.pinUvAuthParam],
    [P.newPinEnc, request.newPinEnc],
    [P.pinHashEnc, request.pinHashEnc],
    [P.permissions, request.permissions],
    [P.rpId, request.rpId],
  ]);
}

/** Parses a clientPIN answer; an empty answer (setPIN, changePIN) yields an empty response. */
export function parseClientPinResponse(value: CborValue | undefined): ClientPinResponse {
  if (value === undefined) return { unknown: new Map() };
  const R = ClientPinResult;
  const r = new CborMapReader(value, 'clientPIN response');
  const response: ClientPinResponse = { unknown: r.unknownEntries(Object.values(R)) };
  if (r.has(R.keyAgreement))
    response.keyAgreement = parseCoseKey(r.raw(R.keyAgreement), 'clientPIN keyAgreement');
  const token = r.optionalBytes(R.pinUvAuthToken, 'pinUvAuthToken');
  if (token) response.pinUvAuthToken = token;
  const retries = r.optionalUint(R.pinRetries, 'pinRetries');
  if (retries !== undefined) response.pinRetries = retries;
  const powerCycle = r.optionalBool(R.powerCycleState, 'powerCycleState');
  if (powerCycle !== undefined) response.powerCycleState = powerCycle;
  const uvRetries = r.optionalUint(R.uvRetries, 'uvRetries');
  if (uvRetries !== undefined) response.uvRetries = uvRetries;
  return response;
}
