import { createHash, type X509Certificate } from 'node:crypto';
import type { Clock } from '../clock.ts';
import type { Directory, DirectoryUser } from '../directory.ts';
import {
  header,
  jsonResponse,
  type TenantRequest,
  type TenantResponse,
} from '../http/tenant-request.ts';
import type { SeedApplication } from '../seed/tenant-seed.ts';
import { signingJwk, type SigningKey } from '../tenant-keys.ts';
import { authenticateClient } from './authenticate-client.ts';
import type { GrantStore } from './grant-store.ts';
import {
  malformedGrant,
  OAuthError,
  oauthErrorResponse,
  requiredParameter,
} from './oauth-error.ts';
import { openIdConfiguration } from './openid-configuration.ts';
import {
  applicationGrant,
  delegatedGrant,
  parseScopes,
  type RequestedScopes,
} from './resolve-scopes.ts';
import {
  deviceLoginPage,
  messagePage,
  personaPickerPage,
  type PersonaChoice,
} from './sign-in-pages.ts';
import type { ClientAuthenticationLevel, TokenIssuer } from './token-issuer.ts';

export interface EntraSettings {
  root: string;
  directory: Directory;
  issuer: TokenIssuer;
  signingKey: SigningKey;
  grants: GrantStore;
  clock: Clock;
  /** The persona that signs in with no browser and no input, when configured. */
  autoPersona: DirectoryUser | undefined;
  deviceCodeLifetimeSeconds: number;
  deviceCodeIntervalSeconds: number;
  certificatesOf: (clientId: string) => readonly X509Certificate[];
}

// RFC 8628's URN; Entra also takes the short form MSAL sends.
const DEVICE_CODE_GRANTS = ['urn:ietf:params:oauth:grant-type:device_code', 'device_code'];
const REFRESH_TOKEN_LIFETIME_MS = 24 * 3600 * 1000;
const CODE_LIFETIME_MS = 10 * 60 * 1000;

/**
 * Entra ID's endpoints on its own paths under the tenant id (or the tenant's domain):
 * `/{tenant}/v2.0/.well-known/openid-configuration`, `/{tenant}/discovery/v2.0/keys`,
 * `/{tenant}/oauth2/v2.0/{token,devicecode,authorize,logout}`, plus `/devicelogin`, where a
 * person enters a device code. Answers undefined for paths that are not Entra's.
 */
export class EntraEndpoints {
  private readonly settings: EntraSettings;

  constructor(settings: EntraSettings) {
    this.settings = settings;
  }

  get tokenEndpoint(): string {
    return `${this.settings.root}/${this.settings.directory.tenantId}/oauth2/v2.0/token`;
  }

  async handle(request: TenantRequest): Promise<TenantResponse | undefined> {
    const [first, ...rest] = request.segments;
    if (first === 'devicelogin' && rest.length === 0) return this.deviceLogin(request);
    const { directory } = this.settings;
    if (first === undefined) return undefined;
    const tenant = first.toLowerCase();
    if (tenant !== directory.tenantId && tenant !== directory.defaultDomain.toLowerCase()) {
      if (!/^[0-9a-f-]{36}$/i.test(tenant) || (rest[0] !== 'oauth2' && rest[0] !== 'v2.0'))
        return undefined;
      return oauthErrorResponse(
        new OAuthError(
          'invalid_request',
          90002,
          `Tenant '${first}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
        ),
        request,
        this.settings.root,
      );
    }
    const path = rest.join('/');
    try {
      switch (path) {
        case 'v2.0/.well-known/openid-configuration':
          return jsonResponse(200, openIdConfiguration(this.settings.root, directory.tenantId));
        case 'discovery/v2.0/keys':
          return jsonResponse(200, {
            keys: [signingJwk(this.settings.signingKey, this.settings.issuer.issuer)],
          });
        case 'oauth2/v2.0/token':
          return await this.token(request);
        case 'oauth2/v2.0/devicecode':
          return this.deviceAuthorization(request);
        case 'oauth2/v2.0/authorize':
          return this.authorize(request);
        case 'oauth2/v2.0/logout':
          return messagePage('Signed out', 'You are signed out of the local tenant.');
        default:
          return undefined;
      }
    } catch (error) {
      if (error instanceof OAuthError)
        return oauthErrorResponse(error, request, this.settings.root);
      throw error;
    }
  }

  /** Approves a pending device code as a persona (the sign-in page and the test controls use it). */
  approveDeviceCode(userCode: string, persona: string): DeviceCodeApproval {
    const grant = this.settings.grants.deviceCodeByUserCode(userCode);
    if (!grant || grant.expiresAt <= this.settings.clock())
      return { ok: false, reason: 'unknown or expired code' };
    if (grant.status !== 'pending') return { ok: false, reason: `code already ${grant.status}` };
    // A persona's name, or any user's UPN (tests sign in fallback approvers, a second operator).
    const user =
      this.settings.directory.personas.get(persona) ??
      (persona.includes('@') ? this.settings.directory.findUser(persona) : undefined);
    if (!user) return { ok: false, reason: `no persona or user named ${persona}` };
    if (!user.accountEnabled) return { ok: false, reason: `${user.userPrincipalName} is disabled` };
    grant.status = 'approved';
    grant.userId = user.id;
    grant.sessionId = this.settings.issuer.newSessionId();
    return { ok: true, userPrincipalName: user.userPrincipalName };
  }

  declineDeviceCode(userCode: string): boolean {
    const grant = this.settings.grants.deviceCodeByUserCode(userCode);
    if (!grant || grant.status !== 'pending') return false;
    grant.status = 'declined';
    return true;
  }

  private personaChoices(): PersonaChoice[] {
    return [...this.settings.directory.personas].map(([name, user]) => ({
      name,
      displayName: user.displayName,
      userPrincipalName: user.userPrincipalName,
    }));
  }

  // ---- token endpoint --------------------------------------------------------------------------

  private async token(request: TenantRequest): Promise<TenantResponse> {
    if (request.method !== 'POST') {
      throw new OAuthError(
        'invalid_request',
        900561,
        `The endpoint only accepts POST requests. Received a ${request.method} request.`,
      );
    }
    const form = new URLSearchParams(request.body.toString('utf8'));
    const grantType = requiredParameter(form, 'grant_type');
    const { client, level } = await authenticateClient(form, header(request, 'authorization'), {
      directory: this.settings.directory,
      grants: this.settings.grants,
      tokenEndpoint: this.tokenEndpoint,
      certificatesOf: this.settings.certificatesOf,
      now: this.settings.clock(),
    });
    switch (grantType) {
      case 'client_credentials':
        return this.clientCredentials(client, level, form);
      case DEVICE_CODE_GRANTS[0]:
      case DEVICE_CODE_GRANTS[1]:
        return this.redeemDeviceCode(client, level, form);
      case 'authorization_code':
        return this.redeemAuthorizationCode(client, level, form);
      case 'refresh_token':
        return this.redeemRefreshToken(client, level, form);
      default:
        throw new OAuthError(
          'unsupported_grant_type',
          70003,
          `The app requested an unsupported grant type '${grantType}'.`,
        );
    }
  }

  private async clientCredentials(
    client: SeedApplication,
    level: ClientAuthenticationLevel,
    form: URLSearchParams,
  ): Promise<TenantResponse> {
    if (client.clientType === 'public') {
      throw new OAuthError(
        'invalid_client',
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      );
    }
    const requested = parseScopes(form.get('scope') ?? undefined, this.settings.directory);
    const { roles } = applicationGrant(client, requested, this.settings.directory);
    const access = await this.settings.issuer.appAccessToken(
      client,
      requested.resource,
      roles,
      level,
    );
    return tokenResponse({
      token_type: 'Bearer',
      expires_in: access.expiresIn,
      ext_expires_in: access.expiresIn,
      access_token: access.token,
    });
  }

  private async redeemDeviceCode(
    client: SeedApplication,
    level: ClientAuthenticationLevel,
    form: URLSearchParams,
  ): Promise<TenantResponse> {
    const code = requiredParameter(form, 'device_code');
    const grant = this.settings.grants.deviceCode(code);
    if (!grant || grant.clientId !== client.clientId) {
      throw new OAuthError('invalid_grant', 70000, 'Provided grant is invalid or malformed.');
    }
    if (grant.status === 'redeemed') {
      throw new OAuthError(
        'invalid_grant',
        70000,
        'Provided grant is invalid or malformed: the device code was already redeemed.',
      );
    }
    if (grant.expiresAt <= this.settings.clock()) {
      throw new OAuthError('expired_token', 70019, 'Verification code expired.');
    }
    if (grant.status === 'declined') {
      throw new OAuthError(
        'authorization_declined',
        70000,
        'The end user denied the authorization request.',
      );
    }
    if (grant.status === 'pending') {
      throw new OAuthError(
        'authorization_pending',
        70016,
        'OAuth 2.0 device flow error. Authorization is pending. Continue polling.',
      );
    }
    grant.status = 'redeemed';
    const user = this.enabledUser(grant.userId!);
    return this.userTokens(client, level, user, grant.scope, grant.sessionId!, undefined, form);
  }

  private async redeemAuthorizationCode(
    client: SeedApplication,
    level: ClientAuthenticationLevel,
    form: URLSearchParams,
  ): Promise<TenantResponse> {
    const code = requiredParameter(form, 'code');
    const grant = this.settings.grants.code(code);
    if (!grant || grant.clientId !== client.clientId) {
      throw malformedGrant();
    }
    if (grant.redeemed) {
      throw new OAuthError(
        'invalid_grant',
        54005,
        'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.',
      );
    }
    if (grant.expiresAt <= this.settings.clock()) {
      throw new OAuthError(
        'invalid_grant',
        70008,
        'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.',
      );
    }
    const redirectUri = form.get('redirect_uri');
    if (redirectUri !== grant.redirectUri) {
      throw new OAuthError(
        'invalid_grant',
        500112,
        `The reply address '${redirectUri ?? ''}' does not match the reply address '${grant.redirectUri}' provided when requesting Authorization code.`,
      );
    }
    if (grant.codeChallenge !== undefined) {
      const verifier = form.get('code_verifier');
      if (!verifier) {
        throw new OAuthError(
          'invalid_grant',
          50148,
          'The code_verifier provided does not match the code_challenge supplied in the authorization request for PKCE.',
        );
      }
      const computed =
        grant.codeChallengeMethod === 'plain'
          ? verifier
          : createHash('sha256').update(verifier).digest('base64url');
      if (computed !== grant.codeChallenge) {
        throw new OAuthError(
          'invalid_grant',
          501481,
          'The Code_Verifier does not match the code_challenge supplied in the authorization request.',
        );
      }
    }
    grant.redeemed = true;
    const user = this.enabledUser(grant.userId);
    const scope = form.get('scope') ?? grant.scope;
    return this.userTokens(client, level, user, scope, grant.sessionId, grant.nonce, form);
  }

  private async redeemRefreshToken(
    client: SeedApplication,
    level: ClientAuthenticationLevel,
    form: URLSearchParams,
  ): Promise<TenantResponse> {
    const token = requiredParameter(form, 'refresh_token');
    const grant = this.settings.grants.redeemRefreshToken(token);
    if (!grant || grant.clientId !== client.clientId) {
      throw malformedGrant();
    }
    if (grant.expiresAt <= this.settings.clock()) {
      throw new OAuthError(
        'invalid_grant',
        700082,
        'The refresh token has expired due to inactivity. The token was issued and was inactive for too long.',
      );
    }
    const user = this.enabledUser(grant.userId);
    return this.userTokens(
      client,
      level,
      user,
      form.get('scope') ?? grant.scope,
      grant.sessionId,
      undefined,
      form,
    );
  }

  private enabledUser(userId: string): DirectoryUser {
    const user = this.settings.directory.findUser(userId);
    if (!user?.accountEnabled) {
      throw new OAuthError(
        'invalid_grant',
        50057,
        'The user account is disabled. The account has been disabled by an administrator.',
      );
    }
    return user;
  }

  /** Access token (+ id token, refresh token and client_info when asked), as Entra answers them. */
  private async userTokens(
    client: SeedApplication,
    level: ClientAuthenticationLevel,
    user: DirectoryUser,
    scope: string,
    sessionId: string,
    nonce: string | undefined,
    form: URLSearchParams,
  ): Promise<TenantResponse> {
    const { directory, issuer } = this.settings;
    const requested = parseScopes(scope, directory);
    const grant = delegatedGrant(client, user, requested, directory);
    const access = await issuer.userAccessToken(
      client,
      user,
      requested.resource,
      grant,
      level,
      sessionId,
    );
    const body: Record<string, unknown> = {
      token_type: 'Bearer',
      scope: responseScope(requested, grant.scopes),
      expires_in: access.expiresIn,
      ext_expires_in: access.expiresIn,
      access_token: access.token,
    };
    if (requested.oidc.includes('offline_access')) {
      body.refresh_token = this.settings.grants.issueRefreshToken({
        clientId: client.clientId,
        userId: user.id,
        scope,
        sessionId,
        expiresAt: this.settings.clock() + REFRESH_TOKEN_LIFETIME_MS,
      });
    }
    if (requested.oidc.includes('openid')) {
      body.id_token = (await issuer.idToken(client, user, sessionId, nonce)).token;
    }
    if (form.get('client_info') === '1') body.client_info = issuer.clientInfo(user);
    return tokenResponse(body);
  }

  // ---- device code -----------------------------------------------------------------------------

  private deviceAuthorization(request: TenantRequest): TenantResponse {
    if (request.method !== 'POST') {
      throw new OAuthError(
        'invalid_request',
        900561,
        `The endpoint only accepts POST requests. Received a ${request.method} request.`,
      );
    }
    const form = new URLSearchParams(request.body.toString('utf8'));
    const clientId = form.get('client_id');
    const client = clientId ? this.settings.directory.findApplication(clientId) : undefined;
    if (!client) {
      throw new OAuthError(
        'unauthorized_client',
        700016,
        `Application with identifier '${clientId ?? ''}' was not found in the directory '${this.settings.directory.displayName}'.`,
      );
    }
    if (!client.allowDeviceCode) {
      throw new OAuthError(
        'unauthorized_client',
        70002,
        "The provided client is not supported for this feature. The client application must be marked as 'mobile' (allow public client flows).",
      );
    }
    const scope = form.get('scope') ?? '';
    parseScopes(scope, this.settings.directory);
    const now = this.settings.clock();
    const grant = this.settings.grants.issueDeviceCode({
      clientId: client.clientId,
      scope,
      expiresAt: now + this.settings.deviceCodeLifetimeSeconds * 1000,
    });
    const verificationUri = `${this.settings.root}/devicelogin`;
    const persona = this.settings.autoPersona;
    if (persona) {
      const name = [...this.settings.directory.personas].find(([, u]) => u === persona)![0];
      this.approveDeviceCode(grant.userCode, name);
    }
    return jsonResponse(200, {
      user_code: grant.userCode,
      device_code: grant.deviceCode,
      verification_uri: verificationUri,
      expires_in: this.settings.deviceCodeLifetimeSeconds,
      interval: this.settings.deviceCodeIntervalSeconds,
      message: `To sign in, use a web browser to open the page ${verificationUri} and enter the code ${grant.userCode} to authenticate.`,
    });
  }

  private deviceLogin(request: TenantRequest): TenantResponse {
    if (request.method === 'GET') return deviceLoginPage(this.personaChoices());
    if (request.method !== 'POST') return messagePage('Not allowed', 'Use the form.', 405);
    const form = new URLSearchParams(request.body.toString('utf8'));
    const outcome = this.approveDeviceCode(form.get('user_code') ?? '', form.get('persona') ?? '');
    return outcome.ok
      ? messagePage(
          'Signed in',
          `You signed in as ${outcome.userPrincipalName}. You can close this window.`,
        )
      : {
          ...deviceLoginPage(this.personaChoices(), `That did not work: ${outcome.reason}.`),
          status: 400,
        };
  }

  // ---- authorization code ----------------------------------------------------------------------

  private authorize(request: TenantRequest): TenantResponse {
    const params =
      request.method === 'POST'
        ? new URLSearchParams(request.body.toString('utf8'))
        : request.url.searchParams;
    const clientId = params.get('client_id') ?? '';
    const client = this.settings.directory.findApplication(clientId);
    if (!client) {
      return messagePage(
        'Sign-in error',
        `AADSTS700016: Application with identifier '${clientId}' was not found in the directory '${this.settings.directory.displayName}'.`,
        400,
      );
    }
    const redirectUri = params.get('redirect_uri') ?? '';
    if (!redirectUriRegistered(client, redirectUri)) {
      return messagePage(
        'Sign-in error',
        `AADSTS50011: The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs configured for the application '${client.clientId}'.`,
        400,
      );
    }
    const state = params.get('state') ?? undefined;
    const fail = (error: string, aadsts: number, description: string) =>
      redirect(redirectUri, {
        error,
        error_description: `AADSTS${aadsts}: ${description}`,
        ...(state === undefined ? {} : { state }),
      });
    if (params.get('response_type') !== 'code') {
      return fail(
        'unsupported_response_type',
        700054,
        "response_type 'code' is the only one this tenant supports.",
      );
    }
    const challenge = params.get('code_challenge') ?? undefined;
    const method =
      params.get('code_challenge_method') ?? (challenge === undefined ? undefined : 'plain');
    if (method !== undefined && method !== 'S256' && method !== 'plain') {
      return fail('invalid_request', 501491, `Invalid code_challenge_method '${method}'.`);
    }
    const scope = params.get('scope') ?? 'openid profile';
    try {
      parseScopes(scope, this.settings.directory);
    } catch (error) {
      if (error instanceof OAuthError) return fail(error.code, error.aadsts, error.message);
      throw error;
    }
    let user = this.settings.autoPersona;
    if (request.method === 'POST')
      user = this.settings.directory.personas.get(params.get('persona') ?? '');
    if (!user) {
      if (params.get('prompt') === 'none') {
        return fail(
          'login_required',
          50058,
          'A silent sign-in request was sent but no user is signed in.',
        );
      }
      const hidden = new Map([...params].filter(([name]) => name !== 'persona'));
      return personaPickerPage(
        request.url.pathname,
        hidden,
        this.personaChoices(),
        client.displayName,
      );
    }
    if (!user.accountEnabled) {
      return fail('access_denied', 50057, 'The user account is disabled.');
    }
    const sessionId = this.settings.issuer.newSessionId();
    const code = this.settings.grants.issueCode({
      clientId: client.clientId,
      redirectUri,
      scope,
      userId: user.id,
      sessionId,
      codeChallenge: challenge,
      codeChallengeMethod: method,
      nonce: params.get('nonce') ?? undefined,
      expiresAt: this.settings.clock() + CODE_LIFETIME_MS,
    });
    return redirect(redirectUri, {
      code,
      ...(state === undefined ? {} : { state }),
      session_state: sessionId,
      ...(params.get('client_info') === '1'
        ? { client_info: this.settings.issuer.clientInfo(user) }
        : {}),
    });
  }
}

export type DeviceCodeApproval =
  { ok: true; userPrincipalName: string } | { ok: false; reason: string };

/**
 * Registered redirect URIs match exactly, except that a loopback `http://localhost` (or
 * 127.0.0.1) registration accepts any port, as Entra allows for public clients (RFC 8252 §7.3).
 */
export function redirectUriRegistered(client: SeedApplication, redirectUri: string): boolean {
  let given: URL;
  try {
    given = new URL(redirectUri);
  } catch {
    return false;
  }
  return client.redirectUris.some((registered) => {
    if (registered === redirectUri) return true;
    const known = new URL(registered);
    const loopback = ['localhost', '127.0.0.1', '[::1]'];
    return (
      client.clientType === 'public' &&
      known.protocol === 'http:' &&
      given.protocol === 'http:' &&
      loopback.includes(known.hostname) &&
      loopback.includes(given.hostname) &&
      known.port === '' &&
      (known.pathname === given.pathname || known.pathname === '/')
    );
  });
}

function responseScope(requested: RequestedScopes, granted: string[]): string {
  if (requested.resource.kind === 'graph') return granted.join(' ');
  const prefix = requested.resource.app.api?.identifierUris[0] ?? requested.resource.app.clientId;
  return granted.map((s) => `${prefix}/${s}`).join(' ');
}

function tokenResponse(body: Record<string, unknown>): TenantResponse {
  return jsonResponse(200, body, { 'cache-control': 'no-store', pragma: 'no-cache' });
}

function redirect(target: string, parameters: Record<string, string>): TenantResponse {
  const url = new URL(target);
  for (const [name, value] of Object.entries(parameters)) url.searchParams.set(name, value);
  return { status: 302, headers: { location: url.toString(), 'cache-control': 'no-store' } };
}
