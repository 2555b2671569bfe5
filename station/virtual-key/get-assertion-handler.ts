import { concatBytes } from '../../core/bytes.ts';
import type { CborInput } from '../../core/cbor/cbor-value.ts';
import {
  encodeAuthenticatorData,
  AuthenticatorDataFlag as Flag,
} from '../../core/webauthn/authenticator-data.ts';
import { parseCoseKey } from '../../core/webauthn/cose-key.ts';
import { createHmac } from 'node:crypto';
import { CtapStatus } from '../ctap/ctap-status.ts';
import { GetAssertionParam as P, GetAssertionResult as R } from '../ctap/get-assertion.ts';
import { PinUvAuthTokenPermission as Perm } from '../ctap/pin-uv-auth-token-permission.ts';
import {
  sha256,
  type AssertionCandidate as Candidate,
  type AssertionContinuation,
  type AuthenticatorCore,
  type CommandContext,
} from './authenticator-core.ts';
import { signWithCredential } from './credential-key.ts';
import { credRandom, openCredentialId } from './credential-id.ts';
import { CtapFailure } from './ctap-failure.ts';
import { optionFlag } from './make-credential-handler.ts';
import { requireTouch } from './presence-status.ts';
import { RequestReader } from './request-reader.ts';

/** getNextAssertion must follow within 30 s (CTAP 2.1 §6.3). */
const CONTINUATION_MS = 30_000;

interface HmacSecretInput {
  protocol: number;
  sharedSecret: Uint8Array;
  salts: Uint8Array;
}

/** authenticatorGetAssertion on the software key (CTAP 2.1 §6.2.2). */
export async function handleGetAssertion(
  core: AuthenticatorCore,
  req: RequestReader,
  ctx: CommandContext,
): Promise<CborInput> {
  const rpId = req.text(P.rpId);
  const clientDataHash = req.bytes(P.clientDataHash);
  const allowList = req.optionalArray(P.allowList);
  const extensions = req.optionalMap(P.extensions);
  const options = req.optionalMap(P.options);
  const pinUvAuthParam = req.optionalBytes(P.pinUvAuthParam);
  const pinUvAuthProtocol = req.optionalUint(P.pinUvAuthProtocol);

  // 1. The zero-length probe.
  if (pinUvAuthParam && pinUvAuthParam.length === 0) {
    const outcome = await ctx.requestPresence();
    if (outcome === 'cancelled') throw new CtapFailure(CtapStatus.KEEPALIVE_CANCEL);
    if (outcome !== 'present') throw new CtapFailure(CtapStatus.OPERATION_DENIED);
    throw new CtapFailure(core.isProtected ? CtapStatus.PIN_INVALID : CtapStatus.PIN_NOT_SET);
  }
  const protocol = pinUvAuthParam ? core.protocol(pinUvAuthProtocol) : undefined;
  // 4. Options.
  if ((optionFlag(options, 'uv') ?? false) && !pinUvAuthParam)
    throw new CtapFailure(CtapStatus.INVALID_OPTION, 'no built-in user verification');
  if (options?.has('rk'))
    throw new CtapFailure(CtapStatus.UNSUPPORTED_OPTION, 'rk is not a getAssertion option');
  const up = optionFlag(options, 'up') ?? true;
  // 5. alwaysUv applies to assertions that collect presence.
  if (core.state.alwaysUv && up && !pinUvAuthParam)
    throw new CtapFailure(CtapStatus.PUAT_REQUIRED, 'alwaysUv');
  // 6. The token (note: checks in a different order than makeCredential).
  let userVerified = false;
  if (pinUvAuthParam && protocol) {
    if (!core.isProtected) throw new CtapFailure(CtapStatus.PIN_NOT_SET);
    const token = core.token;
    if (!token.verify(protocol, clientDataHash, pinUvAuthParam))
      throw new CtapFailure(CtapStatus.PIN_AUTH_INVALID, 'bad pinUvAuthParam');
    if (!token.userVerified) throw new CtapFailure(CtapStatus.PIN_AUTH_INVALID, 'token spent');
    if (!(token.permissions & Perm.GET_ASSERTION))
      throw new CtapFailure(CtapStatus.PIN_AUTH_INVALID, 'token lacks ga');
    if (token.rpId !== undefined && token.rpId !== rpId)
      throw new CtapFailure(CtapStatus.PIN_AUTH_INVALID, 'token bound to another RP');
    userVerified = true;
    token.rpId ??= rpId;
  }
  // 10 (inputs). hmac-secret needs presence.
  const hmacInput = extensions?.has('hmac-secret')
    ? readHmacSecretInput(core, extensions.map('hmac-secret'), up)
    : undefined;
  // 7. The applicable credentials.
  const rpIdHash = sha256(rpId);
  const listed = allowList && allowList.length > 0;
  let candidates: Candidate[];
  if (listed) {
    candidates = [];
    for (const entry of allowList) {
      const descriptor = new RequestReader(entry);
      if (descriptor.text('type') !== 'public-key') continue;
      const id = descriptor.bytes('id');
      const opened = openCredentialId(core.state.deviceSecret, rpIdHash, id);
      if (!opened) continue;
      const resident = core.state.credentials.find(
        (c) => c.rpId === rpId && Buffer.compare(c.id, id) === 0,
      );
      candidates.push({ id, ...opened, ...(resident ? { resident } : {}) });
    }
  } else {
    candidates = core.state.credentials
      .filter((c) => c.rpId === rpId)
      .sort((a, b) => b.sequence - a.sequence)
      .map((c) => ({
        id: c.id,
        algorithm: c.algorithm,
        privateKey: c.privateKey,
        hmacSecret: c.hmacSecret,
        credProtect: c.credProtect,
        resident: c,
      }));
  }
  candidates = candidates.filter((c) => {
    const level = c.credProtect;
    if (level === 3 && !userVerified) return false;
    if (level === 2 && !listed && !userVerified) return false;
    return true;
  });
  if (candidates.length === 0) {
    // Like a YubiKey, ask for a touch before saying "nothing here", unless the platform asked for silence.
    if (up) {
      const outcome = await ctx.requestPresence();
      if (outcome === 'cancelled') throw new CtapFailure(CtapStatus.KEEPALIVE_CANCEL);
    }
    throw new CtapFailure(CtapStatus.NO_CREDENTIALS);
  }
  // 9. Presence.
  if (up) {
    await requireTouch(ctx);
    core.token.consumeAfterPresence();
  }
  const count = candidates.length;
  const continuation: AssertionContinuation = {
    rpId,
    clientDataHash,
    credentials: candidates,
    next: 1,
    userPresent: up,
    userVerified,
    lastAt: core.now(),
  };
  core.assertion = !listed && count > 1 ? continuation : undefined;
  const response = await assertion(core, continuation, candidates[0]!, hmacInput);
  if (!listed && count > 1) response.set(R.numberOfCredentials, count);
  return response;
}

/** authenticatorGetNextAssertion (CTAP 2.1 §6.3). */
export async function handleGetNextAssertion(core: AuthenticatorCore): Promise<CborInput> {
  const state = core.assertion;
  if (
    !state ||
    state.next >= state.credentials.length ||
    core.now() - state.lastAt > CONTINUATION_MS
  ) {
    core.assertion = undefined;
    throw new CtapFailure(CtapStatus.NOT_ALLOWED, 'no assertion to continue');
  }
  const candidate = state.credentials[state.next]!;
  state.next += 1;
  state.lastAt = core.now();
  return assertion(core, state, candidate, undefined);
}

async function assertion(
  core: AuthenticatorCore,
  state: AssertionContinuation,
  candidate: Candidate,
  hmac: HmacSecretInput | undefined,
): Promise<Map<number, CborInput>> {
  const outputs = new Map<string, CborInput>();
  if (hmac && candidate.hmacSecret) {
    const secret = credRandom(core.state.deviceSecret, candidate.id, state.userVerified);
    const salt1 = hmac.salts.subarray(0, 32);
    const outputsPlain = [createHmac('sha256', secret).update(salt1).digest()];
    if (hmac.salts.length === 64)
      outputsPlain.push(createHmac('sha256', secret).update(hmac.salts.subarray(32)).digest());
    const protocol = core.protocol(hmac.protocol);
    outputs.set('hmac-secret', protocol.encrypt(hmac.sharedSecret, concatBytes(outputsPlain)));
  }
  core.state.signCount = (core.state.signCount + 1) >>> 0;
  const authData = encodeAuthenticatorData({
    rpIdHash: sha256(state.rpId),
    flags: (state.userPresent ? Flag.UP : 0) | (state.userVerified ? Flag.UV : 0),
    signCount: core.state.signCount,
    extensions: outputs,
  });
  await core.persist();
  const signature = signWithCredential(
    candidate.algorithm,
    candidate.privateKey,
    concatBytes([authData, state.clientDataHash]),
  );
  const response = new Map<number, CborInput>([
    [R.credential, { id: candidate.id, type: 'public-key' }],
    [R.authData, authData],
    [R.signature, signature],
  ]);
  const resident = candidate.resident;
  if (resident) {
    // Names only after user verification, and only when the platform must choose between accounts.
    const details = state.userVerified && state.credentials.length > 1;
    response.set(R.user, {
      id: resident.user.id,
      name: details ? resident.user.name : undefined,
      displayName: details ? resident.user.displayName : undefined,
    });
  }
  return response;
}

function readHmacSecretInput(
  core: AuthenticatorCore,
  input: RequestReader,
  up: boolean,
): HmacSecretInput {
  if (!up) throw new CtapFailure(CtapStatus.UNSUPPORTED_OPTION, 'hmac-secret needs user presence');
  const keyAgreement = input.raw(1);
  const saltEnc = input.bytes(2);
  const saltAuth = input.bytes(3);
  const version = input.optionalUint(4) ?? 1;
  const protocol = core.protocol(version);
  let sharedSecret: Uint8Array;
  try {
    sharedSecret = protocol.decapsulate(
      core.keyAgreement.get(version)!,
      parseCoseKey(keyAgreement),
    );
  } catch {
    throw new CtapFailure(CtapStatus.INVALID_PARAMETER, 'hmac-secret keyAgreement');
  }
  if (!protocol.verify(sharedSecret, saltEnc, saltAuth))
    throw new CtapFailure(CtapStatus.PIN_AUTH_INVALID, 'hmac-secret saltAuth');
  let salts: Uint8Array;
  try {
    salts = protocol.decrypt(sharedSecret, saltEnc);
  } catch {
    throw new CtapFailure(CtapStatus.INVALID_PARAMETER, 'hmac-secret saltEnc');
  }
  if (salts.length !== 32 && salts.length !== 64)
    throw new CtapFailure(CtapStatus.INVALID_PARAMETER, 'hmac-secret salts');
  return { protocol: version, sharedSecret, salts };
}
