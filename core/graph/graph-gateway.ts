import { X509Certificate } from 'node:crypto';
import type { TokenCredential } from '@azure/core-auth';
import {
  AuthenticationHandler,
  Client,
  ResponseType,
  type Middleware,
} from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js';
import { decodeJwt } from 'jose';
import { z } from 'zod';
import { ClientRequestIdMiddleware } from './client-request-id-middleware.ts';
import { buildRegistrationBody, type Fido2Registration } from './fido2-registration.ts';
import { GRAPH_CALL_OPTION, type GraphCallRecord } from './graph-call.ts';
import { GraphError, type GraphErrorCode } from './graph-error.ts';
import { HttpsTransport } from './https-transport.ts';
import {
  aaguidOfAttestation,
  attemptDisplayName,
  findAttemptMethod,
} from './registered-method-match.ts';
import {
  evaluateRegistrationPolicy,
  type PreflightResult,
  type RegistrationProblem,
} from './registration-policy.ts';
import type { FidoMetadata, MetadataVerdict } from './fido-metadata.ts';
import { systemRetryClock, type RetryClock } from './retry-clock.ts';
import { RetryMiddleware, type RetryObserver, type RetryPolicy } from './retry-middleware.ts';
import { creationOptionsSchema, type CreationOptions } from './schemas/creation-options-schema.ts';
import {
  DIRECTORY_USER_SELECT,
  directoryUserSchema,
  type DirectoryUser,
} from './schemas/directory-user-schema.ts';
import { fido2MethodSchema, type Fido2Method } from './schemas/fido2-method-schema.ts';
import { fido2PolicySchema, type Fido2Policy } from './schemas/fido2-policy-schema.ts';
import { graphPageSchema } from './schemas/graph-page-schema.ts';
import { chatSchema, teamsAppInstallationSchema } from './schemas/teams-app-installation-schema.ts';

export interface CreationOptionsSettings {
  /**
   * v1.0 (the default): GA, the challenge lives 5 minutes, so options are fetched just in time.
   * beta: `creationOptions(challengeTimeoutInMinutes=N)` for pre-fetching, 5 to 43,200 minutes.
   */
  version: 'v1.0' | 'beta';
  challengeTimeoutMinutes?: number;
}

export interface GraphGatewayOptions {
  credential: TokenCredential;
  /** https://graph.microsoft.com, or the local tenant's root. */
  baseUrl?: string;
  /** Extra CA to trust (the local tenant's); verification always stays on. */
  caPem?: string;
  creationOptions?: CreationOptionsSettings;
  retry?: Partial<RetryPolicy>;
  clock?: RetryClock;
  observer?: RetryObserver;
  /** Per-attempt deadline. */
  attemptTimeoutMs?: number;
  /** The FIDO Metadata Service, for the preflight when attestation is enforced. */
  metadata?: FidoMetadata;
  /** Replaces the HTTPS transport (the last middleware), for tests that script Graph's answers. */
  transport?: Middleware;
}

/** A result with the Graph request ids that the audit trail keeps. */
export interface Traced<T> {
  value: T;
  requestId: string | undefined;
  clientRequestId: string | undefined;
}

export interface RegistrationResult extends Traced<Fido2Method> {
  /** True when the POST's outcome was unknown and the method was found by listing instead. */
  reconciled: boolean;
}

export interface CreationOptionsResult extends Traced<CreationOptions> {
  /** The options exactly as Graph sent them, for passing through verbatim. */
  raw: unknown;
}

const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';
/** What Microsoft's beta creationOptions page lists (its only permission). */
export const BETA_OPTIONS_PERMISSION = 'UserAuthenticationMethod.ReadWrite.All';
/** The least-privileged permission for v1.0 creationOptions and POST fido2Methods. */
export const LEAST_PRIVILEGED_PASSKEY_PERMISSION = 'UserAuthMethod-Passkey.ReadWrite.All';
/** Documented limit of POST /users/{id}/checkMemberGroups. */
export const CHECK_MEMBER_GROUPS_LIMIT = 20;
/** Pauses (ms) before each listing that looks for a POST whose outcome is unknown. */
const RECONCILE_LISTS = [0, 2_000] as const;

/**
 * The one place the project talks to Microsoft Graph (README, "The Graph gateway"): users and managers, group
 * members, FIDO2 creation options, registration, listing and deletion of fido2Methods, the FIDO2
 * policy with a preflight, and the Teams app installation that opens a bot chat. Built on the
 * Graph SDK with a middleware chain of our own: token, client-request-id, retries that honour
 * Retry-After within a deadline, and an HTTPS transport that can trust a local CA.
 */
export class GraphGateway {
  private readonly client: Client;
  private readonly creationOptions: CreationOptionsSettings;
  private readonly clock: RetryClock;
  private readonly credential: TokenCredential;
  private readonly metadata: FidoMetadata | undefined;

  constructor(options: GraphGatewayOptions) {
    this.credential = options.credential;
    this.metadata = options.metadata;
    const baseUrl = (options.baseUrl ?? 'https://graph.microsoft.com').replace(/\/+$/, '');
    const host = new URL(baseUrl).hostname;
    this.clock = options.clock ?? systemRetryClock;
    const chain: Middleware[] = [
      new AuthenticationHandler(
        new TokenCredentialAuthenticationProvider(options.credential, { scopes: [GRAPH_SCOPE] }),
      ),
      new ClientRequestIdMiddleware(),
      new RetryMiddleware(options.retry, this.clock, options.observer),
      options.transport ??
        new HttpsTransport({
          ...(options.caPem ? { ca: options.caPem } : {}),
          ...(options.attemptTimeoutMs ? { timeoutMs: options.attemptTimeoutMs } : {}),
        }),
    ];
    for (let i = 0; i < chain.length - 1; i++) chain[i]!.setNext?.(chain[i + 1]!);
    this.client = Client.initWithMiddleware({
      middleware: chain,
      baseUrl: `${baseUrl}/`,
      defaultVersion: 'v1.0',
      customHosts: new Set([host]),
    });
    this.creationOptions = options.creationOptions ?? { version: 'v1.0' };
    const minutes = this.creationOptions.challengeTimeoutMinutes;
    if (
      this.creationOptions.version === 'beta' &&
      minutes !== undefined &&
      (!Number.isInteger(minutes) || minutes < 5 || minutes > 43_200)
    ) {
      throw new GraphError(
        'BAD_REQUEST',
        `challengeTimeoutInMinutes must be a whole number from 5 to 43200, got ${minutes}.`,
      );
    }
  }

  /** A user by object id or UPN, with the fields used for approvals, display and shipping. */
  async getUser(idOrUpn: string): Promise<DirectoryUser> {
    const result = await this.request(
      'GET',
      `/users/${encodeURIComponent(idOrUpn)}?$select=${DIRECTORY_USER_SELECT}`,
      directoryUserSchema,
      {
        notFound: 'USER_NOT_FOUND',
      },
    );
    return result.value;
  }

  /** The user's manager, or null when none is set (Graph answers 404 then). */
  async getManager(userId: string): Promise<DirectoryUser | null> {
    try {
      const result = await this.request(
        'GET',
        `/users/${encodeURIComponent(userId)}/manager?$select=${DIRECTORY_USER_SELECT}`,
        directoryUserSchema,
      );
      return result.value;
    } catch (error) {
      if (
        error instanceof GraphError &&
        error.code === 'NOT_FOUND' &&
        error.graphCode === 'Request_ResourceNotFound'
      ) {
        // Also what Graph says for an unknown user; tell the two apart.
        await this.getUser(userId);
        return null;
      }
      throw error;
    }
  }

  /** Every member of a group that is a user (nested groups and devices are skipped), following @odata.nextLink. */
  /**
   * Groups whose displayName is exactly `name` (documented: `displayName` supports `eq` in
   * $filter on /groups). Names are not unique in Entra, so callers decide what several mean.
   */
  async findGroupsByName(name: string): Promise<{ id: string; displayName: string }[]> {
    const pageSchema = graphPageSchema(z.looseObject({ id: z.string(), displayName: z.string() }));
    const filter = encodeURIComponent(`displayName eq '${name.replace(/'/g, "''")}'`);
    const page = (
      await this.request(
        'GET',
        `/groups?$filter=${filter}&$select=id,displayName&$top=10`,
        pageSchema,
      )
    ).value;
    return page.value.map((g) => ({ id: g.id, displayName: g.displayName }));
  }

  async listGroupMembers(groupId: string, pageSize = 100): Promise<DirectoryUser[]> {
    const pageSchema = graphPageSchema(
      directoryUserSchema.extend({ '@odata.type': z.string().optional() }),
    );
    const members: DirectoryUser[] = [];
    let path: string | undefined =
      `/groups/${encodeURIComponent(groupId)}/members?$select=${DIRECTORY_USER_SELECT}&$top=${pageSize}`;
    for (let pages = 0; path; pages++) {
      if (pages > 10_000)
        throw new GraphError(
          'INVALID_RESPONSE',
          `Group ${groupId} keeps returning pages; stopped after 10,000.`,
        );
      const page: z.infer<typeof pageSchema> = (
        await this.request('GET', path, pageSchema, { notFound: 'NOT_FOUND' })
      ).value;
      members.push(
        ...page.value.filter(
          (member) =>
            (member['@odata.type'] ?? '#microsoft.graph.user') === '#microsoft.graph.user',
        ),
      );
      path = page['@odata.nextLink'];
    }
    return members;
  }

  /**
   * Which of `groupIds` the user belongs to, directly or through nested groups. Graph takes at
   * most 20 group ids per call (documented on checkMemberGroups), so longer lists go in chunks.
   */
  async checkMemberGroups(userId: string, groupIds: readonly string[]): Promise<string[]> {
    const unique = [...new Set(groupIds)];
    const memberOf: string[] = [];
    for (let i = 0; i < unique.length; i += CHECK_MEMBER_GROUPS_LIMIT) {
      const result = await this.request(
        'POST',
        `/users/${encodeURIComponent(userId)}/checkMemberGroups`,
        graphPageSchema(z.string()),
        {
          body: { groupIds: unique.slice(i, i + CHECK_MEMBER_GROUPS_LIMIT) },
          notFound: 'USER_NOT_FOUND',
        },
      );
      memberOf.push(...result.value.value);
    }
    return memberOf;
  }

  /**
   * FIDO2 creation options for a user, passed through verbatim. v1.0 by default (5-minute
   * challenge); beta only in the function-call form `creationOptions(challengeTimeoutInMinutes=N)`,
   * since the query-string form answers 405.
   */
  async getCreationOptions(userId: string): Promise<CreationOptionsResult> {
    const { version, challengeTimeoutMinutes } = this.creationOptions;
    const base = `/users/${encodeURIComponent(userId)}/authentication/fido2Methods/creationOptions`;
    const path =
      version === 'beta' && challengeTimeoutMinutes !== undefined
        ? `${base}(challengeTimeoutInMinutes=${challengeTimeoutMinutes})`
        : base;
    const result = await this.request('GET', path, creationOptionsSchema, {
      version,
      notFound: 'USER_NOT_FOUND',
      keepRaw: true,
    });
    return { ...result, raw: result.raw };
  }

  async listFido2Methods(userId: string): Promise<Fido2Method[]> {
    const result = await this.request(
      'GET',
      `/users/${encodeURIComponent(userId)}/authentication/fido2Methods`,
      graphPageSchema(fido2MethodSchema),
      {
        notFound: 'USER_NOT_FOUND',
      },
    );
    return result.value.value;
  }

  /**
   * Registers a credential under a display name unique to this attempt (see
   * registered-method-match.ts). If the POST's outcome is unknown (a timeout, a broken connection,
   * or a 5xx: a 503 or 504 can come after Graph committed the method), the user's methods are
   * listed, twice with a pause, before anything is sent again, so a live credential is never
   * POSTed twice. A bare 400 from Graph is classified into its likely cause by a preflight.
   */
  async registerFido2Method(
    userId: string,
    registration: Fido2Registration,
    context: { aaguid?: string; challengeExpiresAt?: string } = {},
  ): Promise<RegistrationResult> {
    const tagged = {
      ...registration,
      displayName: attemptDisplayName(registration.displayName, registration.credentialId),
    };
    const body = buildRegistrationBody(tagged);
    const path = `/users/${encodeURIComponent(userId)}/authentication/fido2Methods`;
    const started = this.clock.now();
    let outcomeWasUnknown = false;
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.request('POST', path, fido2MethodSchema, {
          body,
          notFound: 'USER_NOT_FOUND',
        });
        return { ...result, reconciled: false };
      } catch (error) {
        if (!(error instanceof GraphError)) throw error;
        const traced = { requestId: error.requestId, clientRequestId: error.clientRequestId };
        if (isUnknownOutcome(error)) {
          outcomeWasUnknown = true;
          const found = await this.findRegisteredMethod(userId, tagged, {
            ...context,
            postedAt: started,
            lists: RECONCILE_LISTS,
          });
          if (found) return { value: found, ...traced, reconciled: true };
          const expired =
            context.challengeExpiresAt !== undefined &&
            Date.parse(context.challengeExpiresAt) <= this.clock.now();
          if (attempt < 3 && !expired) continue;
          throw error;
        }
        if (error.code === 'BAD_REQUEST' || error.code === 'CONFLICT') {
          if (outcomeWasUnknown) {
            // An earlier POST may have committed late; if so, this refusal is its duplicate.
            const found = await this.findRegisteredMethod(userId, tagged, {
              ...context,
              postedAt: started,
            });
            if (found) return { value: found, ...traced, reconciled: true };
          }
          throw await this.classifyRefusal(userId, tagged, error, { ...context, started });
        }
        throw error;
      }
    }
  }

  /**
   * The user's method that holds this registration, found without assuming the method id is the
   * credential id: by the attempt's display name with AAGUID and createdDateTime, or by an id
   * that does read as the credential id. `displayName` may be the caller's or the tagged one.
   */
  async findRegisteredMethod(
    userId: string,
    registration: Pick<Fido2Registration, 'displayName' | 'credentialId' | 'attestationObject'>,
    options: { aaguid?: string; postedAt?: number; lists?: readonly number[] } = {},
  ): Promise<Fido2Method | undefined> {
    const identity = {
      credentialId: registration.credentialId,
      displayName: attemptDisplayName(registration.displayName, registration.credentialId),
      aaguid: (
        options.aaguid ?? aaguidOfAttestation(registration.attestationObject)
      )?.toLowerCase(),
      ...(options.postedAt === undefined ? {} : { postedAt: options.postedAt }),
    };
    for (const pause of options.lists ?? [0]) {
      if (pause > 0) await this.clock.sleep(pause);
      const methods = await this.listFido2Methods(userId);
      const found = findAttemptMethod(methods, { ...identity, now: this.clock.now() });
      if (found) return found;
    }
    return undefined;
  }

  /** Deletes a method; one that is already gone counts as deleted (the goal is revocation). */
  async deleteFido2Method(
    userId: string,
    methodId: string,
  ): Promise<Traced<'deleted' | 'already-gone'>> {
    try {
      const result = await this.request(
        'DELETE',
        `/users/${encodeURIComponent(userId)}/authentication/fido2Methods/${encodeURIComponent(methodId)}`,
        undefined,
      );
      return { ...result, value: 'deleted' };
    } catch (error) {
      if (error instanceof GraphError && error.code === 'NOT_FOUND') {
        return {
          value: 'already-gone',
          requestId: error.requestId,
          clientRequestId: error.clientRequestId,
        };
      }
      throw error;
    }
  }

  /**
   * The Passkey (FIDO2) method policy. Passkey profiles (passkeyProfiles, passkeyTypes,
   * attestationEnforcement, defaultPasskeyProfile) are in v1.0 and beta alike.
   */
  async getFido2Policy(version: 'v1.0' | 'beta' = 'v1.0'): Promise<Fido2Policy> {
    const result = await this.request(
      'GET',
      '/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/fido2',
      fido2PolicySchema,
      { version },
    );
    return result.value;
  }

  /** v1.0's policy, or beta's when only beta shows the tenant's passkey profiles. */
  async getPasskeyPolicy(): Promise<Fido2Policy> {
    const v1 = await this.getFido2Policy('v1.0');
    if (v1.passkeyProfiles?.length) return v1;
    const beta = await this.getFido2Policy('beta').catch(() => undefined);
    return beta?.passkeyProfiles?.length ? beta : v1;
  }

  /**
   * Before any key is touched: can this user receive a key of this AAGUID at all? With
   * attestation enforced, the AAGUID (and, when given, the key's attestation root) is checked
   * against the FIDO Metadata Service, as Entra checks it.
   */
  async preflight(
    userId: string,
    aaguid: string,
    key: { attestationRootPem?: string } = {},
  ): Promise<PreflightResult> {
    const policy = await this.getPasskeyPolicy();
    const targetGroups = [...(policy.includeTargets ?? []), ...(policy.excludeTargets ?? [])]
      .filter((t) => t.targetType === 'group' && t.id !== 'all_users')
      .map((t) => t.id);
    const groupIds = await this.checkMemberGroups(userId, [...new Set(targetGroups)]);
    const result = evaluateRegistrationPolicy(policy, { id: userId, groupIds }, aaguid);
    if (!result.attestationEnforced || !this.metadata) return result;
    let verdict: MetadataVerdict;
    try {
      verdict = await this.metadata.verdict(aaguid);
    } catch (error) {
      // Entra decides in the end; an unreadable (or untrustworthy) metadata service does not stop
      // the station, but the reason is kept for the operator's log.
      return { ...result, metadata: 'unavailable', metadataError: (error as Error).message };
    }
    const problem = metadataProblem(verdict, key.attestationRootPem);
    if (!problem) return { ...result, metadata: 'listed' };
    return {
      ...result,
      allowed: false,
      problems: [...result.problems, problem],
      metadata: verdict.listed ? 'listed' : 'not-listed',
    };
  }

  /**
   * Start-up check of the app's Graph permissions, from its token's roles. Microsoft's beta
   * creationOptions page lists only UserAuthenticationMethod.ReadWrite.All, so pre-fetching
   * through beta with only the least-privileged UserAuthMethod-Passkey.ReadWrite.All fails on
   * every request: that is said now, not at the first key. Returns the problems found.
   */
  async checkPermissions(): Promise<string[]> {
    if (this.creationOptions.version !== 'beta') return [];
    const token = await this.credential.getToken(GRAPH_SCOPE);
    if (!token) return ['Could not get a token for Microsoft Graph to check its permissions.'];
    const claims = decodeJwt(token.token);
    const roles = Array.isArray(claims.roles) ? claims.roles.map(String) : [];
    if (roles.includes(BETA_OPTIONS_PERMISSION)) return [];
    const leastOnly = roles.includes(LEAST_PRIVILEGED_PASSKEY_PERMISSION);
    return [
      `FIDO2_OPTIONS_API=beta (pre-fetching creation options) needs the Graph application permission ${BETA_OPTIONS_PERMISSION}: Microsoft's beta creationOptions page lists no other${leastOnly ? `, and the app has only the least-privileged ${LEAST_PRIVILEGED_PASSKEY_PERMISSION}` : ''}. Grant ${BETA_OPTIONS_PERMISSION} with admin consent, or set FIDO2_OPTIONS_API=v1.0 (5-minute challenges, fetched just in time), which works with ${LEAST_PRIVILEGED_PASSKEY_PERMISSION}.`,
    ];
  }

  /**
   * Installs the Teams app (by its catalog id) for a user, so the bot can message them; an
   * existing installation is reused. Returns the installation id and the bot's 1:1 chat id.
   */
  async installTeamsAppForUser(
    userId: string,
    teamsAppId: string,
  ): Promise<{ installationId: string; chatId: string }> {
    const base = `/users/${encodeURIComponent(userId)}/teamwork/installedApps`;
    let installation = await this.findInstallation(userId, teamsAppId);
    if (!installation) {
      try {
        await this.request('POST', base, undefined, {
          body: {
            'teamsApp@odata.bind': `https://graph.microsoft.com/v1.0/appCatalogs/teamsApps/${teamsAppId}`,
          },
          notFound: 'USER_NOT_FOUND',
        });
      } catch (error) {
        if (!(error instanceof GraphError && error.code === 'CONFLICT')) throw error;
      }
      installation = await this.findInstallation(userId, teamsAppId);
    }
    if (!installation)
      throw new GraphError(
        'INVALID_RESPONSE',
        `Graph accepted the installation of Teams app ${teamsAppId} for ${userId} but does not list it.`,
      );
    const chat = await this.request(
      'GET',
      `${base}/${encodeURIComponent(installation)}/chat`,
      chatSchema,
    );
    return { installationId: installation, chatId: chat.value.id };
  }

  private async findInstallation(userId: string, teamsAppId: string): Promise<string | undefined> {
    const filter = encodeURIComponent(`teamsApp/id eq '${teamsAppId.replace(/'/g, "''")}'`);
    const page = await this.request(
      'GET',
      `/users/${encodeURIComponent(userId)}/teamwork/installedApps?$expand=teamsApp&$filter=${filter}`,
      graphPageSchema(teamsAppInstallationSchema),
      { notFound: 'USER_NOT_FOUND' },
    );
    return page.value.value[0]?.id;
  }

  private async classifyRefusal(
    userId: string,
    registration: Fido2Registration,
    error: GraphError,
    context: { aaguid?: string; challengeExpiresAt?: string; started: number },
  ): Promise<GraphError> {
    const details = {
      status: error.status,
      graphCode: error.graphCode,
      requestId: error.requestId,
      clientRequestId: error.clientRequestId,
      cause: error,
    };
    const quoted = `Graph answered ${error.status ?? '?'} ${error.graphCode ?? ''}: ${JSON.stringify(error.message)}`;
    // Graph does not say why; work it out, most specific cause first.
    const preflight = context.aaguid
      ? await this.preflight(userId, context.aaguid).catch(() => undefined)
      : undefined;
    const problem = preflight?.problems[0];
    if (problem) return new GraphError(problem.code, `${problem.message} (${quoted})`, details);
    if (context.challengeExpiresAt && Date.parse(context.challengeExpiresAt) <= this.clock.now()) {
      return new GraphError(
        'CHALLENGE_EXPIRED',
        `The creation options' challenge expired at ${context.challengeExpiresAt}. Fetch new options and program the key again. (${quoted})`,
        details,
      );
    }
    const existing = await this.findRegisteredMethod(userId, registration, {
      ...(context.aaguid ? { aaguid: context.aaguid } : {}),
    }).catch(() => undefined);
    if (error.code === 'CONFLICT' || existing) {
      return new GraphError(
        'ALREADY_REGISTERED',
        `This credential is already registered for ${userId}. (${quoted})`,
        details,
      );
    }
    {
      // attestationEnforcement of the profiles that apply (isAttestationEnforced only without).
      if (preflight?.attestationEnforced) {
        return new GraphError(
          'ATTESTATION_NOT_TRUSTED',
          `The tenant enforces attestation and did not accept this key's attestation: its model must be in the FIDO Metadata Service and trusted by Entra. (${quoted})`,
          details,
        );
      }
    }
    return new GraphError(
      'BAD_REQUEST',
      `Graph refused the registration for ${userId}. ${quoted}`,
      details,
    );
  }

  /** One Graph call: status handling, Graph's error envelope, request ids, schema validation. */
  private async request<S extends z.ZodType>(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    schema: S | undefined,
    options: {
      version?: 'v1.0' | 'beta';
      body?: unknown;
      notFound?: GraphErrorCode;
      keepRaw?: boolean;
    } = {},
  ): Promise<Traced<z.infer<S>> & { raw: unknown }> {
    const record: GraphCallRecord = { attempts: 0 };
    let request = this.client
      .api(path)
      .version(options.version ?? 'v1.0')
      .responseType(ResponseType.RAW)
      .option(GRAPH_CALL_OPTION, record);
    if (options.body !== undefined) request = request.header('content-type', 'application/json');
    let response: Response;
    try {
      response = (await (method === 'GET'
        ? request.get()
        : method === 'POST'
          ? request.post(JSON.stringify(options.body ?? {}))
          : request.delete())) as Response;
    } catch (error) {
      if (record.networkError) throw record.networkError;
      throw new GraphError(
        'UNAUTHENTICATED',
        `Could not get a token for Microsoft Graph: ${(error as Error).message}`,
        { cause: error },
      );
    }
    const requestId = response.headers.get('request-id') ?? undefined;
    const clientRequestId = response.headers.get('client-request-id') ?? undefined;
    const text = await response.text();
    let json: unknown;
    try {
      json = text.length > 0 ? JSON.parse(text) : undefined;
    } catch (cause) {
      throw new GraphError(
        'INVALID_RESPONSE',
        `${method} ${path}: Graph answered ${response.status} with a body that is not JSON.`,
        {
          status: response.status,
          ...(requestId ? { requestId } : {}),
          cause,
        },
      );
    }
    if (!response.ok)
      throw errorFromResponse(method, path, response, json, {
        requestId,
        clientRequestId,
        notFound: options.notFound,
      });
    if (!schema) return { value: json as z.infer<S>, requestId, clientRequestId, raw: json };
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const problems = parsed.error.issues
        .slice(0, 5)
        .map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
      throw new GraphError(
        'INVALID_RESPONSE',
        `${method} ${path}: Graph's answer does not have the published shape (${problems.join('; ')}).`,
        {
          status: response.status,
          ...(requestId ? { requestId } : {}),
        },
      );
    }
    return {
      value: parsed.data,
      requestId,
      clientRequestId,
      raw: options.keepRaw ? json : undefined,
    };
  }
}

/** Why enforced attestation would fail for this key, by the metadata; undefined when it passes. */
function metadataProblem(
  verdict: MetadataVerdict,
  attestationRootPem: string | undefined,
): RegistrationProblem | undefined {
  const enforced = 'The tenant enforces attestation';
  if (!verdict.listed)
    return {
      code: 'ATTESTATION_NOT_TRUSTED',
      message: `${enforced} and ${verdict.reason} Entra will refuse this key: use a model listed there, or turn attestation enforcement off for its passkey profile.`,
    };
  if (attestationRootPem === undefined) return undefined;
  const fingerprint = new X509Certificate(attestationRootPem).fingerprint256;
  if (verdict.rootsPem.some((pem) => new X509Certificate(pem).fingerprint256 === fingerprint))
    return undefined;
  return {
    code: 'ATTESTATION_NOT_TRUSTED',
    message: `${enforced} and this key's attestation root is not among those the FIDO Metadata Service lists for ${verdict.description ?? 'its AAGUID'}: Entra will refuse it.`,
  };
}

/**
 * After these the outcome of a POST is unknown: a connection that failed after sending, and any
 * 5xx. Graph documents 429 as "not processed"; it documents nothing for 5xx on a write, and a 503
 * or 504 can come from a front end after the back end committed.
 */
function isUnknownOutcome(error: GraphError): boolean {
  return (
    (error.code === 'NETWORK' && error.outcomeUnknown) ||
    (error.status !== undefined && error.status >= 500)
  );
}

function errorFromResponse(
  method: string,
  path: string,
  response: Response,
  json: unknown,
  ids: {
    requestId: string | undefined;
    clientRequestId: string | undefined;
    notFound: GraphErrorCode | undefined;
  },
): GraphError {
  const envelope = (
    json as
      | { error?: { code?: string; message?: string; innerError?: Record<string, string> } }
      | undefined
  )?.error;
  const graphCode = envelope?.code;
  const requestId = ids.requestId ?? envelope?.innerError?.['request-id'];
  const clientRequestId = ids.clientRequestId ?? envelope?.innerError?.['client-request-id'];
  const retryAfter = Number(response.headers.get('retry-after'));
  const details = {
    status: response.status,
    ...(graphCode ? { graphCode } : {}),
    ...(requestId ? { requestId } : {}),
    ...(clientRequestId ? { clientRequestId } : {}),
    ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterSeconds: retryAfter } : {}),
  };
  const said = envelope?.message ? `: ${envelope.message}` : '';
  const where = `${method} ${path.split('?')[0]}`;
  const trace = requestId ? ` (request-id ${requestId})` : '';
  switch (response.status) {
    case 400:
    case 405:
      return new GraphError(
        'BAD_REQUEST',
        `Graph refused ${where} (${response.status} ${graphCode ?? ''})${said}${trace}.`,
        details,
      );
    case 401:
      return new GraphError(
        'UNAUTHENTICATED',
        `Graph did not accept the app's token for ${where}${said}${trace}. Check the tenant and app registration.`,
        details,
      );
    case 403:
      return new GraphError(
        'INSUFFICIENT_PRIVILEGES',
        `The app may not ${where}${said}${trace}. Grant it the Graph application permission this needs (e.g. UserAuthMethod-Passkey.ReadWrite.All) and admin consent.`,
        details,
      );
    case 404:
      return new GraphError(
        ids.notFound ?? 'NOT_FOUND',
        `${ids.notFound === 'USER_NOT_FOUND' ? 'No such user' : 'Not found'}: ${where}${said}${trace}.`,
        details,
      );
    case 409:
      return new GraphError(
        'CONFLICT',
        `Graph reports a conflict for ${where}${said}${trace}.`,
        details,
      );
    case 429:
      return new GraphError(
        'THROTTLED',
        `Graph is throttling this app and the retry budget ran out for ${where}${trace}. Try again later.`,
        details,
      );
    default:
      if (response.status >= 500) {
        return new GraphError(
          'SERVICE_UNAVAILABLE',
          `Graph failed with ${response.status} for ${where}${said}${trace}, and retries did not help.`,
          details,
        );
      }
      return new GraphError(
        'BAD_REQUEST',
        `Graph answered ${response.status} for ${where}${said}${trace}.`,
        details,
      );
  }
}
