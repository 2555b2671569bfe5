import { createGraphCredential } from '../../core/graph/graph-credential.ts';
import { GraphGateway, type GraphGatewayOptions } from '../../core/graph/graph-gateway.ts';
import type { LocalTenant } from '../../local/tenant/start-local-tenant.ts';

/**
 * The gateway as the functions app builds it in local mode: the seed's functions application
 * with its client secret, against the local tenant, trusting its CA.
 */
export function tenantGateway(
  tenant: Pick<LocalTenant, 'tenantId' | 'url' | 'caPem' | 'applications'>,
  options: Partial<GraphGatewayOptions> = {},
): GraphGateway {
  const functionsApp = tenant.applications.functions;
  if (!functionsApp?.clientSecret) {
    throw new Error('The tenant seed has no "functions" application with a client secret.');
  }
  return new GraphGateway({
    credential: createGraphCredential({
      kind: 'client-secret',
      tenantId: tenant.tenantId,
      clientId: functionsApp.clientId,
      clientSecret: functionsApp.clientSecret,
      authorityHost: tenant.url,
      caPem: tenant.caPem,
    }),
    baseUrl: tenant.url,
    caPem: tenant.caPem,
    ...options,
  });
}
