import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:https';

export interface PersonaSignInSettings {
  /** The local tenant's root URL and its CA. */
  tenantUrl: string;
  tenantId: string;
  caPem: string;
  /** The public client Teams' SSO stands for (the seed's "teams-web" application). */
  clientId: string;
  /** The API scope the tab asks for: api://{functions app}/access_as_user. */
  scope: string;
}

/** A loopback redirect, as Entra allows public clients (never followed: the code is read off it). */
const REDIRECT_URI = 'http://localhost/courier-tab';

/**
 * Signs a persona in the way Teams' SSO gives a tab its token: the authorization code flow with
 * PKCE against the local tenant, for the Teams client stand-in. The tenant's sign-in page is
 * answered with the persona (as a person picking it would), the code is read from the redirect
 * and redeemed with the verifier. Tokens are kept until five minutes before they expire.
 */
export class PersonaSignIn {
  private readonly settings: PersonaSignInSettings;
  private readonly tokens = new Map<string, { token: string; expiresAt: number }>();

  constructor(settings: PersonaSignInSettings) {
    this.settings = settings;
  }

  async token(persona: string): Promise<string> {
    const cached = this.tokens.get(persona);
    if (cached && cached.expiresAt > Date.now() + 5 * 60_000) return cached.token;
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const state = randomBytes(16).toString('base64url');
    const authority = `/${this.settings.tenantId}/oauth2/v2.0`;
    const authorize = await this.post(`${authority}/authorize`, {
      client_id: this.settings.clientId,
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      scope: `${this.settings.scope} openid profile`,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state,
      persona,
    });
    const location = [authorize.headers.location].flat()[0];
    if (authorize.status !== 302 || !location) {
      throw new Error(`The tenant did not sign ${persona} in (${authorize.status}).`);
    }
    const answer = new URL(location).searchParams;
    if (answer.get('state') !== state) throw new Error('The sign-in answered another request.');
    const code = answer.get('code');
    if (!code) {
      throw new Error(`Sign-in refused: ${answer.get('error_description') ?? answer.get('error')}`);
    }
    const redeemed = await this.post(`${authority}/token`, {
      grant_type: 'authorization_code',
      client_id: this.settings.clientId,
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
      scope: this.settings.scope,
    });
    if (redeemed.status !== 200) throw new Error(`Token refused: ${redeemed.body}`);
    const body = JSON.parse(redeemed.body) as { access_token: string; expires_in: number };
    this.tokens.set(persona, {
      token: body.access_token,
      expiresAt: Date.now() + body.expires_in * 1000,
    });
    return body.access_token;
  }

  private post(
    path: string,
    fields: Record<string, string>,
  ): Promise<{
    status: number;
    headers: Record<string, string | string[] | undefined>;
    body: string;
  }> {
    const payload = new URLSearchParams(fields).toString();
    return new Promise((done, fail) => {
      const outgoing = request(
        new URL(path, this.settings.tenantUrl),
        {
          method: 'POST',
          ca: this.settings.caPem,
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            'content-length': Buffer.byteLength(payload),
          },
        },
        (response) => {
          const parts: Buffer[] = [];
          response.on('data', (part: Buffer) => parts.push(part));
          response.on('end', () =>
            done({
              status: response.statusCode ?? 0,
              headers: response.headers,
              body: Buffer.concat(parts).toString('utf8'),
            }),
          );
        },
      );
      outgoing.on('error', fail);
      outgoing.end(payload);
    });
  }
}
