import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { describe, expect, it } from 'vitest';
import { encodeBase64Url } from '../../../core/webauthn/base64url.ts';
import { GraphError } from '../../../core/graph/graph-error.ts';
import { rejection } from '../../support/caught.ts';
import { GraphGateway, type CreationOptionsSettings } from '../../../core/graph/graph-gateway.ts';
import { attemptDisplayName } from '../../../core/graph/registered-method-match.ts';
import {
  graphErrorBody,
  ManualClock,
  ScriptedGraph,
  staticCredential,
  type ScriptedAnswer,
  type ScriptedRequest,
} from '../../support/scripted-graph.ts';

const USER_ID = '11111111-2222-3333-4444-555555555555';
const USER = {
  id: USER_ID,
  userPrincipalName: 'ada@contoso.example',
  displayName: 'Ada Lovelace',
  accountEnabled: true,
  city: 'Malmö',
};
const CREDENTIAL_ID = Uint8Array.from({ length: 16 }, (_, i) => i * 7);
/** Graph's method ids: the credential id in .NET's base64url with a padding digit. */
const METHOD_ID = `${encodeBase64Url(CREDENTIAL_ID)}2`;
/** The name the gateway gives this attempt: 'Key 1' and a tag from the credential id. */
const TAGGED_NAME = attemptDisplayName('Key 1', CREDENTIAL_ID);
const METHOD = {
  id: METHOD_ID,
  displayName: TAGGED_NAME,
  aaGuid: 'cb69481e-8ff7-4039-93ec-0a2729a154a8',
  attestationLevel: 'attested',
  createdDateTime: '2026-11-28T10:00:00Z',
};
const OPTIONS = {
  challengeTimeoutDateTime: '2026-11-28T12:05:00Z',
  publicKey: {
    rp: { id: 'login.microsoft.com', name: 'Microsoft' },
    user: { id: 'dXNlci1oYW5kbGU', name: 'ada@contoso.example', displayName: 'Ada Lovelace' },
    challenge: 'ZXlKaGJHY2lPaUpTVTBFdFQwRkZVQzB5TlRZaUxDSmxibU1p',
    pubKeyCredParams: [
      { type: 'public-key', alg: -7 },
      { type: 'public-key', alg: -257 },
    ],
    timeout: 60000,
    excludeCredentials: [
      { type: 'public-key', id: 'TZ2KrDEawbrIGQsnheGZ/BG9Nfnb7blSGwQYMGyJIhM=', transports: [] },
    ],
    authenticatorSelection: {
      authenticatorAttachment: 'cross-platform',
      requireResidentKey: true,
      userVerification: 'required',
    },
    attestation: 'direct',
    extensions: {
      hmacCreateSecret: true,
      enforceCredentialProtectionPolicy: true,
      credentialProtectionPolicy: 'userVerificationOptional',
    },
    futureMember: 'kept verbatim',
  },
};
const POLICY = {
  id: 'Fido2',
  state: 'enabled',
  isSelfServiceRegistrationAllowed: true,
  isAttestationEnforced: true,
  keyRestrictions: { isEnforced: false, enforcementType: 'allow', aaGuids: [] },
  includeTargets: [{ targetType: 'group', id: 'all_users' }],
  excludeTargets: [],
};
const REGISTRATION = {
  displayName: 'Key 1',
  credentialId: CREDENTIAL_ID,
  clientDataJSON: new TextEncoder().encode('{}'),
  attestationObject: Uint8Array.of(1, 2, 3),
};

function setUp(
  route: (request: ScriptedRequest, index: number) => ScriptedAnswer,
  options: { creationOptions?: CreationOptionsSettings; credential?: TokenCredential } = {},
) {
  const clock = new ManualClock();
  const graph = new ScriptedGraph(route, clock);
  const client = new GraphGateway({
    credential: options.credential ?? staticCredential,
    transport: graph,
    clock,
    ...(options.creationOptions ? { creationOptions: options.creationOptions } : {}),
  });
  return { client, graph, clock };
}

function failure(promise: Promise<unknown>): Promise<GraphError> {
  return rejection(GraphError, promise);
}

describe('the Graph gateway', () => {
  it('reads a user with the fields it needs, and names a missing one', async () => {
    const { client, graph } = setUp((r) =>
      r.path.includes(USER_ID)
        ? { status: 200, body: USER }
        : {
            status: 404,
            body: graphErrorBody('Request_ResourceNotFound', "Resource 'nobody' does not exist"),
          },
    );
    expect(await client.getUser(USER_ID)).toMatchObject({
      id: USER_ID,
      displayName: 'Ada Lovelace',
      city: 'Malmö',
    });
    expect(graph.requests[0]!.path).toContain('$select=id,userPrincipalName,displayName');
    expect(graph.requests[0]!.headers.authorization).toBe('Bearer test-token');
    const missing = await failure(client.getUser('nobody@contoso.example'));
    expect(missing.code).toBe('USER_NOT_FOUND');
    expect(missing.requestId).toBe('req-2');
    expect(missing.message).toContain("Resource 'nobody' does not exist");
  });

  it('returns null for a user without a manager, and USER_NOT_FOUND for no user', async () => {
    const { client } = setUp((r) => {
      if (r.path.endsWith('/manager') || r.path.includes('/manager?'))
        return { status: 404, body: graphErrorBody('Request_ResourceNotFound', 'no manager') };
      return r.path.includes(USER_ID)
        ? { status: 200, body: USER }
        : { status: 404, body: graphErrorBody('Request_ResourceNotFound', 'no user') };
    });
    expect(await client.getManager(USER_ID)).toBeNull();
    expect((await failure(client.getManager('ghost'))).code).toBe('USER_NOT_FOUND');
  });

  it('explains a missing permission', async () => {
    const { client } = setUp(() => ({
      status: 403,
      body: graphErrorBody(
        'Authorization_RequestDenied',
        'Insufficient privileges to complete the operation.',
      ),
    }));
    const error = await failure(client.listFido2Methods(USER_ID));
    expect(error.code).toBe('INSUFFICIENT_PRIVILEGES');
    expect(error.message).toMatch(/UserAuthMethod-Passkey\.ReadWrite\.All/);
    expect(error.graphCode).toBe('Authorization_RequestDenied');
  });

  it('pages through group members', async () => {
    const { client, graph } = setUp((r) =>
      r.path.includes('skiptoken')
        ? { status: 200, body: { value: [{ id: 'b' }] } }
        : {
            status: 200,
            body: {
              value: [{ id: 'a' }],
              '@odata.nextLink':
                'https://graph.microsoft.com/v1.0/groups/g1/members/microsoft.graph.user?$skiptoken=X',
            },
          },
    );
    expect((await client.listGroupMembers('g1')).map((u) => u.id)).toEqual(['a', 'b']);
    expect(graph.requests).toHaveLength(2);
  });

  it('asks v1.0 for creation options by default and passes them through verbatim', async () => {
    const { client, graph } = setUp(() => ({ status: 200, body: OPTIONS }));
    const result = await client.getCreationOptions(USER_ID);
    expect(graph.requests[0]!.url).toBe(
      `https://graph.microsoft.com/v1.0/users/${USER_ID}/authentication/fido2Methods/creationOptions`,
    );
    expect(result.raw).toEqual(OPTIONS);
    expect(result.value.publicKey.rp.id).toBe('login.microsoft.com');
    expect(result.requestId).toBe('req-1');
  });

  it('uses only the function-call form for beta timeouts, and refuses impossible ones', async () => {
    const { client, graph } = setUp(() => ({ status: 200, body: OPTIONS }), {
      creationOptions: { version: 'beta', challengeTimeoutMinutes: 1440 },
    });
    await client.getCreationOptions(USER_ID);
    expect(graph.requests[0]!.url).toBe(
      `https://graph.microsoft.com/beta/users/${USER_ID}/authentication/fido2Methods/creationOptions(challengeTimeoutInMinutes=1440)`,
    );
    expect(() =>
      setUp(() => ({ status: 200 }), {
        creationOptions: { version: 'beta', challengeTimeoutMinutes: 4 },
      }),
    ).toThrow(/5 to 43200/);
  });

  it('refuses creation options that lack what the station needs', async () => {
    const broken = { ...OPTIONS, publicKey: { ...OPTIONS.publicKey, challenge: undefined } };
    const { client } = setUp(() => ({ status: 200, body: broken }));
    const error = await failure(client.getCreationOptions(USER_ID));
    expect(error.code).toBe('INVALID_RESPONSE');
    expect(error.message).toMatch(/publicKey\.challenge/);
  });

  it("registers a credential with exactly Entra's body", async () => {
    const { client, graph } = setUp(() => ({ status: 201, body: METHOD }));
    const result = await client.registerFido2Method(USER_ID, REGISTRATION);
    expect(result).toMatchObject({
      value: { id: METHOD_ID },
      reconciled: false,
      requestId: 'req-1',
    });
    expect(TAGGED_NAME).toMatch(/^Key 1 #[a-z2-9]{6}$/);
    expect(graph.requests[0]!.body).toEqual({
      displayName: TAGGED_NAME,
      publicKeyCredential: {
        id: encodeBase64Url(CREDENTIAL_ID),
        response: { clientDataJSON: 'e30', attestationObject: 'AQID' },
        clientExtensionResults: {},
      },
    });
  });

  describe.each([
    ['credential-id-based', METHOD_ID],
    ['GUID', '73e4b2c6-8a2f-4d3e-9b1a-5c7d8e9f0a1b'],
  ])('with %s method ids', (_form, methodId) => {
    const method = { ...METHOD, id: methodId };
    const ANOTHER_KEY = {
      ...METHOD,
      id: 'c0ffee00-8a2f-4d3e-9b1a-5c7d8e9f0a1b',
      displayName: 'Key 1',
      createdDateTime: '2023-11-14T22:13:20Z',
    };

    it.each([
      ['a connection reset after sending', { network: 'reset-after-send' } as const],
      ['a 504', { status: 504, body: graphErrorBody('gatewayTimeout', 'late') }],
      ['a 503', { status: 503, body: graphErrorBody('serviceNotAvailable', 'busy') }],
    ])(
      'finds the credential after %s by its attempt name, and POSTs once',
      async (_what, answer) => {
        const found = setUp((r, i) => {
          if (i === 0) return answer;
          // Graph's clock: the method was made at the time of the POST.
          const created = new Date(found.clock.now()).toISOString();
          return {
            status: 200,
            body: { value: [ANOTHER_KEY, { ...method, createdDateTime: created }] },
          };
        });
        const result = await found.client.registerFido2Method(USER_ID, REGISTRATION, {
          aaguid: METHOD.aaGuid,
        });
        expect(result.reconciled).toBe(true);
        expect(result.value.id).toBe(methodId);
        expect(found.graph.requests.map((r) => r.method)).toEqual(['POST', 'GET']);
      },
    );

    it('does not take another key with the same base name, or one made long before, for this one', async () => {
      const stale = { ...method, createdDateTime: '2020-01-01T00:00:00Z' };
      const lost = setUp((r, i) =>
        i === 0
          ? { status: 504, body: graphErrorBody('gatewayTimeout', 'late') }
          : r.method === 'GET'
            ? {
                status: 200,
                body: { value: methodId === METHOD_ID ? [ANOTHER_KEY] : [ANOTHER_KEY, stale] },
              }
            : { status: 201, body: method },
      );
      const result = await lost.client.registerFido2Method(USER_ID, REGISTRATION, {
        aaguid: METHOD.aaGuid,
      });
      expect(result.reconciled).toBe(false);
      // Listed twice (with a pause) before the credential, never registered, is sent again.
      expect(lost.graph.requests.map((r) => r.method)).toEqual(['POST', 'GET', 'GET', 'POST']);
    });

    it('takes a 400 after a late commit as that commit, not as a refusal', async () => {
      let committed = false;
      const late = setUp((r, i) => {
        if (r.method === 'POST') {
          if (i === 0) {
            committed = true;
            return { status: 504, body: graphErrorBody('gatewayTimeout', 'late') };
          }
          return { status: 400, body: graphErrorBody('badRequest', 'Bad request.') };
        }
        // The first two lists do not see the commit yet (replication lag); later ones do.
        const visible =
          committed && late.graph.requests.filter((q) => q.method === 'GET').length > 2;
        const created = new Date(late.clock.now()).toISOString();
        return {
          status: 200,
          body: { value: visible ? [{ ...method, createdDateTime: created }] : [] },
        };
      });
      const result = await late.client.registerFido2Method(USER_ID, REGISTRATION, {
        aaguid: METHOD.aaGuid,
      });
      expect(result).toMatchObject({ reconciled: true, value: { id: methodId } });
    });
  });

  it('checks group membership 20 group ids at a time', async () => {
    const groups = Array.from({ length: 45 }, (_, i) => `group-${i}`);
    const { client, graph } = setUp((r) => ({
      status: 200,
      body: { value: (r.body as { groupIds: string[] }).groupIds.filter((g) => g.endsWith('7')) },
    }));
    expect(await client.checkMemberGroups(USER_ID, groups)).toEqual([
      'group-7',
      'group-17',
      'group-27',
      'group-37',
    ]);
    expect(graph.requests.map((r) => (r.body as { groupIds: string[] }).groupIds.length)).toEqual([
      20, 20, 5,
    ]);
  });

  it("classifies Graph's bare 400 into the cause an operator can fix", async () => {
    const bare = { status: 400, body: graphErrorBody('badRequest', 'Bad request.') };
    const cases: [
      string,
      (r: ScriptedRequest) => ScriptedAnswer,
      { aaguid?: string; challengeExpiresAt?: string },
    ][] = [
      [
        'SELF_SERVICE_DISABLED',
        (r) =>
          r.path.includes('fido2') && r.method === 'GET' && r.path.includes('policies')
            ? { status: 200, body: { ...POLICY, isSelfServiceRegistrationAllowed: false } }
            : r.path.includes('checkMemberGroups')
              ? { status: 200, body: { value: [] } }
              : bare,
        { aaguid: METHOD.aaGuid },
      ],
      [
        'CHALLENGE_EXPIRED',
        (r) => (r.method === 'GET' ? { status: 200, body: { value: [] } } : bare),
        { challengeExpiresAt: '2020-01-01T00:00:00Z' },
      ],
      [
        'ALREADY_REGISTERED',
        (r) => (r.method === 'GET' ? { status: 200, body: { value: [METHOD] } } : bare),
        {},
      ],
      [
        'ATTESTATION_NOT_TRUSTED',
        (r) =>
          r.path.includes('policies')
            ? { status: 200, body: POLICY }
            : r.path.includes('checkMemberGroups')
              ? { status: 200, body: { value: [] } }
              : r.method === 'GET'
                ? { status: 200, body: { value: [] } }
                : bare,
        { aaguid: METHOD.aaGuid },
      ],
      [
        'BAD_REQUEST',
        (r) => (r.method === 'GET' ? { status: 200, body: { value: [] } } : bare),
        {},
      ],
    ];
    for (const [expected, route, context] of cases) {
      const { client } = setUp(route);
      const error = await failure(client.registerFido2Method(USER_ID, REGISTRATION, context));
      expect(error.code, expected).toBe(expected);
      expect(error.requestId).toBe('req-1');
      expect(error.message).toContain('Bad request.');
    }
  });

  it('treats deleting a method that is already gone as done', async () => {
    const { client } = setUp((_r, i) =>
      i === 0 ? { status: 204 } : { status: 404, body: graphErrorBody('itemNotFound', 'gone') },
    );
    expect((await client.deleteFido2Method(USER_ID, METHOD_ID)).value).toBe('deleted');
    expect((await client.deleteFido2Method(USER_ID, METHOD_ID)).value).toBe('already-gone');
  });

  it('installs the Teams app for a user once and finds the bot chat', async () => {
    let installed = false;
    const { client, graph } = setUp((r) => {
      if (r.method === 'POST') {
        installed = true;
        return { status: 201 };
      }
      if (r.path.endsWith('/chat'))
        return { status: 200, body: { id: '19:bot-chat@unq.gbl.spaces', chatType: 'oneOnOne' } };
      return {
        status: 200,
        body: {
          value: installed
            ? [{ id: 'inst-1', teamsApp: { id: 'app-1', externalId: 'courier' } }]
            : [],
        },
      };
    });
    expect(await client.installTeamsAppForUser(USER_ID, 'app-1')).toEqual({
      installationId: 'inst-1',
      chatId: '19:bot-chat@unq.gbl.spaces',
    });
    expect(graph.requests.find((r) => r.method === 'POST')!.body).toEqual({
      'teamsApp@odata.bind': 'https://graph.microsoft.com/v1.0/appCatalogs/teamsApps/app-1',
    });
  });

  it('reports a credential that cannot get a token as UNAUTHENTICATED', async () => {
    const broken: TokenCredential = {
      getToken: (): Promise<AccessToken> =>
        Promise.reject(new Error('AADSTS7000215: Invalid client secret provided.')),
    };
    const { client } = setUp(() => ({ status: 200, body: USER }), { credential: broken });
    const error = await failure(client.getUser(USER_ID));
    expect(error.code).toBe('UNAUTHENTICATED');
    expect(error.message).toContain('AADSTS7000215');
  });
});
