import { StationApiClient } from '../service/station-api-client.ts';
import { VIRTUAL_ATTESTATION_ROOT_PEM } from '../virtual-key/attestation-authority.ts';
import { cachedToken } from './operator-login.ts';
import { readPem, type StationConfig } from './station-config.ts';

/** The service client with the operator's cached sign-in, and the attestation roots to trust. */
export function stationContext(config: StationConfig): {
  client: StationApiClient;
  roots: string[];
} {
  const client = new StationApiClient({
    baseUrl: config.serviceUrl,
    token: () => cachedToken(config),
    ...(config.caFile ? { caPem: readPem(config.caFile, 'the CA file (caFile)') } : {}),
  });
  const roots = config.attestationRoots.map((file) => readPem(file, 'an attestation root'));
  // The software key's root is public test equipment: trusted only where the config says so.
  if (config.trustSoftwareKeys) roots.push(VIRTUAL_ATTESTATION_ROOT_PEM);
  return { client, roots };
}
