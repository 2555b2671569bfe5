import { app, authentication } from '@microsoft/teams-js';

export interface TabConfig {
  /** Where the API is ('' for the tab's own origin). */
  apiBase: string;
  /** Local mode: the Teams stand-in signs personas in (auth code + PKCE against the local tenant). */
  localPersonas: boolean;
  /** How long a revealed PIN stays on screen (30 s unless configured). */
  pinVisibleSeconds?: number;
}

let inTeams: Promise<boolean> | undefined;

/** True inside Teams (desktop or web): the tab runs in Teams' frame and teams-js answers. */
function runningInTeams(): Promise<boolean> {
  if (window.parent === window) return Promise.resolve(false);
  inTeams ??= Promise.race([
    app.initialize().then(
      () => true,
      () => false,
    ),
    new Promise<boolean>((done) => setTimeout(() => done(false), 3000)),
  ]);
  return inTeams;
}

/**
 * An access token for the Passkey Courier API: in Teams, SSO through teams-js (the API validates
 * it as every other token); outside Teams in local mode, the persona in the address
 * (`?persona=employee`) signed in by the local Teams stand-in with auth code + PKCE.
 */
export async function accessToken(config: TabConfig): Promise<string> {
  if (await runningInTeams()) return authentication.getAuthToken();
  if (config.localPersonas) {
    const persona = new URLSearchParams(location.search).get('persona') ?? 'employee';
    const answer = await fetch(`token?persona=${encodeURIComponent(persona)}`);
    if (!answer.ok) throw new Error(`Signing in as ${persona} failed (${answer.status}).`);
    return ((await answer.json()) as { accessToken: string }).accessToken;
  }
  throw new Error('Open Passkey Courier in Microsoft Teams to sign in.');
}
