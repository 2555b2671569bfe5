import { CborError } from '../../core/cbor/cbor-error.ts';
import { decodeCanonical, encodeCanonical } from '../../core/cbor/canonical-cbor.ts';
import type { CborInput } from '../../core/cbor/cbor-value.ts';
import { encodeAuthenticatorInfo, type AuthenticatorInfo } from '../ctap/authenticator-info.ts';
import { Ctap2Command } from '../ctap/ctap2-command.ts';
import { CtapStatus } from '../ctap/ctap-status.ts';
import type { AuthenticatorCore, CommandContext } from './authenticator-core.ts';
import { handleClientPin } from './client-pin-handler.ts';
import { handleConfig } from './config-handler.ts';
import { handleCredentialManagement } from './credential-management-handler.ts';
import { CtapFailure } from './ctap-failure.ts';
import { handleGetAssertion, handleGetNextAssertion } from './get-assertion-handler.ts';
import { factoryState } from './key-state.ts';
import { handleMakeCredential } from './make-credential-handler.ts';
import { requireTouch } from './presence-status.ts';
import { RequestReader } from './request-reader.ts';

/**
 * The CTAP2 command processor of the software key: takes a CTAPHID_CBOR payload (command byte ‖
 * CBOR) and answers status ‖ CBOR, as a YubiKey 5 with firmware 5.7 would.
 */
export class Authenticator {
  readonly core: AuthenticatorCore;
  /** Called for failures that are the software key's own bug, not the host's. */
  private readonly onInternalError: (error: unknown) => void;

  constructor(
    core: AuthenticatorCore,
    onInternalError: (error: unknown) => void = () => undefined,
  ) {
    this.core = core;
    this.onInternalError = onInternalError;
  }

  async process(payload: Uint8Array, ctx: CommandContext): Promise<Uint8Array> {
    const command = payload[0]!;
    // Continuations survive only until another command arrives.
    if (command !== Ctap2Command.GET_NEXT_ASSERTION) this.core.assertion = undefined;
    if (
      command !== Ctap2Command.CREDENTIAL_MANAGEMENT &&
      command !== Ctap2Command.CREDENTIAL_MANAGEMENT_PREVIEW
    ) {
      this.core.credentialManagement = undefined;
    }
    try {
      const body = payload.subarray(1);
      let params;
      try {
        params = body.length === 0 ? undefined : decodeCanonical(body, { maxDepth: 8 });
      } catch (cause) {
        throw new CtapFailure(
          cause instanceof CborError && cause.code === 'CBOR_UNSUPPORTED'
            ? CtapStatus.CBOR_UNEXPECTED_TYPE
            : CtapStatus.INVALID_CBOR,
          (cause as Error).message,
        );
      }
      const response = await this.dispatch(command, new RequestReader(params), ctx);
      return response === undefined
        ? Uint8Array.of(CtapStatus.SUCCESS)
        : Uint8Array.of(CtapStatus.SUCCESS, ...encodeCanonical(response));
    } catch (error) {
      if (error instanceof CtapFailure) return Uint8Array.of(error.status);
      this.onInternalError(error);
      return Uint8Array.of(CtapStatus.OTHER);
    }
  }

  private async dispatch(
    command: number,
    req: RequestReader,
    ctx: CommandContext,
  ): Promise<CborInput | undefined> {
    const core = this.core;
    switch (command) {
      case Ctap2Command.GET_INFO:
        return encodeAuthenticatorInfo(this.info());
      case Ctap2Command.CLIENT_PIN:
        return handleClientPin(core, req);
      case Ctap2Command.MAKE_CREDENTIAL:
        return handleMakeCredential(core, req, ctx);
      case Ctap2Command.GET_ASSERTION:
        return handleGetAssertion(core, req, ctx);
      case Ctap2Command.GET_NEXT_ASSERTION:
        return handleGetNextAssertion(core);
      case Ctap2Command.RESET:
        return this.reset(ctx);
      case Ctap2Command.CONFIG:
        if (!core.profile.model.authenticatorConfig)
          throw new CtapFailure(CtapStatus.INVALID_COMMAND);
        return handleConfig(core, req);
      // YubiKeys still answer the CTAP 2.1 preview command (0x41), which libfido2 uses throughout.
      case Ctap2Command.CREDENTIAL_MANAGEMENT:
      case Ctap2Command.CREDENTIAL_MANAGEMENT_PREVIEW:
        if (!core.profile.model.credentialManagement)
          throw new CtapFailure(CtapStatus.INVALID_COMMAND);
        return handleCredentialManagement(core, req);
      case Ctap2Command.SELECTION:
        await requireTouch(ctx);
        return undefined;
      default:
        throw new CtapFailure(CtapStatus.INVALID_COMMAND);
    }
  }

  /** What getInfo reports: the model's capabilities with this key's state. */
  info(): AuthenticatorInfo {
    const { state, profile } = this.core;
    const { model } = profile;
    const ctap21 = model.versions.includes('FIDO_2_1');
    const options: Record<string, boolean> = {
      rk: true,
      up: true,
      plat: false,
      clientPin: state.pinHash !== undefined,
    };
    if (ctap21) options.alwaysUv = state.alwaysUv;
    if (model.credentialManagement) {
      options.credMgmt = true;
      options.credentialMgmtPreview = true;
    }
    if (model.authenticatorConfig) {
      options.authnrCfg = true;
      options.setMinPINLength = true;
    }
    if (model.permissionTokens) options.pinUvAuthToken = true;
    if (ctap21) options.makeCredUvNotRqd = !state.alwaysUv;
    if (profile.enterpriseAttestationRpIds) options.ep = state.enterpriseAttestation;
    const { major, minor, patch } = profile.firmware;
    return {
      // As on a YubiKey, minus U2F_V2: this model has no CTAP1.
      versions: model.versions,
      extensions: model.extensions,
      aaguid: state.aaguid,
      options,
      maxMsgSize: profile.maxMsgSize,
      pinUvAuthProtocols: model.pinUvAuthProtocols,
      maxCredentialCountInList: profile.maxCredentialCountInList,
      maxCredentialIdLength: profile.maxCredentialIdLength,
      transports: ['usb'],
      algorithms: [
        { type: 'public-key', alg: -7 },
        { type: 'public-key', alg: -8 },
      ],
      forcePinChange: state.forcePinChange,
      minPinLength: state.minPinLength,
      firmwareVersion: (major << 16) | (minor << 8) | patch,
      ...(model.authenticatorConfig
        ? { maxRpIdsForSetMinPinLength: profile.maxRpIdsForSetMinPinLength }
        : {}),
      remainingDiscoverableCredentials: profile.maxResidentCredentials - state.credentials.length,
      unknown: new Map(),
    };
  }

  /** authenticatorReset: only within the window after power-up, and only with a touch. */
  private async reset(ctx: CommandContext): Promise<undefined> {
    const core = this.core;
    if (core.now() - core.poweredAt > core.profile.resetWindowMs) {
      throw new CtapFailure(CtapStatus.NOT_ALLOWED, 'reset window closed; re-plug the key');
    }
    await requireTouch(ctx);
    const { serial, aaguid, signCount } = core.state;
    // The signature counter keeps counting: relying parties must never see it go back.
    core.state = { ...factoryState(serial, aaguid, core.random), signCount };
    core.regenerateKeyAgreement();
    core.token.reset();
    core.consecutivePinFailures = 0;
    await core.persist();
    return undefined;
  }
}
