import type { TenantResponse } from '../http/tenant-request.ts';

/**
 * The few HTML pages a person sees in local mode: pick a persona at /authorize, enter a device
 * code at /devicelogin. There are no passwords: the local tenant is for development, and whoever
 * can reach its loopback port can already read its state folder.
 */

export interface PersonaChoice {
  name: string;
  displayName: string;
  userPrincipalName: string;
}

export function personaPickerPage(
  action: string,
  hiddenFields: ReadonlyMap<string, string>,
  personas: readonly PersonaChoice[],
  clientName: string,
): TenantResponse {
  const hidden = [...hiddenFields]
    .map(
      ([name, value]) =>
        `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`,
    )
    .join('\n      ');
  const buttons = personas
    .map(
      (p) =>
        `<button type="submit" name="persona" value="${escapeHtml(p.name)}">${escapeHtml(p.displayName)} <small>(${escapeHtml(p.name)}, ${escapeHtml(p.userPrincipalName)})</small></button>`,
    )
    .join('\n      ');
  return page(
    'Sign in to the local tenant',
    `<p>Sign in to <strong>${escapeHtml(clientName)}</strong> as:</p>
    <form method="post" action="${escapeHtml(action)}">
      ${hidden}
      ${buttons}
    </form>`,
  );
}

export function deviceLoginPage(
  personas: readonly PersonaChoice[],
  message?: string,
): TenantResponse {
  const options = personas
    .map(
      (p) =>
        `<option value="${escapeHtml(p.name)}">${escapeHtml(p.displayName)} (${escapeHtml(p.name)})</option>`,
    )
    .join('');
  return page(
    'Enter code',
    `${message ? `<p role="status">${escapeHtml(message)}</p>` : ''}
    <form method="post" action="/devicelogin">
      <label>Code <input name="user_code" autocomplete="off" autofocus required></label>
      <label>Sign in as <select name="persona">${options}</select></label>
      <button type="submit">Sign in</button>
    </form>`,
  );
}

export function messagePage(title: string, message: string, status = 200): TenantResponse {
  return { ...page(title, `<p>${escapeHtml(message)}</p>`), status };
}

function page(title: string, body: string): TenantResponse {
  return {
    status: 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy':
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
      'x-frame-options': 'DENY',
    },
    text: `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(title)} · Local Entra</title>
<style>body{font:16px system-ui,sans-serif;max-width:36rem;margin:3rem auto}button{display:block;margin:.5rem 0;padding:.5rem 1rem}label{display:block;margin:.5rem 0}</style></head>
<body>
  <h1>${escapeHtml(title)}</h1>
  <p><em>Local Entra tenant for development. No real account is involved.</em></p>
  ${body}
</body>
</html>
`,
  };
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
