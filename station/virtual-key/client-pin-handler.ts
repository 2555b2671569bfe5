import type { CborInput } from '../../core/cbor/cbor-value.ts';
import { concatBytes, constantTimeEqual } from '../../core/bytes.ts';
import { encodeCoseKey, parseCoseKey, type CoseKey } from '../../core/webauthn/cose-key.ts';
import {
  ClientPinParam as P,
  ClientPinResult as R,
  ClientPinSubCommand as Sub,
} from '../ctap/client-pin-command.ts';
import { CtapStatus } from '../ctap/ctap-status.ts';
import { pinHash } from '../ctap/pin-encoding.ts';
import type { PinUvAuthProtocol } from '../ctap/pin-uv-auth-protocol.ts';
import { PinUvAuthTokenPermission as Perm } from '../ctap/pin-uv-auth-token-permission.ts';
import type { AuthenticatorCore } from './authenticator-core.ts';
import { CtapFailure } from './ctap-failure.ts';
import { MAX_PIN_RETRIES } from './key-state.ts';
import type { RequestReader } from './request-reader.ts';

/** Consecutive wrong PINs that block PIN entry until the next power cycle. */
const MAX_CONSECUTIVE_FAILURES = 3;
const DEFINED_PERMISSIONS = 0x3f;

/** authenticatorClientPIN on the software key (CTAP 2.1 §6.5.5), with YubiKey 5.7's choices. */
export async function handleClientPin(
  core: AuthenticatorCore,
  req: RequestReader,
): Promise<CborInput | undefined> {
  const subCommand = req.uint(P.subCommand);
  const version = req.optionalUint(P.pinUvAuthProtocol);
  // Like a YubiKey 5.7, the protocol is checked before the subcommand is looked at.
  if (version !== undefined) core.protocol(version);
  switch (subCommand) {
    case Sub.GET_PIN_RETRIES:
      if (!core.isProtected) throw new CtapFailure(CtapStatus.PIN_NOT_SET);
      return new Map<number, CborInput>([
        [R.pinRetries, core.state.pinRetries],
        [R.powerCycleState, core.consecutivePinFailures >= MAX_CONSECUTIVE_FAILURES],
      ]);
    case Sub.GET_KEY_AGREEMENT: {
      core.protocol(version);
      return new Map<number, CborInput>([
        [R.keyAgreement, encodeCoseKey(core.keyAgreement.get(version!)!.publicKey)],
      ]);
    }
    case Sub.SET_PIN:
      return setPin(core, req, version);
    case Sub.CHANGE_PIN:
      return changePin(core, req, version);
    case Sub.GET_PIN_TOKEN:
      return getPinToken(core, req, version, false);
    case Sub.GET_PIN_UV_AUTH_TOKEN_USING_PIN_WITH_PERMISSIONS:
      // CTAP 2.0 keys know only the legacy getPinToken.
      if (!core.profile.model.permissionTokens)
        throw new CtapFailure(CtapStatus.INVALID_SUBCOMMAND);
      return getPinToken(core, req, version, true);
    default:
      // No built-in UV on this model: 0x06/0x07 are unsupported like any unknown subcommand.
      throw new CtapFailure(CtapStatus.INVALID_SUBCOMMAND);
  }
}

function platformKey(req: RequestReader): CoseKey {
  try {
    return parseCoseKey(req.raw(P.keyAgreement));
  } catch {
    throw new CtapFailure(CtapStatus.INVALID_PARAMETER, 'bad keyAgreement');
  }
}

function sharedSecret(
  core: AuthenticatorCore,
  protocol: PinUvAuthProtocol,
  key: CoseKey,
): Uint8Array {
  try {
    return protocol.decapsulate(core.keyAgreement.get(protocol.version)!, key);
  } catch {
    throw new CtapFailure(CtapStatus.INVALID_PARAMETER, 'keyAgreement is not a P-256 point');
  }
}

/** Decrypts paddedNewPin and applies the PIN policy; returns the PIN bytes (without padding). */
function decryptNewPin(
  core: AuthenticatorCore,
  protocol: PinUvAuthProtocol,
  secret: Uint8Array,
  newPinEnc: Uint8Array,
): Uint8Array {
  let padded: Uint8Array;
  try {
    padded = protocol.decrypt(secret, newPinEnc);
  } catch {
    throw new CtapFailure(CtapStatus.PIN_AUTH_INVALID, 'newPinEnc does not decrypt');
  }
  if (padded.length !== 64)
    throw new CtapFailure(CtapStatus.INVALID_PARAMETER, 'paddedNewPin is not 64 bytes');
  let end = 64;
  while (end > 0 && padded[end - 1] === 0) end--;
  const pin = padded.slice(0, end);
  padded.fill(0);
  // A PIN that fills all 64 bytes leaves no terminator: CTAP caps PINs at 63 bytes.
  if (end === 64)
    throw new CtapFailure(CtapStatus.PIN_POLICY_VIOLATION, 'PIN longer than 63 bytes');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(pin);
  } catch {
    throw new CtapFailure(CtapStatus.PIN_POLICY_VIOLATION, 'PIN is not UTF-8');
  }
  const codePoints = [...text].length;
  if (codePoints < core.state.minPinLength) {
    throw new CtapFailure(
      CtapStatus.PIN_POLICY_VIOLATION,
      `PIN of ${codePoints} code points, minimum ${core.state.minPinLength}`,
    );
  }
  return pin;
}

async function setPin(
  core: AuthenticatorCore,
  req: RequestReader,
  version: number | undefined,
): Promise<undefined> {
  const key = platformKey(requirePresent(req, P.keyAgreement));
  const param = req.bytes(P.pinUvAuthParam);
  const newPinEnc = req.bytes(P.newPinEnc);
  const protocol = core.protocol(version);
  if (core.isProtected) throw new CtapFailure(CtapStatus.PIN_AUTH_INVALID, 'PIN already set');
  const secret = sharedSecret(core, protocol, key);
  if (!protocol.verify(secret, newPinEnc, param))
    throw new CtapFailure(CtapStatus.PIN_AUTH_INVALID);
  const pin = decryptNewPin(core, protocol, secret, newPinEnc);
  core.state.pinHash = pinHash(pin);
  core.state.pinCodePoints = [...new TextDecoder().decode(pin)].length;
  core.state.pinRetries = MAX_PIN_RETRIES;
  pin.fill(0);
  await core.persist();
  return undefined;
}

/**
 * Steps shared by changePIN and the token subcommands: the blocked checks, the retry decrement
 * persisted before comparing, and the mismatch path (new key-agreement key, streak count).
 */
async function verifyPinHash(
  core: AuthenticatorCore,
  protocol: PinUvAuthProtocol,
  secret: Uint8Array,
  pinHashEnc: Uint8Array,
): Promise<void> {
  core.state.pinRetries -= 1;
  await core.persist();
  let presented: Uint8Array | undefined;
  try {
    presented = protocol.decrypt(secret, pinHashEnc);
  } catch {
    presented = undefined;
  }
  if (!presented || presented.length !== 16 || !constantTimeEqual(presented, core.state.pinHash!)) {
    core.regenerateKeyAgreement(protocol.version);
    core.consecutivePinFailures += 1;
    if (core.state.pinRetries === 0) throw new CtapFailure(CtapStatus.PIN_BLOCKED);
    if (core.consecutivePinFailures >= MAX_CONSECUTIVE_FAILURES)
      throw new CtapFailure(CtapStatus.PIN_AUTH_BLOCKED);
    throw new CtapFailure(CtapStatus.PIN_INVALID);
  }
  core.state.pinRetries = MAX_PIN_RETRIES;
  core.consecutivePinFailures = 0;
  await core.persist();
}

function checkNotBlocked(core: AuthenticatorCore): void {
  if (!core.isProtected) throw new CtapFailure(CtapStatus.PIN_NOT_SET);
  if (core.state.pinRetries === 0) throw new CtapFailure(CtapStatus.PIN_BLOCKED);
  // A YubiKey answers PIN_AUTH_BLOCKED without spending a retry until it is re-plugged.
  if (core.consecutivePinFailures >= MAX_CONSECUTIVE_FAILURES)
    throw new CtapFailure(CtapStatus.PIN_AUTH_BLOCKED);
}

async function changePin(
  core: AuthenticatorCore,
  req: RequestReader,
  version: number | undefined,
): Promise<undefined> {
  const key = platformKey(requirePresent(req, P.keyAgreement));
  const param = req.bytes(P.pinUvAuthParam);
  const newPinEnc = req.bytes(P.newPinEnc);
  const pinHashEnc = req.bytes(P.pinHashEnc);
  const protocol = core.protocol(version);
  checkNotBlocked(core);
  const secret = sharedSecret(core, protocol, key);
  if (!protocol.verify(secret, concatBytes([newPinEnc, pinHashEnc]), param))
    throw new CtapFailure(CtapStatus.PIN_AUTH_INVALID);
  await verifyPinHash(core, protocol, secret, pinHashEnc);
  const pin = decryptNewPin(core, protocol, secret, newPinEnc);
  const newHash = pinHash(pin);
  if (core.state.forcePinChange && constantTimeEqual(newHash, core.state.pinHash!)) {
    pin.fill(0);
    throw new CtapFailure(
      CtapStatus.PIN_POLICY_VIOLATION,
      'forcePINChange: the new PIN must differ',
    );
  }
  core.state.pinCodePoints = [...new TextDecoder().decode(pin)].length;
  core.state.forcePinChange = false;
  core.state.pinHash = newHash;
  core.state.pinRetries = MAX_PIN_RETRIES;
  pin.fill(0);
  core.token.reset();
  await core.persist();
  return undefined;
}

async function getPinToken(
  core: AuthenticatorCore,
  req: RequestReader,
  version: number | undefined,
  withPermissions: boolean,
): Promise<CborInput> {
  const key = platformKey(requirePresent(req, P.keyAgreement));
  const pinHashEnc = req.bytes(P.pinHashEnc);
  const permissions = withPermissions ? req.uint(P.permissions) : req.optionalUint(P.permissions);
  const rpId = req.optionalText(P.rpId);
  const protocol = core.protocol(version);
  if (withPermissions) {
    if (permissions === 0) throw new CtapFailure(CtapStatus.INVALID_PARAMETER, 'no permissions');
    // This model has no biometrics and no large-blob store.
    if (permissions! & (Perm.BIO_ENROLLMENT | Perm.LARGE_BLOB_WRITE))
      throw new CtapFailure(CtapStatus.UNAUTHORIZED_PERMISSION);
    if (permissions! & (Perm.MAKE_CREDENTIAL | Perm.GET_ASSERTION) && rpId === undefined) {
      throw new CtapFailure(CtapStatus.INVALID_PARAMETER, 'mc/ga permissions need an rpId');
    }
  } else if (permissions !== undefined || rpId !== undefined) {
    throw new CtapFailure(CtapStatus.INVALID_PARAMETER, 'getPinToken takes no permissions');
  }
  checkNotBlocked(core);
  const secret = sharedSecret(core, protocol, key);
  await verifyPinHash(core, protocol, secret, pinHashEnc);
  if (core.state.forcePinChange) {
    // CTAP 2.1: the legacy subcommand says PIN_INVALID, the permissions one PIN_POLICY_VIOLATION.
    throw new CtapFailure(
      withPermissions ? CtapStatus.PIN_POLICY_VIOLATION : CtapStatus.PIN_INVALID,
      'PIN change required',
    );
  }
  core.token.reset();
  core.token.beginUsing(
    false,
    withPermissions
      ? permissions! & DEFINED_PERMISSIONS
      : Perm.MAKE_CREDENTIAL | Perm.GET_ASSERTION,
    rpId,
  );
  return new Map<number, CborInput>([
    [R.pinUvAuthToken, protocol.encrypt(secret, core.token.value)],
  ]);
}

function requirePresent(req: RequestReader, key: number): RequestReader {
  if (!req.has(key)) throw new CtapFailure(CtapStatus.MISSING_PARAMETER, `missing ${key}`);
  return req;
}
