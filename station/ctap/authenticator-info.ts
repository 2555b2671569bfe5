import { CborError } from '../../core/cbor/cbor-error.ts';
import { CborMapReader } from '../../core/cbor/cbor-map-reader.ts';
import type { CborInput, CborKey, CborValue } from '../../core/cbor/cbor-value.ts';

/** authenticatorGetInfo response members (CTAP 2.1 §6.4, plus the CTAP 2.2 additions). */
export const AuthenticatorInfoKey = {
  versions: 0x01,
  extensions: 0x02,
  aaguid: 0x03,
  options: 0x04,
  maxMsgSize: 0x05,
  pinUvAuthProtocols: 0x06,
  maxCredentialCountInList: 0x07,
  maxCredentialIdLength: 0x08,
  transports: 0x09,
  algorithms: 0x0a,
  maxSerializedLargeBlobArray: 0x0b,
  forcePinChange: 0x0c,
  minPinLength: 0x0d,
  firmwareVersion: 0x0e,
  maxCredBlobLength: 0x0f,
  maxRpIdsForSetMinPinLength: 0x10,
  preferredPlatformUvAttempts: 0x11,
  uvModality: 0x12,
  certifications: 0x13,
  remainingDiscoverableCredentials: 0x14,
  vendorPrototypeConfigCommands: 0x15,
  attestationFormats: 0x16,
  uvCountSinceLastPinEntry: 0x17,
  longTouchForReset: 0x18,
  encIdentifier: 0x19,
  transportsForReset: 0x1a,
  pinComplexityPolicy: 0x1b,
  pinComplexityPolicyUrl: 0x1c,
  maxPinLength: 0x1d,
  encCredStoreState: 0x1e,
  authenticatorConfigCommands: 0x1f,
} as const;

export interface PublicKeyCredentialParametersInfo {
  type: string;
  alg: number;
}

export interface AuthenticatorInfo {
  versions: string[];
  extensions: string[];
  aaguid: Uint8Array;
  /** Absent option = unsupported; false = supported but not configured (e.g. clientPin before a PIN). */
  options: Record<string, boolean>;
  /** Default 1024 when the key does not say. */
  maxMsgSize: number;
  pinUvAuthProtocols: number[];
  maxCredentialCountInList?: number;
  maxCredentialIdLength?: number;
  transports: string[];
  algorithms?: PublicKeyCredentialParametersInfo[];
  maxSerializedLargeBlobArray?: number;
  /** Default false. */
  forcePinChange: boolean;
  /** Default 4. */
  minPinLength: number;
  firmwareVersion?: number;
  maxCredBlobLength?: number;
  maxRpIdsForSetMinPinLength?: number;
  preferredPlatformUvAttempts?: number;
  uvModality?: number;
  certifications?: Record<string, number>;
  remainingDiscoverableCredentials?: number;
  vendorPrototypeConfigCommands?: number[];
  attestationFormats?: string[];
  uvCountSinceLastPinEntry?: number;
  longTouchForReset?: boolean;
  encIdentifier?: Uint8Array;
  transportsForReset?: string[];
  pinComplexityPolicy?: boolean;
  pinComplexityPolicyUrl?: Uint8Array;
  maxPinLength?: number;
  encCredStoreState?: Uint8Array;
  authenticatorConfigCommands?: number[];
  /** Members this stack does not know yet, kept as decoded. */
  unknown: Map<CborKey, CborValue>;
}

const K = AuthenticatorInfoKey;

export function parseAuthenticatorInfo(value: CborValue | undefined): AuthenticatorInfo {
  const r = new CborMapReader(value, 'getInfo response');
  const options: Record<string, boolean> = {};
  const optionsReader = r.optionalMap(K.options, 'options');
  if (optionsReader) {
    for (const [key, flag] of optionsReader.entries) {
      if (typeof key !== 'string' || typeof flag !== 'boolean') {
        throw new CborError(
          'CBOR_UNEXPECTED_TYPE',
          'getInfo response: options must map text to booleans.',
        );
      }
      options[key] = flag;
    }
  }
  const algorithms = r.optionalArray(K.algorithms, 'algorithms')?.map((entry, index) => {
    const alg = new CborMapReader(entry, `getInfo response: algorithms[${index}]`);
    return { type: alg.text('type', 'type'), alg: alg.int('alg', 'alg') };
  });
  let certifications: Record<string, number> | undefined;
  const certReader = r.optionalMap(K.certifications, 'certifications');
  if (certReader) {
    certifications = {};
    for (const [key, level] of certReader.entries) {
      if (typeof key !== 'string' || typeof level !== 'number') {
        throw new CborError(
          'CBOR_UNEXPECTED_TYPE',
          'getInfo response: certifications must map text to integers.',
        );
      }
      certifications[key] = level;
    }
  }
  const info: AuthenticatorInfo = {
    versions: r.textArray(K.versions, 'versions'),
    extensions: r.optionalTextArray(K.extensions, 'extensions') ?? [],
    aaguid: r.bytes(K.aaguid, 'aaguid', 16),
    options,
    maxMsgSize: r.optionalUint(K.maxMsgSize, 'maxMsgSize') ?? 1024,
    pinUvAuthProtocols: r.optionalUintArray(K.pinUvAuthProtocols, 'pinUvAuthProtocols') ?? [],
    transports: r.optionalTextArray(K.transports, 'transports') ?? [],
    forcePinChange: r.optionalBool(K.forcePinChange, 'forcePINChange') ?? false,
    minPinLength: r.optionalUint(K.minPinLength, 'minPINLength') ?? 4,
    unknown: r.unknownEntries(Object.values(K)),
  };
  assign(
    info,
    'maxCredentialCountInList',
    r.optionalUint(K.maxCredentialCountInList, 'maxCredentialCountInList'),
  );
  assign(
    info,
    'maxCredentialIdLength',
    r.optionalUint(K.maxCredentialIdLength, 'maxCredentialIdLength'),
  );
  assign(info, 'algorithms', algorithms);
  assign(
    info,
    'maxSerializedLargeBlobArray',
    r.optionalUint(K.maxSerializedLargeBlobArray, 'maxSerializedLargeBlobArray'),
  );
  assign(info, 'firmwareVersion', r.optionalUint(K.firmwareVersion, 'firmwareVersion'));
  assign(info, 'maxCredBlobLength', r.optionalUint(K.maxCredBlobLength, 'maxCredBlobLength'));
  assign(
    info,
    'maxRpIdsForSetMinPinLength',
    r.optionalUint(K.maxRpIdsForSetMinPinLength, 'maxRPIDsForSetMinPINLength'),
  );
  assign(
    info,
    'preferredPlatformUvAttempts',
    r.optionalUint(K.preferredPlatformUvAttempts, 'preferredPlatformUvAttempts'),
  );
  assign(info, 'uvModality', r.optionalUint(K.uvModality, 'uvModality'));
  assign(info, 'certifications', certifications);
  assign(
    info,
    'remainingDiscoverableCredentials',
    r.optionalUint(K.remainingDiscoverableCredentials, 'remainingDiscoverableCredentials'),
  );
  assign(
    info,
    'vendorPrototypeConfigCommands',
    r.optionalUintArray(K.vendorPrototypeConfigCommands, 'vendorPrototypeConfigCommands'),
  );
  assign(
    info,
    'attestationFormats',
    r.optionalTextArray(K.attestationFormats, 'attestationFormats'),
  );
  assign(
    info,
    'uvCountSinceLastPinEntry',
    r.optionalUint(K.uvCountSinceLastPinEntry, 'uvCountSinceLastPinEntry'),
  );
  assign(info, 'longTouchForReset', r.optionalBool(K.longTouchForReset, 'longTouchForReset'));
  assign(info, 'encIdentifier', r.optionalBytes(K.encIdentifier, 'encIdentifier'));
  assign(
    info,
    'transportsForReset',
    r.optionalTextArray(K.transportsForReset, 'transportsForReset'),
  );
  assign(info, 'pinComplexityPolicy', r.optionalBool(K.pinComplexityPolicy, 'pinComplexityPolicy'));
  assign(
    info,
    'pinComplexityPolicyUrl',
    r.optionalBytes(K.pinComplexityPolicyUrl, 'pinComplexityPolicyURL'),
  );
  assign(info, 'maxPinLength', r.optionalUint(K.maxPinLength, 'maxPINLength'));
  assign(info, 'encCredStoreState', r.optionalBytes(K.encCredStoreState, 'encCredStoreState'));
  assign(
    info,
    'authenticatorConfigCommands',
    r.optionalUintArray(K.authenticatorConfigCommands, 'authenticatorConfigCommands'),
  );
  return info;
}

/** The getInfo response map, as an authenticator sends it (used by the software key). */
export function encodeAuthenticatorInfo(info: AuthenticatorInfo): CborInput {
  const map = new Map<number, CborInput | undefined>([
    [K.versions, info.versions],
    [K.extensions, info.extensions.length > 0 ? info.extensions : undefined],
    [K.aaguid, info.aaguid],
    [K.options, Object.keys(info.options).length > 0 ? info.options : undefined],
    [K.maxMsgSize, info.maxMsgSize],
    [
      K.pinUvAuthProtocols,
      info.pinUvAuthProtocols.length > 0 ? info.pinUvAuthProtocols : undefined,
    ],
    [K.maxCredentialCountInList, info.maxCredentialCountInList],
    [K.maxCredentialIdLength, info.maxCredentialIdLength],
    [K.transports, info.transports.length > 0 ? info.transports : undefined],
    [K.algorithms, info.algorithms?.map((a) => ({ alg: a.alg, type: a.type }))],
    [K.maxSerializedLargeBlobArray, info.maxSerializedLargeBlobArray],
    [K.forcePinChange, info.forcePinChange],
    [K.minPinLength, info.minPinLength],
    [K.firmwareVersion, info.firmwareVersion],
    [K.maxCredBlobLength, info.maxCredBlobLength],
    [K.maxRpIdsForSetMinPinLength, info.maxRpIdsForSetMinPinLength],
    [K.preferredPlatformUvAttempts, info.preferredPlatformUvAttempts],
    [K.uvModality, info.uvModality],
    [K.certifications, info.certifications],
    [K.remainingDiscoverableCredentials, info.remainingDiscoverableCredentials],
    [K.vendorPrototypeConfigCommands, info.vendorPrototypeConfigCommands],
    [K.attestationFormats, info.attestationFormats],
    [K.uvCountSinceLastPinEntry, info.uvCountSinceLastPinEntry],
    [K.longTouchForReset, info.longTouchForReset],
    [K.encIdentifier, info.encIdentifier],
    [K.transportsForReset, info.transportsForReset],
    [K.pinComplexityPolicy, info.pinComplexityPolicy],
    [K.pinComplexityPolicyUrl, info.pinComplexityPolicyUrl],
    [K.maxPinLength, info.maxPinLength],
    [K.encCredStoreState, info.encCredStoreState],
    [K.authenticatorConfigCommands, info.authenticatorConfigCommands],
  ]);
  for (const [key, value] of info.unknown) {
    if (typeof key === 'number') map.set(key, value);
  }
  return map;
}

function assign<T extends object, P extends keyof T>(
  target: T,
  key: P,
  value: T[P] | undefined,
): void {
  if (value !== undefined) target[key] = value;
}
