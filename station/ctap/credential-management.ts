import { concatBytes } from '../../core/bytes.ts';
import { encodeCanonical } from '../../core/cbor/canonical-cbor.ts';
import type { CborInput } from '../../core/cbor/cbor-value.ts';
import type { CoseKey } from '../../core/webauthn/cose-key.ts';
import { TransportError } from '../transport/transport-error.ts';
import type { AuthenticatorInfo } from './authenticator-info.ts';
import {
  CredentialManagementSubCommand as Sub,
  CredentialManagementSubParam,
} from './credential-management-command.ts';
import { CtapError } from './ctap-error.ts';
import { CtapStatus } from './ctap-status.ts';
import type { Ctap2, Ctap2CallOptions } from './ctap2.ts';
import type { PinUvAuthToken } from './pin-uv-auth-token.ts';
import {
  encodeDescriptor,
  encodeUser,
  type CredentialDescriptor,
  type RelyingPartyEntity,
  type UserEntity,
} from './webauthn-entities.ts';

export interface CredentialsMetadata {
  existingResidentCredentialsCount: number;
  maxPossibleRemainingResidentCredentialsCount: number;
}

export interface StoredRelyingParty {
  rp: RelyingPartyEntity;
  rpIdHash: Uint8Array;
}

export interface StoredCredential {
  user: UserEntity;
  credentialId: CredentialDescriptor;
  publicKey: CoseKey;
  credProtect?: number;
  largeBlobKey?: Uint8Array;
}

/**
 * authenticatorCredentialManagement (CTAP 2.1 §6.8): discoverable credentials on the key, listed
 * per relying party, deleted or updated. Needs a token with the credentialManagement permission.
 */
export class CredentialManagement {
  readonly ctap: Ctap2;
  readonly token: PinUvAuthToken;

  constructor(ctap: Ctap2, token: PinUvAuthToken) {
    this.ctap = ctap;
    this.token = token;
  }

  static isSupported(info: AuthenticatorInfo): boolean {
    return info.options.credMgmt === true;
  }

  async getMetadata(options?: Ctap2CallOptions): Promise<CredentialsMetadata> {
    const response = await this.call(Sub.GET_CREDS_METADATA, undefined, options);
    if (
      response.existingResidentCredentialsCount === undefined ||
      response.maxPossibleRemainingResidentCredentialsCount === undefined
    ) {
      throw new TransportError(
        'INVALID_RESPONSE',
        'credentialManagement/getCredsMetadata: the answer lacks the counts.',
      );
    }
    return {
      existingResidentCredentialsCount: response.existingResidentCredentialsCount,
      maxPossibleRemainingResidentCredentialsCount:
        response.maxPossibleRemainingResidentCredentialsCount,
    };
  }

  async enumerateRps(options?: Ctap2CallOptions): Promise<StoredRelyingParty[]> {
    const first = await this.callOrEmpty(Sub.ENUMERATE_RPS_BEGIN, undefined, options);
    if (!first) return [];
    const total = first.totalRps ?? 1;
    const out: StoredRelyingParty[] = [];
    let current = first;
    for (let i = 0; ; i++) {
      if (!current.rp || !current.rpIdHash) {
        throw new TransportError(
          'INVALID_RESPONSE',
          'credentialManagement/enumerateRPs: an answer lacks rp or rpIDHash.',
        );
      }
      out.push({ rp: current.rp, rpIdHash: current.rpIdHash });
      if (i + 1 >= total) break;
      current = await this.ctap.credentialManagement(
        { subCommand: Sub.ENUMERATE_RPS_GET_NEXT_RP },
        options,
      );
    }
    return out;
  }

  async enumerateCredentials(
    rpIdHash: Uint8Array,
    options?: Ctap2CallOptions,
  ): Promise<StoredCredential[]> {
    const params = new Map<number, CborInput>([[CredentialManagementSubParam.rpIdHash, rpIdHash]]);
    const first = await this.callOrEmpty(Sub.ENUMERATE_CREDENTIALS_BEGIN, params, options);
    if (!first) return [];
    const total = first.totalCredentials ?? 1;
    const out: StoredCredential[] = [];
    let current = first;
    for (let i = 0; ; i++) {
      if (!current.user || !current.credentialId || !current.publicKey) {
        throw new TransportError(
          'INVALID_RESPONSE',
          'credentialManagement/enumerateCredentials: an answer lacks user, credentialID or publicKey.',
        );
      }
      const credential: StoredCredential = {
        user: current.user,
        credentialId: current.credentialId,
        publicKey: current.publicKey,
      };
      if (current.credProtect !== undefined) credential.credProtect = current.credProtect;
      if (current.largeBlobKey) credential.largeBlobKey = current.largeBlobKey;
      out.push(credential);
      if (i + 1 >= total) break;
      current = await this.ctap.credentialManagement(
        { subCommand: Sub.ENUMERATE_CREDENTIALS_GET_NEXT_CREDENTIAL },
        options,
      );
    }
    return out;
  }

  async deleteCredential(
    credentialId: CredentialDescriptor,
    options?: Ctap2CallOptions,
  ): Promise<void> {
    await this.call(
      Sub.DELETE_CREDENTIAL,
      new Map([[CredentialManagementSubParam.credentialId, encodeDescriptor(credentialId)]]),
      options,
    );
  }

  async updateUserInformation(
    credentialId: CredentialDescriptor,
    user: UserEntity,
    options?: Ctap2CallOptions,
  ): Promise<void> {
    await this.call(
      Sub.UPDATE_USER_INFORMATION,
      new Map([
        [CredentialManagementSubParam.credentialId, encodeDescriptor(credentialId)],
        [CredentialManagementSubParam.user, encodeUser(user)],
      ]),
      options,
    );
  }

  private async callOrEmpty(
    subCommand: number,
    params: Map<number, CborInput> | undefined,
    options?: Ctap2CallOptions,
  ) {
    try {
      return await this.call(subCommand, params, options);
    } catch (error) {
      if (error instanceof CtapError && error.status === CtapStatus.NO_CREDENTIALS)
        return undefined;
      throw error;
    }
  }

  /** pinUvAuthParam = authenticate(token, subCommand ‖ CBOR(subCommandParams)). */
  private call(
    subCommand: number,
    params: Map<number, CborInput> | undefined,
    options?: Ctap2CallOptions,
  ) {
    const message = concatBytes([
      Uint8Array.of(subCommand),
      params ? encodeCanonical(params) : new Uint8Array(0),
    ]);
    return this.ctap.credentialManagement(
      {
        subCommand,
        ...(params ? { subCommandParams: params } : {}),
        pinUvAuthProtocol: this.token.protocol.version,
        pinUvAuthParam: this.token.authenticate(message),
      },
      options,
    );
  }
}
