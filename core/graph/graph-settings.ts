import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { CourierError } from '../courier-error.ts';
import { FidoMetadata } from './fido-metadata.ts';
import { FIDO_MDS3_URL, GLOBALSIGN_ROOT_CA_R3_PEM } from './fido-mds-root.ts';
import { createGraphCredential, type GraphCredentialSettings } from './graph-credential.ts';
import type { GraphGatewayOptions } from './graph-gateway.ts';

export class ConfigurationError extends CourierError<'INVALID_CONFIGURATION'> {
  readonly problems: string[];

  constructor(problems: string[]) {
    super('INVALID_CONFIGURATION', `Configuration problems:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}

const optionalText = z.string().trim().min(1).optional();

const environmentSchema = z.object({
  GRAPH_AUTH: z.enum(['managed-identity', 'certificate', 'secret'], {
    error: 'GRAPH_AUTH must be managed-identity (in Azure), certificate or secret.',
  }),
  GRAPH_TENANT_ID: optionalText,
  GRAPH_CLIENT_ID: optionalText,
  GRAPH_CLIENT_SECRET: optionalText,
  GRAPH_CLIENT_CERTIFICATE_PATH: optionalText,
  GRAPH_AUTHORITY_HOST: z
    .url({ protocol: /^https$/, error: 'GRAPH_AUTHORITY_HOST must be an https:// URL.' })
    .optional(),
  GRAPH_BASE_URL: z
    .url({ protocol: /^https$/, error: 'GRAPH_BASE_URL must be an https:// URL.' })
    .default('https://graph.microsoft.com'),
  GRAPH_CA_FILE: optionalText,
  FIDO2_OPTIONS_API: z
    .enum(['v1.0', 'beta'], { error: 'FIDO2_OPTIONS_API must be v1.0 or beta.' })
    .default('v1.0'),
  FIDO2_CHALLENGE_TIMEOUT_MINUTES: z.coerce
    .number({ error: 'FIDO2_CHALLENGE_TIMEOUT_MINUTES must be a number of minutes.' })
    .int()
    .min(5, 'FIDO2_CHALLENGE_TIMEOUT_MINUTES must be at least 5.')
    .max(43_200, 'FIDO2_CHALLENGE_TIMEOUT_MINUTES must be at most 43200 (30 days).')
    .optional(),
  FIDO_METADATA: z.enum(['on', 'off'], { error: 'FIDO_METADATA must be on or off.' }).optional(),
  FIDO_METADATA_URL: z
    .url({ protocol: /^https$/, error: 'FIDO_METADATA_URL must be an https:// URL.' })
    .optional(),
  FIDO_METADATA_ROOT_FILE: optionalText,
});

/** Every environment variable `graphGatewayOptionsFromEnvironment` reads. */
export const GRAPH_SETTING_NAMES: readonly string[] = Object.keys(environmentSchema.shape);

/**
 * Reads the gateway's configuration from environment variables and checks it all at once, so a
 * misconfigured deployment reports every problem in one message, each saying what to set.
 */
export function graphGatewayOptionsFromEnvironment(
  env: NodeJS.ProcessEnv = process.env,
): GraphGatewayOptions {
  const parsed = environmentSchema.safeParse(env);
  const problems = parsed.success ? [] : parsed.error.issues.map((issue) => issue.message);
  const values = parsed.success ? parsed.data : undefined;
  let credential: GraphCredentialSettings | undefined;
  let caPem: string | undefined;
  if (values) {
    const need = (names: (keyof typeof values)[]): boolean => {
      const missing = names.filter((name) => !values[name]);
      if (missing.length > 0)
        problems.push(`GRAPH_AUTH=${values.GRAPH_AUTH} needs ${missing.join(' and ')}.`);
      return missing.length === 0;
    };
    if (values.GRAPH_CA_FILE) {
      try {
        caPem = readFileSync(values.GRAPH_CA_FILE, 'utf8');
      } catch (error) {
        problems.push(
          `GRAPH_CA_FILE ${values.GRAPH_CA_FILE} cannot be read: ${(error as Error).message}.`,
        );
      }
    }
    const authority = {
      ...(values.GRAPH_AUTHORITY_HOST ? { authorityHost: values.GRAPH_AUTHORITY_HOST } : {}),
      ...(caPem ? { caPem } : {}),
    };
    if (values.GRAPH_AUTH === 'managed-identity') {
      credential = {
        kind: 'managed-identity',
        ...(values.GRAPH_CLIENT_ID ? { clientId: values.GRAPH_CLIENT_ID } : {}),
      };
    } else if (
      values.GRAPH_AUTH === 'certificate' &&
      need(['GRAPH_TENANT_ID', 'GRAPH_CLIENT_ID', 'GRAPH_CLIENT_CERTIFICATE_PATH'])
    ) {
      credential = {
        kind: 'client-certificate',
        tenantId: values.GRAPH_TENANT_ID!,
        clientId: values.GRAPH_CLIENT_ID!,
        certificatePath: values.GRAPH_CLIENT_CERTIFICATE_PATH!,
        ...authority,
      };
    } else if (
      values.GRAPH_AUTH === 'secret' &&
      need(['GRAPH_TENANT_ID', 'GRAPH_CLIENT_ID', 'GRAPH_CLIENT_SECRET'])
    ) {
      credential = {
        kind: 'client-secret',
        tenantId: values.GRAPH_TENANT_ID!,
        clientId: values.GRAPH_CLIENT_ID!,
        clientSecret: values.GRAPH_CLIENT_SECRET!,
        ...authority,
      };
    }
    if (
      values.FIDO2_CHALLENGE_TIMEOUT_MINUTES !== undefined &&
      values.FIDO2_OPTIONS_API !== 'beta'
    ) {
      problems.push(
        'FIDO2_CHALLENGE_TIMEOUT_MINUTES works only with FIDO2_OPTIONS_API=beta (v1.0 challenges always last 5 minutes).',
      );
    }
  }
  // The FIDO Metadata Service for the preflight: on by default against real Graph (the FIDO
  // Alliance's BLOB, signed under GlobalSign Root CA - R3), off against a local tenant unless its
  // BLOB (FIDO_METADATA_URL) and root (FIDO_METADATA_ROOT_FILE) are given.
  let metadata: FidoMetadata | undefined;
  if (values) {
    const realGraph = new URL(values.GRAPH_BASE_URL).hostname === 'graph.microsoft.com';
    const wanted = values.FIDO_METADATA
      ? values.FIDO_METADATA === 'on'
      : realGraph || !!values.FIDO_METADATA_URL;
    if (wanted) {
      let rootsPem = [GLOBALSIGN_ROOT_CA_R3_PEM];
      if (values.FIDO_METADATA_ROOT_FILE) {
        try {
          rootsPem = [readFileSync(values.FIDO_METADATA_ROOT_FILE, 'utf8')];
        } catch (error) {
          problems.push(
            `FIDO_METADATA_ROOT_FILE ${values.FIDO_METADATA_ROOT_FILE} cannot be read: ${(error as Error).message}.`,
          );
        }
      } else if (values.FIDO_METADATA_URL && !realGraph) {
        problems.push(
          'FIDO_METADATA_URL without FIDO_METADATA_ROOT_FILE: say which root signs that BLOB.',
        );
      }
      metadata = new FidoMetadata({
        url: values.FIDO_METADATA_URL ?? FIDO_MDS3_URL,
        rootsPem,
        ...(caPem ? { caPem } : {}),
      });
    }
  }
  if (problems.length > 0 || !values || !credential) throw new ConfigurationError(problems);
  return {
    credential: createGraphCredential(credential),
    baseUrl: values.GRAPH_BASE_URL,
    ...(caPem ? { caPem } : {}),
    ...(metadata ? { metadata } : {}),
    creationOptions: {
      version: values.FIDO2_OPTIONS_API,
      ...(values.FIDO2_CHALLENGE_TIMEOUT_MINUTES === undefined
        ? {}
        : { challengeTimeoutMinutes: values.FIDO2_CHALLENGE_TIMEOUT_MINUTES }),
    },
  };
}
