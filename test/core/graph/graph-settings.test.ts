import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GLOBALSIGN_ROOT_CA_R3_PEM } from '../../../core/graph/fido-mds-root.ts';
import {
  ConfigurationError,
  graphGatewayOptionsFromEnvironment,
} from '../../../core/graph/graph-settings.ts';

function problems(env: Record<string, string>): string[] {
  try {
    graphGatewayOptionsFromEnvironment(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as ConfigurationError).problems;
  }
  throw new Error('expected a ConfigurationError');
}

describe('Graph settings from the environment', () => {
  it('defaults to v1.0 creation options on graph.microsoft.com with a managed identity', () => {
    const options = graphGatewayOptionsFromEnvironment({ GRAPH_AUTH: 'managed-identity' });
    expect(options.baseUrl).toBe('https://graph.microsoft.com');
    expect(options.creationOptions).toEqual({ version: 'v1.0' });
  });

  it('lists every problem at once, each saying what to set', () => {
    expect(
      problems({
        GRAPH_AUTH: 'secret',
        GRAPH_BASE_URL: 'http://graph.local',
        FIDO2_CHALLENGE_TIMEOUT_MINUTES: '2',
      }),
    ).toEqual([
      'GRAPH_BASE_URL must be an https:// URL.',
      'FIDO2_CHALLENGE_TIMEOUT_MINUTES must be at least 5.',
    ]);
    expect(problems({ GRAPH_AUTH: 'secret', GRAPH_TENANT_ID: 't' })).toEqual([
      'GRAPH_AUTH=secret needs GRAPH_CLIENT_ID and GRAPH_CLIENT_SECRET.',
    ]);
    expect(
      problems({ GRAPH_AUTH: 'managed-identity', FIDO2_CHALLENGE_TIMEOUT_MINUTES: '60' }),
    ).toEqual([
      'FIDO2_CHALLENGE_TIMEOUT_MINUTES works only with FIDO2_OPTIONS_API=beta (v1.0 challenges always last 5 minutes).',
    ]);
    expect(problems({})).toEqual([
      'GRAPH_AUTH must be managed-identity (in Azure), certificate or secret.',
    ]);
    expect(
      problems({ GRAPH_AUTH: 'managed-identity', GRAPH_CA_FILE: '/nonexistent/ca.pem' })[0],
    ).toMatch(/GRAPH_CA_FILE .* cannot be read/);
  });

  it('takes a beta timeout for pre-fetching', () => {
    const options = graphGatewayOptionsFromEnvironment({
      GRAPH_AUTH: 'secret',
      GRAPH_TENANT_ID: 't',
      GRAPH_CLIENT_ID: 'c',
      GRAPH_CLIENT_SECRET: 's',
      FIDO2_OPTIONS_API: 'beta',
      FIDO2_CHALLENGE_TIMEOUT_MINUTES: '1440',
    });
    expect(options.creationOptions).toEqual({ version: 'beta', challengeTimeoutMinutes: 1440 });
  });

  it('reads the FIDO Metadata Service against real Graph, and against a local tenant only when told', () => {
    expect(
      graphGatewayOptionsFromEnvironment({ GRAPH_AUTH: 'managed-identity' }).metadata,
    ).toBeDefined();
    const local = {
      GRAPH_AUTH: 'managed-identity',
      GRAPH_BASE_URL: 'https://localhost:8443',
    };
    expect(graphGatewayOptionsFromEnvironment(local).metadata).toBeUndefined();
    expect(
      graphGatewayOptionsFromEnvironment({ GRAPH_AUTH: 'managed-identity', FIDO_METADATA: 'off' })
        .metadata,
    ).toBeUndefined();
    const rootFile = join(mkdtempSync(join(tmpdir(), 'courier-mds-')), 'root.pem');
    writeFileSync(rootFile, GLOBALSIGN_ROOT_CA_R3_PEM);
    expect(
      graphGatewayOptionsFromEnvironment({
        ...local,
        FIDO_METADATA_URL: 'https://localhost:8443/mds3',
        FIDO_METADATA_ROOT_FILE: rootFile,
      }).metadata,
    ).toBeDefined();
    expect(problems({ ...local, FIDO_METADATA_URL: 'https://localhost:8443/mds3' })).toEqual([
      'FIDO_METADATA_URL without FIDO_METADATA_ROOT_FILE: say which root signs that BLOB.',
    ]);
  });
});
