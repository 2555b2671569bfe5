import {
  app,
  type HttpRequest,
  type HttpResponseInit,
  type InvocationContext,
} from '@azure/functions';
import * as df from 'durable-functions';
import { ApiError } from '../api/api-error.ts';
import { errorResponse, readLimitedText } from '../api/http-api.ts';
import { invocationLogger } from '../log/courier-logger.ts';
import { botRuntime, type BotRuntime } from './bot-runtime.ts';
import { CourierBot } from './courier-bot.ts';
import { ServicesBotBackend } from './services-bot-backend.ts';
import { isLoopbackUrl } from './loopback.ts';
import { processBotRequest } from './teams/bot-http-shim.ts';
import { TeamsCourierBot } from './teams/teams-courier-bot.ts';

/** Activities are small; Teams caps a message at about 100 KB. */
const MAX_ACTIVITY_BYTES = 256 * 1024;

/** POST /api/messages: the Bot Framework endpoint Teams (or the local Teams page) calls. */
export function registerBot(): void {
  app.http('bot-messages', {
    methods: ['POST'],
    route: 'messages',
    authLevel: 'anonymous',
    extraInputs: [df.input.durableClient()],
    handler: messages,
  });
}

async function messages(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const log = invocationLogger(context);
  try {
    const runtime = await botRuntime();
    // With an app id, Bot Framework always sends a bearer token: a request without one is
    // refused before its body is read (the adapter then validates the token itself).
    if (
      runtime.settings.auth.kind !== 'local-unauthenticated' &&
      !/^Bearer\s+\S/i.test(request.headers.get('authorization') ?? '')
    ) {
      await refuse(runtime, 'unsigned-activity', undefined, 'The activity carried no token.');
      return problem(401, 'The activity is not signed by the Bot Framework for this bot.');
    }
    let text: string;
    try {
      text = await readLimitedText(request, MAX_ACTIVITY_BYTES);
    } catch (error) {
      if (error instanceof ApiError && error.status === 413) {
        return problem(413, 'The activity is too large.');
      }
      throw error;
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return problem(400, 'The body is not a JSON activity.');
    }
    const activity = (body ?? {}) as { serviceUrl?: unknown; from?: { aadObjectId?: unknown } };
    const claimedFrom =
      typeof activity.from?.aadObjectId === 'string' ? activity.from.aadObjectId : undefined;
    if (runtime.settings.auth.kind === 'local-unauthenticated') {
      // Without Bot Framework tokens, anyone who can reach the endpoint could speak for anyone,
      // and the bot would post replies to any serviceUrl: so only loopback, both ways.
      const serviceUrl = typeof activity.serviceUrl === 'string' ? activity.serviceUrl : '';
      if (!isLoopbackUrl(request.url) || !isLoopbackUrl(serviceUrl)) {
        await refuse(runtime, 'not-loopback', claimedFrom, 'Local mode answers loopback only.');
        return problem(
          403,
          'This bot runs without authentication and answers loopback callers only.',
        );
      }
    }
    const backend = new ServicesBotBackend({
      services: runtime.services,
      client: df.getClient(context),
      references: runtime.references,
      refusals: runtime.refusals,
      tabUrl: runtime.settings.tabUrl,
      log,
    });
    const bot = new TeamsCourierBot(new CourierBot(backend), runtime.references, log);
    const response = await processBotRequest(runtime.adapter, request, body, (turn) =>
      bot.run(turn),
    );
    if (response.status === 401) {
      await refuse(
        runtime,
        'unsigned-activity',
        claimedFrom,
        'The activity carried no valid Bot Framework token for this bot.',
      );
      return problem(401, 'The activity is not signed by the Bot Framework for this bot.');
    }
    return response;
  } catch (error) {
    return errorResponse(error, context, log);
  }
}

async function refuse(
  runtime: BotRuntime,
  reason: string,
  claimedFrom: string | undefined,
  detail: string,
): Promise<void> {
  await runtime.refusals.append({
    at: new Date().toISOString(),
    reason,
    detail,
    ...(claimedFrom ? { claimedFrom } : {}),
  });
}

function problem(status: number, message: string): HttpResponseInit {
  const code =
    status === 401 ? 'UNAUTHENTICATED' : status === 403 ? 'FORBIDDEN' : 'INVALID_REQUEST';
  return {
    status,
    jsonBody: { error: { code, message } },
    headers: status === 401 ? { 'www-authenticate': 'Bearer' } : {},
  };
}
