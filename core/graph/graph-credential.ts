import type { TokenCredential } from '@azure/core-auth';
import {
  ClientCertificateCredential,
  ClientSecretCredential,
  ManagedIdentityCredential,
} from '@azure/identity';

/** How the functions app (or the station's direct bulk mode) proves itself to Entra for Graph. */
export type GraphCredentialSettings =
  | { kind: 'managed-identity'; clientId?: string }
  | {
      kind: 'client-certificate';
      tenantId: string;
      clientId: string;
      certificatePath: string;
      authorityHost?: string;
      caPem?: string;
    }
  | {
      kind: 'client-secret';
      tenantId: string;
      clientId: string;
      clientSecret: string;
      authorityHost?: string;
      caPem?: string;
    };

/**
 * The @azure/identity credential for Graph. In Azure it is the app's managed identity; elsewhere a
 * certificate (preferred) or a secret. Against the local tenant, `authorityHost` points at it,
 * instance discovery is off, and its CA is trusted through the pipeline's TLS options: TLS
 * verification stays on.
 */
export function createGraphCredential(settings: GraphCredentialSettings): TokenCredential {
  if (settings.kind === 'managed-identity') {
    return settings.clientId
      ? new ManagedIdentityCredential({ clientId: settings.clientId })
      : new ManagedIdentityCredential();
  }
  const options = {
    ...(settings.authorityHost
      ? { authorityHost: settings.authorityHost, disableInstanceDiscovery: true }
      : {}),
    ...(settings.caPem ? { tlsOptions: { ca: settings.caPem } } : {}),
  };
  return settings.kind === 'client-certificate'
    ? new ClientCertificateCredential(
        settings.tenantId,
        settings.clientId,
        settings.certificatePath,
        options,
      )
    : new ClientSecretCredential(
        settings.tenantId,
        settings.clientId,
        settings.clientSecret,
        options,
      );
}
