import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { buildPageAssets, type PageAssets } from './page-assets.ts';
import { PersonaSignIn, type PersonaSignInSettings } from './persona-sign-in.ts';
import { TeamsChats } from './teams-chats.ts';

/** Someone the page can act as: a persona of the local tenant. */
export interface LocalTeamsPersona {
  name: string;
  id: string;
  displayName: string;
}

export interface LocalTeamsOptions {
  /** The local CA's server certificate and key, and the CA to trust for the bot endpoint. */
  tls: { certificatePem: string; privateKeyPem: string; caPem: string };
  port?: number;
  tenantId: string;
  personas: LocalTeamsPersona[];
  /** How the stand-in signs personas in for the tab (Teams' SSO): auth code + PKCE. */
  signIn?: PersonaSignInSettings;
  /** How long the tab shows a revealed PIN (default 30 s). */
  pinVisibleSeconds?: number;
}

/** The API routes the tab calls, forwarded to the functions app (one origin for the tab). */
const API_FOR_TAB = /^\/api\/(requests|approvals|station\/queue)(\/|$)/;

export interface LocalTeams {
  url: string;
  /** The Bot Connector this stand-in serves (the serviceUrl of its activities). */
  serviceUrl: string;
  /** The personal tab's URL, served here. */
  tabUrl: string;
  chats: TeamsChats;
  /** Where the bot is (the functions app's /api/messages); set once the host has started. */
  connect(botEndpoint: string): void;
  /** Acts as a persona: what the page does, for tests and scripts. */
  as(persona: string): LocalTeamsClient;
  /**
   * Makes the Bot Connector refuse every message the bot posts or updates with this HTTP status
   * and error code (as Teams does in an outage, or for a bot an admin disabled), until called
   * with undefined. Tests use it to show a failed notification is delayed, never dropped.
   */
  refuseBotMessages(fault: { status: number; code: string } | undefined): void;
  close(): Promise<void>;
}

export interface LocalTeamsClient {
  install(): Promise<void>;
  say(text: string): Promise<void>;
  /** Clicks an Action.Execute button; answers the bot's invoke response body. */
  execute(verb: string, data: Record<string, unknown>, replyToId: string): Promise<InvokeAnswer>;
  chat(): ReturnType<TeamsChats['chatOf']>;
}

export interface InvokeAnswer {
  statusCode: number;
  type: string;
  value: unknown;
}

const BOT = { id: '28:passkey-courier-local', name: 'Passkey Courier' };

/**
 * Microsoft Teams, as far as local mode needs it: a page where you pick a persona and chat with
 * the bot, and the Bot Connector API the bot answers to (`/_connector/v3/conversations/…`: post,
 * reply, update). Activities go to the functions app's /api/messages shaped as Teams sends them
 * (msteams channel, personal conversation, `from.aadObjectId`); the bot runs there without Bot
 * Framework tokens, which it allows only on loopback. HTTPS from the local CA.
 */
export async function startLocalTeams(options: LocalTeamsOptions): Promise<LocalTeams> {
  const chats = new TeamsChats();
  let botEndpoint: string | undefined;
  const signIn = options.signIn ? new PersonaSignIn(options.signIn) : undefined;
  let assets: Promise<PageAssets> | undefined;
  const installed = new Set<string>();
  const server = createServer(
    { cert: options.tls.certificatePem, key: options.tls.privateKeyPem },
    (request, response) => {
      void handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) {
          send(response, 500, { error: { code: 'INTERNAL', message: String(error) } });
        }
      });
    },
  );
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, '127.0.0.1', () => done());
  });
  const url = `https://localhost:${(server.address() as AddressInfo).port}`;
  const serviceUrl = `${url}/_connector/`;

  const persona = (name: string) => {
    const found = options.personas.find((p) => p.name === name);
    if (!found) throw new Error(`No persona ${name}.`);
    return found;
  };
  const conversationOf = (p: LocalTeamsPersona) => `a:local-${p.id}`;

  const activity = (p: LocalTeamsPersona, fields: Record<string, unknown>) => ({
    id: randomUUID(),
    timestamp: new Date().toISOString(),
    channelId: 'msteams',
    serviceUrl,
    from: { id: `29:local-${p.id}`, aadObjectId: p.id, name: p.displayName },
    recipient: BOT,
    conversation: {
      id: conversationOf(p),
      conversationType: 'personal',
      tenantId: options.tenantId,
    },
    channelData: { tenant: { id: options.tenantId } },
    locale: 'en-US',
    ...fields,
  });

  const toBot = async (body: unknown): Promise<{ status: number; text: string }> => {
    if (!botEndpoint) throw new Error('The bot endpoint is not connected yet.');
    const target = new URL(botEndpoint);
    const payload = JSON.stringify(body);
    return new Promise((done, fail) => {
      const outgoing = httpsRequest(
        target,
        {
          method: 'POST',
          ca: options.tls.caPem,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(payload),
          },
        },
        (answer) => {
          const parts: Buffer[] = [];
          answer.on('data', (part: Buffer) => parts.push(part));
          answer.on('end', () =>
            done({ status: answer.statusCode ?? 0, text: Buffer.concat(parts).toString('utf8') }),
          );
        },
      );
      outgoing.on('error', fail);
      outgoing.end(payload);
    });
  };

  const client = (name: string): LocalTeamsClient => {
    const p = persona(name);
    return {
      async install() {
        if (installed.has(p.id)) return;
        const answer = await toBot(
          activity(p, { type: 'conversationUpdate', membersAdded: [BOT] }),
        );
        if (answer.status >= 300) throw new Error(`install: ${answer.status} ${answer.text}`);
        installed.add(p.id);
      },
      async say(text) {
        chats.add({ conversationId: conversationOf(p), from: 'user', text });
        const answer = await toBot(activity(p, { type: 'message', text }));
        if (answer.status >= 300) throw new Error(`message: ${answer.status} ${answer.text}`);
      },
      async execute(verb, data, replyToId) {
        // The invoke comes from the chat the card is in (for a chat found through Graph, that
        // chat's id, not the one the page opened).
        const card = chats.chatOf(conversationOf(p), p.id).find((m) => m.id === replyToId);
        const conversation = card
          ? {
              conversation: {
                id: card.conversationId,
                conversationType: 'personal',
                tenantId: options.tenantId,
              },
            }
          : {};
        const answer = await toBot(
          activity(p, {
            ...conversation,
            type: 'invoke',
            name: 'adaptiveCard/action',
            replyToId,
            value: { action: { type: 'Action.Execute', verb, data }, trigger: 'manual' },
          }),
        );
        if (answer.status !== 200) throw new Error(`invoke: ${answer.status} ${answer.text}`);
        return JSON.parse(answer.text) as InvokeAnswer;
      },
      chat: () => chats.chatOf(conversationOf(p), p.id),
    };
  };

  /** Passes a tab's API call (with its bearer token) to the functions app, and the answer back. */
  async function forward(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (!botEndpoint) throw new Error('The functions app is not connected yet.');
    const parts: Buffer[] = [];
    for await (const part of request) parts.push(part as Buffer);
    const target = new URL(request.url ?? '/', new URL(botEndpoint).origin);
    await new Promise<void>((done, fail) => {
      const outgoing = httpsRequest(
        target,
        {
          method: request.method ?? 'GET',
          ca: options.tls.caPem,
          headers: {
            ...(request.headers.authorization
              ? { authorization: request.headers.authorization }
              : {}),
            ...(request.headers['content-type']
              ? { 'content-type': request.headers['content-type'] }
              : {}),
          },
        },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, {
            'content-type': answer.headers['content-type'] ?? 'application/json',
            'cache-control': 'no-store',
          });
          answer.pipe(response);
          answer.on('end', () => done());
          answer.on('error', fail);
        },
      );
      outgoing.on('error', fail);
      outgoing.end(Buffer.concat(parts));
    });
  }

  let fault: { status: number; code: string } | undefined;

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', url).pathname;
    const method = request.method ?? 'GET';
    const connector = /^\/_connector\/v3\/conversations\/([^/]+)\/activities(?:\/([^/]+))?$/.exec(
      path,
    );
    if (connector) {
      if (fault) {
        request.resume();
        return send(response, fault.status, {
          error: { code: fault.code, message: 'The local Teams stand-in refuses bot messages.' },
        });
      }
      const conversationId = decodeURIComponent(connector[1]!);
      const activityId = connector[2] ? decodeURIComponent(connector[2]) : undefined;
      const body = (await readJson(request)) as {
        text?: string;
        attachments?: { content?: unknown }[];
        recipient?: { aadObjectId?: string };
      };
      const content = {
        ...(body.text ? { text: body.text } : {}),
        ...(body.attachments?.[0]?.content ? { card: body.attachments[0].content } : {}),
      };
      if (method === 'PUT' && activityId) {
        const updated = chats.update(conversationId, activityId, content);
        return send(response, updated ? 200 : 404, updated ? { id: activityId } : {});
      }
      if (method === 'POST') {
        const added = chats.add({
          conversationId,
          from: 'bot',
          ...content,
          ...(activityId ? { replyToId: activityId } : {}),
          ...(body.recipient?.aadObjectId
            ? { recipientAadObjectId: body.recipient.aadObjectId }
            : {}),
        });
        return send(response, 201, { id: added.id });
      }
      return send(response, 405, {});
    }
    const api = /^\/api\/personas(?:\/([^/]+)\/(install|messages|invoke|chat))?$/.exec(path);
    if (api) {
      if (!api[1]) {
        return send(
          response,
          200,
          options.personas.map((p) => ({ ...p, teamsUserId: `29:local-${p.id}` })),
        );
      }
      requireSameOrigin(request, url);
      const who = client(decodeURIComponent(api[1]));
      if (api[2] === 'chat') return send(response, 200, who.chat());
      if (method !== 'POST') return send(response, 405, {});
      const body = (await readJson(request)) as Record<string, unknown>;
      if (api[2] === 'install') await who.install();
      if (api[2] === 'messages') await who.say(typeof body.text === 'string' ? body.text : '');
      if (api[2] === 'invoke') {
        return send(
          response,
          200,
          await who.execute(
            typeof body.verb === 'string' ? body.verb : '',
            (body.data ?? {}) as Record<string, unknown>,
            typeof body.replyToId === 'string' ? body.replyToId : '',
          ),
        );
      }
      return send(response, 204, undefined);
    }
    if (path === '/tab/token' && method === 'GET' && signIn) {
      requireSameOrigin(request, url);
      const name = new URL(request.url ?? '/', url).searchParams.get('persona') ?? '';
      persona(name);
      return send(response, 200, { accessToken: await signIn.token(name) });
    }
    if (path === '/tab/config.json') {
      return send(response, 200, {
        apiBase: '',
        localPersonas: Boolean(signIn),
        pinVisibleSeconds: options.pinVisibleSeconds ?? 30,
      });
    }
    if (API_FOR_TAB.test(path)) {
      requireSameOrigin(request, url);
      return forward(request, response);
    }
    assets ??= buildPageAssets();
    const files = await assets;
    const file = files.get(path === '/' ? '/index.html' : path);
    if (!file || method !== 'GET') return send(response, 404, { error: { code: 'NOT_FOUND' } });
    response.writeHead(200, {
      'content-type': file.type,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    response.end(file.body);
  }

  return {
    url,
    serviceUrl,
    tabUrl: `${url}/tab/`,
    chats,
    connect(endpoint) {
      botEndpoint = endpoint;
    },
    refuseBotMessages(next) {
      fault = next;
    },
    as: client,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/** The page's own API answers the page only: no cross-site form can speak for a persona. */
function requireSameOrigin(request: IncomingMessage, url: string): void {
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== url) throw new Error(`Foreign origin ${origin}.`);
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const parts: Buffer[] = [];
  for await (const part of request) parts.push(part as Buffer);
  const text = Buffer.concat(parts).toString('utf8');
  return text ? JSON.parse(text) : {};
}

function send(response: ServerResponse, status: number, body: unknown): void {
  if (body === undefined) {
    response.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(text);
}
