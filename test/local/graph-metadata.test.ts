import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalTenant, type LocalTenant } from '../../local/tenant/start-local-tenant.ts';
import { appToken, call } from './support/tenant-http.ts';
import {
  makeCredentialFromOptions,
  registrationBody,
  softwareKey,
  type GraphCreationOptions,
} from './support/software-key-registration.ts';

interface EdmType {
  kind: 'entity' | 'complex' | 'enum';
  baseType: string | undefined;
  open: boolean;
  properties: Map<string, string>;
  members: string[];
}

/** The CSDL excerpt as a map of qualified type names (graph.x) to their declarations. */
function loadSchema(): Map<string, EdmType> {
  const xml = readFileSync(
    new URL('../vectors/graph/graph-beta-fido2.csdl.xml', import.meta.url),
    'utf8',
  );
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    isArray: (name) =>
      ['EntityType', 'ComplexType', 'EnumType', 'Property', 'Member'].includes(name),
  });
  const document = parser.parse(xml) as {
    'edmx:Edmx': {
      'edmx:DataServices': {
        Schema: Record<
          string,
          {
            Name: string;
            BaseType?: string;
            OpenType?: string;
            Property?: { Name: string; Type: string }[];
            Member?: { Name: string }[];
          }[]
        >;
      };
    };
  };
  const schema = document['edmx:Edmx']['edmx:DataServices'].Schema;
  const types = new Map<string, EdmType>();
  for (const [tag, kind] of [
    ['EntityType', 'entity'],
    ['ComplexType', 'complex'],
    ['EnumType', 'enum'],
  ] as const) {
    for (const declaration of schema[tag] ?? []) {
      types.set(`graph.${declaration.Name}`, {
        kind,
        baseType: declaration.BaseType,
        open: declaration.OpenType === 'true',
        properties: new Map((declaration.Property ?? []).map((p) => [p.Name, p.Type])),
        members: (declaration.Member ?? []).map((m) => m.Name),
      });
    }
  }
  return types;
}

const schema = loadSchema();
const DATE_TIME_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Every property in `value` must exist on `typeName` (or its base types; `graph.entity`, absent
 * from the excerpt, contributes only the key `id`) and hold a value of the declared type.
 * Returns the problems, each with its JSON path.
 */
function conformance(value: unknown, typeName: string, path: string): string[] {
  if (value === null) return [];
  const collection = /^Collection\((.+)\)$/.exec(typeName);
  if (collection) {
    if (!Array.isArray(value)) return [`${path}: expected an array for ${typeName}`];
    return value.flatMap((item, i) => conformance(item, collection[1]!, `${path}[${i}]`));
  }
  switch (typeName) {
    case 'Edm.String':
      return typeof value === 'string' ? [] : [`${path}: expected a string`];
    case 'Edm.Boolean':
      return typeof value === 'boolean' ? [] : [`${path}: expected a boolean`];
    case 'Edm.Int32':
      return Number.isInteger(value) && Math.abs(value as number) < 2 ** 31
        ? []
        : [`${path}: expected an Int32`];
    case 'Edm.DateTimeOffset':
      return typeof value === 'string' && DATE_TIME_OFFSET.test(value)
        ? []
        : [`${path}: expected a DateTimeOffset`];
  }
  const type = schema.get(typeName);
  if (!type) return [`${path}: ${typeName} is not in the metadata`];
  if (type.kind === 'enum')
    return type.members.includes(value as string)
      ? []
      : [`${path}: ${JSON.stringify(value)} is not a member of ${typeName}`];
  if (typeof value !== 'object' || Array.isArray(value))
    return [`${path}: expected an object of ${typeName}`];
  const problems: string[] = [];
  for (const [name, member] of Object.entries(value as Record<string, unknown>)) {
    if (name.startsWith('@odata.')) continue;
    let declared: string | undefined;
    let open = false;
    for (
      let t: EdmType | undefined = type;
      t;
      t = t.baseType ? schema.get(t.baseType) : undefined
    ) {
      declared ??= t.properties.get(name);
      open ||= t.open;
      if (t.baseType === 'graph.entity' && name === 'id') declared ??= 'Edm.String';
    }
    if (declared === undefined) {
      if (!open) problems.push(`${path}.${name}: not a property of ${typeName}`);
      continue;
    }
    problems.push(...conformance(member, declared, `${path}.${name}`));
  }
  return problems;
}

let tenant: LocalTenant;
let token: string;

beforeAll(async () => {
  tenant = await startLocalTenant({ tlsDirectory: mkdtempSync(join(tmpdir(), 'tenant-tls-')) });
  token = await appToken(tenant);
});
afterAll(async () => {
  await tenant.close();
});

describe("responses match Microsoft Graph's published metadata", () => {
  it('the checker itself catches a wrong property, a wrong type and a wrong enum member', () => {
    expect(
      conformance({ id: 'x', aaGuid: 'y', colour: 'red' }, 'graph.fido2AuthenticationMethod', '$'),
    ).toEqual(['$.colour: not a property of graph.fido2AuthenticationMethod']);
    expect(
      conformance({ attestationCertificates: 'abc' }, 'graph.fido2AuthenticationMethod', '$'),
    ).toEqual(['$.attestationCertificates: expected an array for Collection(Edm.String)']);
    expect(
      conformance({ attestationLevel: 'trusted' }, 'graph.fido2AuthenticationMethod', '$'),
    ).toEqual(['$.attestationLevel: "trusted" is not a member of graph.attestationLevel']);
    expect(
      conformance(
        { publicKey: { timeout: '60000' } },
        'graph.webauthnCredentialCreationOptions',
        '$',
      ),
    ).toEqual(['$.publicKey.timeout: expected an Int32']);
    // Open types take any member: Entra's extensions are dynamic properties.
    expect(
      conformance(
        { hmacCreateSecret: true },
        'graph.webauthnAuthenticationExtensionsClientInputs',
        '$',
      ),
    ).toEqual([]);
  });

  it('creationOptions (v1.0 and beta) is a webauthnCredentialCreationOptions', async () => {
    for (const path of [
      '/v1.0/users/ahmed.karimi@fabrikam.example/authentication/fido2Methods/creationOptions',
      '/beta/users/maja.lind@fabrikam.example/authentication/fido2Methods/creationOptions(challengeTimeoutInMinutes=60)',
    ]) {
      const answer = await call(tenant, 'GET', path, { token });
      expect(answer.json.publicKey.excludeCredentials.length).toBeGreaterThan(0);
      expect(conformance(answer.json, 'graph.webauthnCredentialCreationOptions', '$')).toEqual([]);
    }
  });

  it('a registered, listed and fetched method is a fido2AuthenticationMethod', async () => {
    const key = await softwareKey();
    try {
      const options = (
        await call(
          tenant,
          'GET',
          '/beta/users/lars.eriksson@fabrikam.example/authentication/fido2Methods/creationOptions',
          { token },
        )
      ).json as GraphCreationOptions;
      const created = await call(
        tenant,
        'POST',
        '/beta/users/lars.eriksson@fabrikam.example/authentication/fido2Methods',
        {
          token,
          json: registrationBody(await makeCredentialFromOptions(key, options), 'Lars key'),
        },
      );
      expect(created.status).toBe(201);
      expect(conformance(created.json, 'graph.fido2AuthenticationMethod', '$')).toEqual([]);
      const listed = await call(
        tenant,
        'GET',
        '/v1.0/users/ahmed.karimi@fabrikam.example/authentication/fido2Methods',
        { token },
      );
      for (const [i, method] of (listed.json.value as unknown[]).entries()) {
        expect(conformance(method, 'graph.fido2AuthenticationMethod', `$.value[${i}]`)).toEqual([]);
      }
      const fetched = await call(
        tenant,
        'GET',
        `/v1.0/users/lars.eriksson@fabrikam.example/authentication/fido2Methods/${created.json.id as string}`,
        { token },
      );
      expect(conformance(fetched.json, 'graph.fido2AuthenticationMethod', '$')).toEqual([]);
      // The POST body the station sends is a fido2AuthenticationMethod too.
      expect(
        conformance(
          registrationBody(await makeCredentialFromOptions(key, options)),
          'graph.fido2AuthenticationMethod',
          '$',
        ),
      ).toEqual([]);
    } finally {
      await key.close();
    }
  });
});
