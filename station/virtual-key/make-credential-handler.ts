import { bytesEqual, concatBytes } from '../../core/bytes.ts';
import type { CborInput, CborValue } from '../../core/cbor/cbor-value.ts';
import {
  encodeAuthenticatorData,
  AuthenticatorDataFlag as Flag,
} from '../../core/webauthn/authenticator-data.ts';
import { CoseAlgorithm } from '../../core/webauthn/cose-key.ts';
import { sign } from 'node:crypto';
import { CtapStatus } from '../ctap/ctap-status.ts';
import { MakeCredentialParam as P, MakeCredentialResult as R } from '../ctap/make-credential.ts';
import { PinUvAuthTokenPermission as Perm } from '../ctap/pin-uv-auth-token-permission.ts';
import { sha256, type AuthenticatorCore, type CommandContext } from './authenticator-core.ts';
import { credentialPublicKey, generatePrivateKey, SUPPORTED_ALGORITHMS } from './credential-key.ts';
import { openCredentialId, sealCredentialId } from './credential-id.ts';
import { CtapFailure } from './ctap-failure.ts';
import type { ResidentCredential } from './key-state.ts';
import { requireTouch } from './presence-status.ts';
import { RequestReader } from './request-reader.ts';

/** authenticatorMakeCredential on the software key (CTAP 2.1 §6.1.2), step by step. */
export async function handleMakeCredential(
  core: AuthenticatorCore,
  req: RequestReader,
  ctx: CommandContext,
): Promise<CborInput> {
  const clientDataHash = req.bytes(P.clientDataHash);
  const rpReader = req.map(P.rp);
  const userReader = req.map(P.user);
  const params = req.array(P.pubKeyCredParams);
  const rpId = rpReader.text('id');
  const rpName = rpReader.optionalText('name');
  const user = {
    id: userReader.bytes('id'),
    name: userReader.optionalText('name'),
    displayName: userReader.optionalText('displayName'),
  };
  if (user.id.length > 64)
    throw new CtapFailure(CtapStatus.INVALID_PARAMETER, 'user.id longer than 64 bytes');
  const excludeList = req.optionalArray(P.excludeList);
  const extensions = req.optionalMap(P.extensions);
  const options = req.optionalMap(P.options);
  const pinUvAuthParam = req.optionalBytes(P.pinUvAuthParam);
  const pinUvAuthProtocol = req.optionalUint(P.pinUvAuthProtocol);
  const enterpriseAttestation = req.optionalUint(P.enterpriseAttestation);

  // 1. Zero-length pinUvAuthParam: the CTAP 2.0 "which key?" probe.
  if (pinUvAuthParam && pinUvAuthParam.length === 0) {
    const outcome = await ctx.requestPresence();
    if (outcome === 'cancelled') throw new CtapFailure(CtapStatus.KEEPALIVE_CANCEL);
    if (outcome !== 'present') throw new CtapFailure(CtapStatus.OPERATION_DENIED);
    throw new CtapFailure(core.isProtected ? CtapStatus.PIN_INVALID : CtapStatus.PIN_NOT_SET);
  }
  // 2. The protocol must come with the param and be one we speak.
  const protocol = pinUvAuthParam ? core.protocol(pinUvAuthProtocol) : undefined;
  // 3. First supported algorithm in the RP's order.
  const algorithm = chooseAlgorithm(params);
  // 5. Options: unknown ones are ignored; up=false and uv=true are invalid on this model.
  const rk = optionFlag(options, 'rk') ?? false;
  const up = optionFlag(options, 'up');
  const uvRequested = (optionFlag(options, 'uv') ?? false) && !pinUvAuthParam;
  if (uvRequested)
    throw new CtapFailure(CtapStatus.INVALID_OPTION, 'no built-in user verification');
  if (up === false)
    throw new CtapFailure(CtapStatus.INVALID_OPTION, 'up=false is not allowed for makeCredential');
  // 6–8. When a PIN token is required.
  const makeCredUvNotRqd = !core.state.alwaysUv;
  if (!pinUvAuthParam) {
    if (core.state.alwaysUv) throw new CtapFailure(CtapStatus.PUAT_REQUIRED, 'alwaysUv');
    if (core.isProtected && (rk || !makeCredUvNotRqd))
      throw new CtapFailure(CtapStatus.PUAT_REQUIRED);
  }
  // 9. Enterprise attestation.
  let enterprise = false;
  if (enterpriseAttestation !== undefined) {
    if (!core.profile.enterpriseAttestationRpIds || !core.state.enterpriseAttestation) {
      throw new CtapFailure(CtapStatus.INVALID_PARAMETER, 'enterprise attestation is not enabled');
    }
    if (enterpriseAttestation !== 1 && enterpriseAttestation !== 2)
      throw new CtapFailure(CtapStatus.INVALID_OPTION);
    enterprise =
      enterpriseAttestation === 2 || core.profile.enterpriseAttestationRpIds.includes(rpId);
  }
  // 11. Verify the token.
  let userVerified = false;
  if (pinUvAuthParam && protocol) {
    if (!core.isProtected) throw new CtapFailure(CtapStatus.PIN_NOT_SET);
    const token = core.token;
    if (!token.verify(protocol, clientDataHash, pinUvAuthParam))
      throw new CtapFailure(CtapStatus.PIN_AUTH_INVALID, 'bad pinUvAuthParam');
    if (!(token.permissions & Perm.MAKE_CREDENTIAL))
      throw new CtapFailure(CtapStatus.PIN_AUTH_INVALID, 'token lacks mc');
    if (token.rpId !== undefined && token.rpId !== rpId)
      throw new CtapFailure(CtapStatus.PIN_AUTH_INVALID, 'token bound to another RP');
    if (!token.userVerified) throw new CtapFailure(CtapStatus.PIN_AUTH_INVALID, 'token spent');
    userVerified = true;
    token.rpId ??= rpId;
  }
  const rpIdHash = sha256(rpId);
  // 12. excludeList: a match still costs a touch, so the key is no silent oracle.
  for (const entry of excludeList ?? []) {
    const descriptor = new RequestReader(entry);
    if (descriptor.text('type') !== 'public-key') continue;
    const known = openCredentialId(core.state.deviceSecret, rpIdHash, descriptor.bytes('id'));
    if (!known) continue;
    if (known.credProtect === 3 && !userVerified) continue;
    const outcome = await ctx.requestPresence();
    if (outcome === 'cancelled') throw new CtapFailure(CtapStatus.KEEPALIVE_CANCEL);
    throw new CtapFailure(CtapStatus.CREDENTIAL_EXCLUDED);
  }
  // 15 (inputs). Extensions: unknown ones are ignored.
  const credProtectInput = extensions?.has('credProtect')
    ? extensions.uint('credProtect')
    : undefined;
  if (credProtectInput !== undefined && (credProtectInput < 1 || credProtectInput > 3)) {
    throw new CtapFailure(CtapStatus.INVALID_PARAMETER, 'credProtect must be 1, 2 or 3');
  }
  const hmacSecret = extensions?.optionalBool('hmac-secret') === true;
  const minPinLengthRequested = extensions?.optionalBool('minPinLength') === true;
  if (
    rk &&
    core.residentCount >= core.profile.maxResidentCredentials &&
    !core.state.credentials.some((c) => c.rpId === rpId && bytesEqual(c.user.id, user.id))
  ) {
    throw new CtapFailure(CtapStatus.KEY_STORE_FULL);
  }
  // 14. User presence, always collected: tokens from a PIN carry no presence.
  await requireTouch(ctx);
  core.token.consumeAfterPresence();
  // 16–18. The credential.
  const credProtect = credProtectInput ?? 1;
  const privateKey = generatePrivateKey(algorithm, core.random);
  const credentialId = sealCredentialId(
    core.state.deviceSecret,
    rpIdHash,
    { algorithm, privateKey, credProtect, hmacSecret },
    core.random,
  );
  if (rk) {
    const resident: ResidentCredential = {
      id: credentialId,
      rpId,
      user: stripUndefined(user),
      algorithm,
      privateKey,
      credProtect,
      hmacSecret,
      sequence: ++core.state.sequence,
    };
    if (rpName !== undefined) resident.rpName = rpName;
    // Same RP and user handle: the new credential replaces the old one.
    core.state.credentials = core.state.credentials.filter(
      (c) => !(c.rpId === rpId && bytesEqual(c.user.id, user.id)),
    );
    core.state.credentials.push(resident);
  }
  const outputs = new Map<string, CborInput>();
  if (credProtectInput !== undefined) outputs.set('credProtect', credProtect);
  if (hmacSecret) outputs.set('hmac-secret', true);
  if (minPinLengthRequested && core.state.minPinLengthRpIds.includes(rpId))
    outputs.set('minPinLength', core.state.minPinLength);
  core.state.signCount = (core.state.signCount + 1) >>> 0;
  const authData = encodeAuthenticatorData({
    rpIdHash,
    flags: Flag.UP | (userVerified ? Flag.UV : 0),
    signCount: core.state.signCount,
    attestedCredential: {
      aaguid: core.state.aaguid,
      credentialId,
      publicKey: credentialPublicKey(algorithm, privateKey),
    },
    extensions: outputs,
  });
  await core.persist();
  // 19. Packed attestation with the batch (or enterprise) certificate.
  const identity = enterprise ? await core.issueEnterpriseAttestation() : core.attestation;
  const signature = sign('sha256', concatBytes([authData, clientDataHash]), {
    key: identity.privateKey,
    dsaEncoding: 'der',
  });
  const response = new Map<number, CborInput>([
    [R.fmt, 'packed'],
    [R.authData, authData],
    [
      R.attStmt,
      { alg: CoseAlgorithm.ES256, sig: new Uint8Array(signature), x5c: [identity.certificate] },
    ],
  ]);
  if (enterprise) response.set(R.epAtt, true);
  return response;
}

function chooseAlgorithm(params: CborValue[]): number {
  for (const entry of params) {
    const param = new RequestReader(entry);
    const type = param.text('type');
    const alg = param.int('alg');
    if (type === 'public-key' && (SUPPORTED_ALGORITHMS as readonly number[]).includes(alg))
      return alg;
  }
  throw new CtapFailure(CtapStatus.UNSUPPORTED_ALGORITHM);
}

export function optionFlag(options: RequestReader | undefined, name: string): boolean | undefined {
  return options?.optionalBool(name);
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
