import type { Fido2AuthenticationMethod } from '@microsoft/microsoft-graph-types-beta';
import type { StoredFido2Method } from '../tenant-state.ts';

/**
 * fido2AuthenticationMethod as Graph returns it. passkeyType is in Graph's beta metadata (and the
 * answers of current tenants) but not yet in the typings package, hence the extension.
 * publicKeyCredential is write-only and never returned.
 */
export type Fido2MethodJson = Omit<Fido2AuthenticationMethod, 'publicKeyCredential'> & {
  passkeyType: 'deviceBound' | 'synced';
};

export function fido2MethodJson(method: StoredFido2Method): Fido2MethodJson {
  return {
    id: method.id,
    displayName: method.displayName,
    createdDateTime: method.createdDateTime,
    lastUsedDateTime: method.lastUsedDateTime,
    aaGuid: method.aaGuid,
    model: method.model,
    attestationCertificates: method.attestationCertificates,
    attestationLevel: method.attestationLevel,
    passkeyType: method.passkeyType,
  };
}
