import { decodeCanonical, encodeCanonical } from '../../core/cbor/canonical-cbor.ts';
import type { CborInput, CborValue } from '../../core/cbor/cbor-value.ts';
import { TransportError } from '../transport/transport-error.ts';
import { parseAuthenticatorInfo, type AuthenticatorInfo } from './authenticator-info.ts';
import {
  clientPinSubCommandName,
  encodeClientPinRequest,
  parseClientPinResponse,
  type ClientPinRequest,
  type ClientPinResponse,
} from './client-pin-command.ts';
import { encodeConfigRequest, type ConfigRequest } from './config-command.ts';
import {
  encodeCredentialManagementRequest,
  parseCredentialManagementResponse,
  type CredentialManagementRequest,
  type CredentialManagementResponse,
} from './credential-management-command.ts';
import { Ctap2Command, ctap2CommandName } from './ctap2-command.ts';
import { CtapError } from './ctap-error.ts';
import type { CtapHidCallOptions, CtapHidDevice } from './ctap-hid-device.ts';
import {
  encodeGetAssertionRequest,
  parseGetAssertionResponse,
  type GetAssertionRequest,
  type GetAssertionResponse,
} from './get-assertion.ts';
import {
  encodeMakeCredentialRequest,
  parseMakeCredentialResponse,
  type MakeCredentialRequest,
  type MakeCredentialResponse,
} from './make-credential.ts';

/** Options for one CTAP2 command: cancellation, keepalive updates, deadline. */
export type Ctap2CallOptions = CtapHidCallOptions;

/**
 * CTAP 2.1 commands over CTAPHID_CBOR, one thin method per command: encode the parameters as
 * canonical CBOR, send, check the status, decode the answer strictly into a typed object.
 * Stateful flows (PIN tokens, config, credential management) are in their own helpers.
 */
export class Ctap2 {
  readonly device: CtapHidDevice;
  /** maxMsgSize from the last getInfo; CTAP's default until then. */
  private maxMsgSize = 1024;

  constructor(device: CtapHidDevice) {
    this.device = device;
  }

  /**
   * Sends a command and returns the decoded CBOR answer (undefined when the key answered only a
   * status). A non-zero status becomes a CtapError naming `what`.
   */
  async send(
    command: number,
    params: CborInput | undefined,
    options: Ctap2CallOptions = {},
    what = ctap2CommandName(command),
  ): Promise<CborValue | undefined> {
    const body = params === undefined ? new Uint8Array(0) : encodeCanonical(params);
    const request = new Uint8Array(1 + body.length);
    request[0] = command;
    request.set(body, 1);
    if (request.length > this.maxMsgSize) {
      throw new TransportError(
        'MESSAGE_TOO_LARGE',
        `${what}: the ${request.length}-byte request exceeds the key's maxMsgSize of ${this.maxMsgSize} bytes.`,
      );
    }
    const response = await this.device.cbor(request, options);
    if (response.length === 0) {
      throw new TransportError(
        'INVALID_RESPONSE',
        `${what}: the key answered with an empty CTAPHID_CBOR message.`,
      );
    }
    const status = response[0]!;
    if (status !== 0) throw new CtapError(status, { command: what });
    if (response.length === 1) return undefined;
    try {
      return decodeCanonical(response.subarray(1));
    } catch (cause) {
      throw new TransportError(
        'INVALID_RESPONSE',
        `${what}: the key's answer is not valid CTAP2 CBOR: ${(cause as Error).message}`,
        {
          cause,
        },
      );
    }
  }

  async getInfo(options?: Ctap2CallOptions): Promise<AuthenticatorInfo> {
    const info = parseAuthenticatorInfo(await this.send(Ctap2Command.GET_INFO, undefined, options));
    this.maxMsgSize = info.maxMsgSize;
    return info;
  }

  async clientPin(
    request: ClientPinRequest,
    options?: Ctap2CallOptions,
  ): Promise<ClientPinResponse> {
    const what = `clientPIN/${clientPinSubCommandName(request.subCommand)}`;
    return parseClientPinResponse(
      await this.send(Ctap2Command.CLIENT_PIN, encodeClientPinRequest(request), options, what),
    );
  }

  async makeCredential(
    request: MakeCredentialRequest,
    options?: Ctap2CallOptions,
  ): Promise<MakeCredentialResponse> {
    return parseMakeCredentialResponse(
      await this.send(Ctap2Command.MAKE_CREDENTIAL, encodeMakeCredentialRequest(request), options),
    );
  }

  async getAssertion(
    request: GetAssertionRequest,
    options?: Ctap2CallOptions,
  ): Promise<GetAssertionResponse> {
    const response = parseGetAssertionResponse(
      await this.send(Ctap2Command.GET_ASSERTION, encodeGetAssertionRequest(request), options),
    );
    // The key may leave out the credential when exactly one was allowed.
    if (!response.credential && request.allowList?.length === 1)
      response.credential = request.allowList[0]!;
    return response;
  }

  async getNextAssertion(options?: Ctap2CallOptions): Promise<GetAssertionResponse> {
    return parseGetAssertionResponse(
      await this.send(Ctap2Command.GET_NEXT_ASSERTION, undefined, options),
    );
  }

  /** authenticatorReset: erases every credential and the PIN. Keys allow it only just after insertion, with a touch. */
  async reset(options?: Ctap2CallOptions): Promise<void> {
    await this.send(Ctap2Command.RESET, undefined, options);
  }

  async credentialManagement(
    request: CredentialManagementRequest,
    options?: Ctap2CallOptions,
  ): Promise<CredentialManagementResponse> {
    return parseCredentialManagementResponse(
      await this.send(
        Ctap2Command.CREDENTIAL_MANAGEMENT,
        encodeCredentialManagementRequest(request),
        options,
      ),
    );
  }

  async config(request: ConfigRequest, options?: Ctap2CallOptions): Promise<void> {
    await this.send(Ctap2Command.CONFIG, encodeConfigRequest(request), options);
  }

  /** authenticatorSelection: the key blinks and answers when touched. */
  async selection(options?: Ctap2CallOptions): Promise<void> {
    await this.send(Ctap2Command.SELECTION, undefined, options);
  }
}
