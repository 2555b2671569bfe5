import { encodeCanonical } from '../../core/cbor/canonical-cbor.ts';
import {
  ConfigParam as P,
  ConfigSubCommand as Sub,
  SetMinPinLengthParam,
  configAuthMessage,
} from '../ctap/config-command.ts';
import { CtapStatus } from '../ctap/ctap-status.ts';
import { PinUvAuthTokenPermission as Perm } from '../ctap/pin-uv-auth-token-permission.ts';
import type { AuthenticatorCore } from './authenticator-core.ts';
import { CtapFailure } from './ctap-failure.ts';
import type { RequestReader } from './request-reader.ts';

const MAX_PIN_CODE_POINTS = 63;

/** authenticatorConfig on the software key (CTAP 2.1 §6.11). */
export async function handleConfig(
  core: AuthenticatorCore,
  req: RequestReader,
): Promise<undefined> {
  const subCommand = req.uint(P.subCommand);
  const params = req.optionalMap(P.subCommandParams);
  // A YubiKey 5.7 judges the subcommand before asking for authentication.
  const known =
    subCommand === Sub.TOGGLE_ALWAYS_UV ||
    subCommand === Sub.SET_MIN_PIN_LENGTH ||
    (subCommand === Sub.ENABLE_ENTERPRISE_ATTESTATION &&
      core.profile.enterpriseAttestationRpIds !== undefined);
  if (!known)
    throw new CtapFailure(
      CtapStatus.INVALID_PARAMETER,
      `unsupported config subcommand ${subCommand}`,
    );
  if (core.isProtected || core.state.alwaysUv) {
    const param = req.optionalBytes(P.pinUvAuthParam);
    if (!param) throw new CtapFailure(CtapStatus.PUAT_REQUIRED);
    const protocol = core.protocol(req.optionalUint(P.pinUvAuthProtocol));
    // The MAC covers the parameters as sent; the request was canonical, so re-encoding is exact.
    const paramsBytes = req.has(P.subCommandParams)
      ? encodeCanonical(req.raw(P.subCommandParams)!)
      : undefined;
    if (!core.token.verify(protocol, configAuthMessage(subCommand, paramsBytes), param))
      throw new CtapFailure(CtapStatus.PIN_AUTH_INVALID);
    if (!(core.token.permissions & Perm.AUTHENTICATOR_CONFIG))
      throw new CtapFailure(CtapStatus.PIN_AUTH_INVALID, 'token lacks acfg');
  }
  switch (subCommand) {
    case Sub.ENABLE_ENTERPRISE_ATTESTATION:
      core.state.enterpriseAttestation = true;
      break;
    case Sub.TOGGLE_ALWAYS_UV:
      core.state.alwaysUv = !core.state.alwaysUv;
      break;
    default: {
      const newMin =
        params?.optionalUint(SetMinPinLengthParam.newMinPinLength) ?? core.state.minPinLength;
      const rpIds = params?.optionalArray(SetMinPinLengthParam.minPinLengthRpIds);
      const force = params?.optionalBool(SetMinPinLengthParam.forceChangePin) ?? false;
      if (rpIds && !rpIds.every((id) => typeof id === 'string'))
        throw new CtapFailure(CtapStatus.CBOR_UNEXPECTED_TYPE);
      // The minimum only ever goes up; only a reset brings it down.
      if (newMin < core.state.minPinLength || newMin > MAX_PIN_CODE_POINTS) {
        throw new CtapFailure(
          CtapStatus.PIN_POLICY_VIOLATION,
          `minPINLength ${newMin} below ${core.state.minPinLength} or above 63`,
        );
      }
      if (rpIds && rpIds.length > core.profile.maxRpIdsForSetMinPinLength) {
        throw new CtapFailure(CtapStatus.PIN_POLICY_VIOLATION, 'too many minPinLengthRPIDs');
      }
      if (force && !core.isProtected) throw new CtapFailure(CtapStatus.PIN_NOT_SET);
      const pinTooShort = core.isProtected && (core.state.pinCodePoints ?? 0) < newMin;
      if (force || pinTooShort) {
        core.state.forcePinChange = true;
        // The current PIN is no longer good enough: tokens issued under it end now.
        core.token.reset();
      }
      core.state.minPinLength = newMin;
      if (rpIds) core.state.minPinLengthRpIds = rpIds;
    }
  }
  await core.persist();
  return undefined;
}
