import { bytesEqual, concatBytes } from '../../core/bytes.ts';
import { encodeCanonical } from '../../core/cbor/canonical-cbor.ts';
import type { CborInput } from '../../core/cbor/cbor-value.ts';
import { encodeCoseKey } from '../../core/webauthn/cose-key.ts';
import {
  CredentialManagementParam as P,
  CredentialManagementResult as R,
  CredentialManagementSubCommand as Sub,
  CredentialManagementSubParam as SP,
} from '../ctap/credential-management-command.ts';
import { CtapStatus } from '../ctap/ctap-status.ts';
import { PinUvAuthTokenPermission as Perm } from '../ctap/pin-uv-auth-token-permission.ts';
import { sha256, type AuthenticatorCore } from './authenticator-core.ts';
import { credentialPublicKey } from './credential-key.ts';
import { CtapFailure } from './ctap-failure.ts';
import type { ResidentCredential } from './key-state.ts';
import type { RequestReader } from './request-reader.ts';

const CONTINUATION_MS = 30_000;

/** authenticatorCredentialManagement on the software key (CTAP 2.1 §6.8). */
export async function handleCredentialManagement(
  core: AuthenticatorCore,
  req: RequestReader,
): Promise<CborInput | undefined> {
  const subCommand = req.uint(P.subCommand);
  if (
    subCommand === Sub.ENUMERATE_RPS_GET_NEXT_RP ||
    subCommand === Sub.ENUMERATE_CREDENTIALS_GET_NEXT_CREDENTIAL
  ) {
    return next(core, subCommand === Sub.ENUMERATE_RPS_GET_NEXT_RP ? 'rps' : 'credentials');
  }
  core.credentialManagement = undefined;
  if (subCommand < Sub.GET_CREDS_METADATA || subCommand > Sub.UPDATE_USER_INFORMATION) {
    throw new CtapFailure(CtapStatus.INVALID_SUBCOMMAND);
  }
  const params = req.optionalMap(P.subCommandParams);
  const param = req.optionalBytes(P.pinUvAuthParam);
  if (!param) throw new CtapFailure(CtapStatus.PUAT_REQUIRED);
  const protocol = core.protocol(req.optionalUint(P.pinUvAuthProtocol));
  const paramsBytes = req.has(P.subCommandParams)
    ? encodeCanonical(req.raw(P.subCommandParams)!)
    : new Uint8Array(0);
  if (!core.token.verify(protocol, concatBytes([Uint8Array.of(subCommand), paramsBytes]), param)) {
    throw new CtapFailure(CtapStatus.PIN_AUTH_INVALID);
  }
  if (!(core.token.permissions & Perm.CREDENTIAL_MANAGEMENT))
    throw new CtapFailure(CtapStatus.PIN_AUTH_INVALID, 'token lacks cm');
  const boundRp = core.token.rpId;
  switch (subCommand) {
    case Sub.GET_CREDS_METADATA:
      if (boundRp !== undefined)
        throw new CtapFailure(CtapStatus.PIN_AUTH_INVALID, 'token bound to an RP');
      return new Map<number, CborInput>([
        [R.existingResidentCredentialsCount, core.residentCount],
        [
          R.maxPossibleRemainingResidentCredentialsCount,
          core.profile.maxResidentCredentials - core.residentCount,
        ],
      ]);
    case Sub.ENUMERATE_RPS_BEGIN: {
      if (boundRp !== undefined)
        throw new CtapFailure(CtapStatus.PIN_AUTH_INVALID, 'token bound to an RP');
      const rps = relyingParties(core);
      if (rps.length === 0) throw new CtapFailure(CtapStatus.NO_CREDENTIALS);
      if (rps.length > 1)
        core.credentialManagement = { kind: 'rps', items: rps, next: 1, lastAt: core.now() };
      const response = rpEntry(rps[0]!);
      response.set(R.totalRps, rps.length);
      return response;
    }
    case Sub.ENUMERATE_CREDENTIALS_BEGIN: {
      if (!params) throw new CtapFailure(CtapStatus.MISSING_PARAMETER);
      const rpIdHash = params.bytes(SP.rpIdHash);
      if (boundRp !== undefined && !bytesEqual(sha256(boundRp), rpIdHash))
        throw new CtapFailure(CtapStatus.PIN_AUTH_INVALID, 'token bound to another RP');
      const credentials = core.state.credentials
        .filter((c) => bytesEqual(sha256(c.rpId), rpIdHash))
        .sort((a, b) => b.sequence - a.sequence);
      if (credentials.length === 0) throw new CtapFailure(CtapStatus.NO_CREDENTIALS);
      if (credentials.length > 1)
        core.credentialManagement = {
          kind: 'credentials',
          items: credentials,
          next: 1,
          lastAt: core.now(),
        };
      const response = credentialEntry(credentials[0]!);
      response.set(R.totalCredentials, credentials.length);
      return response;
    }
    case Sub.DELETE_CREDENTIAL: {
      const credential = findCredential(core, params, boundRp);
      core.state.credentials = core.state.credentials.filter((c) => c !== credential);
      await core.persist();
      return undefined;
    }
    default: {
      const credential = findCredential(core, params, boundRp);
      const user = params!.map(SP.user);
      if (!bytesEqual(user.bytes('id'), credential.user.id))
        throw new CtapFailure(CtapStatus.INVALID_PARAMETER, 'user.id differs');
      // Members left out (or empty) are removed, as on a YubiKey.
      const name = user.optionalText('name');
      const displayName = user.optionalText('displayName');
      credential.user = {
        id: credential.user.id,
        ...(name ? { name } : {}),
        ...(displayName ? { displayName } : {}),
      };
      await core.persist();
      return undefined;
    }
  }
}

function findCredential(
  core: AuthenticatorCore,
  params: RequestReader | undefined,
  boundRp: string | undefined,
): ResidentCredential {
  if (!params) throw new CtapFailure(CtapStatus.MISSING_PARAMETER);
  const id = params.map(SP.credentialId).bytes('id');
  const credential = core.state.credentials.find((c) => bytesEqual(c.id, id));
  if (!credential) throw new CtapFailure(CtapStatus.NO_CREDENTIALS);
  if (boundRp !== undefined && boundRp !== credential.rpId)
    throw new CtapFailure(CtapStatus.PIN_AUTH_INVALID, 'token bound to another RP');
  return credential;
}

function relyingParties(core: AuthenticatorCore): { id: string; name?: string }[] {
  const seen = new Map<string, { id: string; name?: string }>();
  for (const c of [...core.state.credentials].sort((a, b) => a.sequence - b.sequence)) {
    if (!seen.has(c.rpId))
      seen.set(c.rpId, c.rpName === undefined ? { id: c.rpId } : { id: c.rpId, name: c.rpName });
  }
  return [...seen.values()];
}

function rpEntry(rp: { id: string; name?: string }): Map<number, CborInput> {
  return new Map<number, CborInput>([
    [R.rp, { id: rp.id, name: rp.name }],
    [R.rpIdHash, sha256(rp.id)],
  ]);
}

function credentialEntry(credential: ResidentCredential): Map<number, CborInput> {
  return new Map<number, CborInput>([
    [
      R.user,
      {
        id: credential.user.id,
        name: credential.user.name,
        displayName: credential.user.displayName,
      },
    ],
    [R.credentialId, { id: credential.id, type: 'public-key' }],
    [R.publicKey, encodeCoseKey(credentialPublicKey(credential.algorithm, credential.privateKey))],
    [R.credProtect, credential.credProtect],
  ]);
}

function next(core: AuthenticatorCore, kind: 'rps' | 'credentials'): CborInput {
  const state = core.credentialManagement;
  if (
    !state ||
    state.kind !== kind ||
    state.next >= state.items.length ||
    core.now() - state.lastAt > CONTINUATION_MS
  ) {
    core.credentialManagement = undefined;
    throw new CtapFailure(CtapStatus.NOT_ALLOWED, 'nothing to continue');
  }
  const item = state.items[state.next++];
  state.lastAt = core.now();
  return kind === 'rps'
    ? rpEntry(item as { id: string; name?: string })
    : credentialEntry(item as ResidentCredential);
}
