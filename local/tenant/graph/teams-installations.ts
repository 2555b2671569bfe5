import type {
  Chat,
  TeamsApp,
  TeamsAppDefinition,
  UserScopeTeamsAppInstallation,
} from '@microsoft/microsoft-graph-types';
import type { Clock } from '../clock.ts';
import type { Directory, DirectoryUser } from '../directory.ts';
import {
  graphDateTime,
  jsonResponse,
  type TenantRequest,
  type TenantResponse,
} from '../http/tenant-request.ts';
import type { TeamsAppSeed } from '../seed/tenant-seed.ts';
import { installation, type StoredInstallation, type TenantState } from '../tenant-state.ts';
import { requirePermission, type GraphCaller } from './graph-caller.ts';
import { graphError } from './graph-error.ts';
import { onlySelf } from './graph-permissions.ts';
import type { GraphRoute } from './graph-route.ts';
import { parseEqFilter, parseExpand } from './odata-query.ts';

const FILTERABLE = [
  'teamsApp/externalId',
  'teamsApp/id',
  'teamsApp/displayName',
  'teamsAppDefinition/teamsAppId',
] as const;

/**
 * /users/{id}/teamwork/installedApps: install the bot's Teams app for a user and find the 1:1
 * chat with it, for proactive messages. With a "Self" permission
 * (TeamsAppInstallation.ReadWriteSelfForUser.All) an app sees and installs only its own Teams
 * app, the one whose azureADAppId is the caller's client id.
 */
export class TeamsInstallations {
  private readonly settings: {
    root: string;
    directory: Directory;
    state: () => TenantState;
    clock: Clock;
    onChange: () => void;
  };

  constructor(settings: TeamsInstallations['settings']) {
    this.settings = settings;
  }

  handle(
    route: GraphRoute,
    request: TenantRequest,
    caller: GraphCaller,
    user: DirectoryUser,
  ): TenantResponse {
    switch (route.operation) {
      case 'installApp':
        return this.install(request, caller, user);
      case 'listInstalledApps':
        return this.list(route, request, caller, user);
      case 'uninstallApp':
        return this.uninstall(route, request, caller, user);
      default:
        return this.get(route, request, caller, user);
    }
  }

  private visibleTo(
    caller: GraphCaller,
    operation: 'installTeamsApp' | 'readTeamsApps' | 'readChat',
  ) {
    const selfOnly = onlySelf(caller.permissions, operation);
    return (app: TeamsAppSeed | undefined) =>
      app !== undefined &&
      (!selfOnly || app.azureADAppId.toLowerCase() === caller.appId.toLowerCase());
  }

  private install(
    request: TenantRequest,
    caller: GraphCaller,
    user: DirectoryUser,
  ): TenantResponse {
    const denied = requirePermission(request, caller, 'installTeamsApp');
    if (denied) return denied;
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(request.body.toString('utf8')) as Record<string, unknown>;
    } catch {
      return graphError(
        request,
        400,
        'BadRequest',
        'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
      );
    }
    const bind = body?.['teamsApp@odata.bind'];
    const match =
      typeof bind === 'string' ? /\/appCatalogs\/teamsApps\/([^/?#]+)$/i.exec(bind) : null;
    if (!match) {
      return graphError(
        request,
        400,
        'BadRequest',
        'The request body must bind teamsApp: {"teamsApp@odata.bind": "https://graph.microsoft.com/v1.0/appCatalogs/teamsApps/{id}"}.',
      );
    }
    const app = this.settings.directory.findTeamsApp(decodeURIComponent(match[1]!));
    if (!app)
      return graphError(
        request,
        404,
        'NotFound',
        `The Teams app '${match[1]!}' was not found in the app catalog.`,
      );
    if (!this.visibleTo(caller, 'installTeamsApp')(app)) {
      return graphError(
        request,
        403,
        'Forbidden',
        'With a Self permission an application can install only its own Teams app.',
      );
    }
    const state = this.settings.state();
    if (
      state.installations.some((i) => i.userId === user.id && i.teamsAppId === app.id.toLowerCase())
    ) {
      return graphError(request, 409, 'Conflict', 'App is already installed.');
    }
    state.installations.push(installation(user.id, app.id.toLowerCase(), this.settings.clock()));
    this.settings.onChange();
    // Graph answers 201 with no body; the installation is found by listing.
    return { status: 201 };
  }

  private list(
    route: GraphRoute,
    request: TenantRequest,
    caller: GraphCaller,
    user: DirectoryUser,
  ): TenantResponse {
    const denied = requirePermission(request, caller, 'readTeamsApps');
    if (denied) return denied;
    const params = request.url.searchParams;
    const expand = parseExpand(
      params.get('$expand'),
      ['teamsApp', 'teamsAppDefinition'],
      'microsoft.graph.userScopeTeamsAppInstallation',
    );
    if ('error' in expand) return graphError(request, 400, 'BadRequest', expand.error);
    const filter = parseEqFilter(params.get('$filter'), FILTERABLE);
    if ('error' in filter) return graphError(request, 400, 'BadRequest', filter.error);
    const visible = this.visibleTo(caller, 'readTeamsApps');
    const value = this.settings
      .state()
      .installations.filter((i) => i.userId === user.id)
      .map((i) => ({ installation: i, app: this.settings.directory.findTeamsApp(i.teamsAppId) }))
      .filter(({ app }) => visible(app))
      .filter(
        ({ app }) =>
          !filter.value ||
          filterValue(app!, filter.value.path).toLowerCase() === filter.value.value.toLowerCase(),
      )
      .map(({ installation: i, app }) => this.installationJson(i, app!, expand.value));
    return jsonResponse(200, {
      '@odata.context': `${this.settings.root}/${route.version}/$metadata#users('${route.subject}')/teamwork/installedApps${expand.value.length ? `(${expand.value.join(',')}())` : ''}`,
      value,
    });
  }

  private find(
    route: GraphRoute,
    caller: GraphCaller,
    user: DirectoryUser,
    operation: 'readTeamsApps' | 'readChat' | 'installTeamsApp',
  ) {
    const found = this.settings
      .state()
      .installations.find((i) => i.userId === user.id && i.id === route.item);
    const app = found ? this.settings.directory.findTeamsApp(found.teamsAppId) : undefined;
    return found && this.visibleTo(caller, operation)(app)
      ? { installation: found, app: app! }
      : undefined;
  }

  private get(
    route: GraphRoute,
    request: TenantRequest,
    caller: GraphCaller,
    user: DirectoryUser,
  ): TenantResponse {
    const chat = route.operation === 'getInstalledAppChat';
    const denied = requirePermission(request, caller, chat ? 'readChat' : 'readTeamsApps');
    if (denied) return denied;
    const found = this.find(route, caller, user, chat ? 'readChat' : 'readTeamsApps');
    if (!found)
      return graphError(
        request,
        404,
        'NotFound',
        `The installation '${route.item ?? ''}' was not found for this user.`,
      );
    const base = `${this.settings.root}/${route.version}/$metadata`;
    if (!chat) {
      const expand = parseExpand(
        request.url.searchParams.get('$expand'),
        ['teamsApp', 'teamsAppDefinition'],
        'microsoft.graph.userScopeTeamsAppInstallation',
      );
      if ('error' in expand) return graphError(request, 400, 'BadRequest', expand.error);
      return jsonResponse(200, {
        '@odata.context': `${base}#users('${route.subject}')/teamwork/installedApps/$entity`,
        ...this.installationJson(found.installation, found.app, expand.value),
      });
    }
    const chatId = `19:${user.id}_${found.app.azureADAppId}@unq.gbl.spaces`;
    const json: Chat = {
      id: chatId,
      topic: null,
      createdDateTime: found.installation.createdDateTime,
      lastUpdatedDateTime: found.installation.createdDateTime,
      chatType: 'oneOnOne',
      webUrl: `https://teams.microsoft.com/l/chat/${encodeURIComponent(chatId)}/0?tenantId=${this.settings.directory.tenantId}`,
      tenantId: this.settings.directory.tenantId,
      onlineMeetingInfo: null,
      viewpoint: null,
    };
    return jsonResponse(200, { '@odata.context': `${base}#chats/$entity`, ...json });
  }

  private uninstall(
    route: GraphRoute,
    request: TenantRequest,
    caller: GraphCaller,
    user: DirectoryUser,
  ): TenantResponse {
    const denied = requirePermission(request, caller, 'installTeamsApp');
    if (denied) return denied;
    const found = this.find(route, caller, user, 'installTeamsApp');
    if (!found)
      return graphError(
        request,
        404,
        'NotFound',
        `The installation '${route.item ?? ''}' was not found for this user.`,
      );
    const state = this.settings.state();
    state.installations = state.installations.filter((i) => i !== found.installation);
    this.settings.onChange();
    return { status: 204 };
  }

  private installationJson(
    i: StoredInstallation,
    app: TeamsAppSeed,
    expand: readonly string[],
  ): UserScopeTeamsAppInstallation {
    const json: UserScopeTeamsAppInstallation = { id: i.id };
    if (expand.includes('teamsApp')) json.teamsApp = teamsAppJson(app);
    if (expand.includes('teamsAppDefinition'))
      json.teamsAppDefinition = teamsAppDefinitionJson(app);
    return json;
  }
}

function teamsAppJson(app: TeamsAppSeed): TeamsApp {
  return {
    id: app.id,
    externalId: app.externalId,
    displayName: app.displayName,
    distributionMethod: app.distributionMethod,
  };
}

function teamsAppDefinitionJson(app: TeamsAppSeed): TeamsAppDefinition {
  return {
    id: Buffer.from(`${app.id}##${app.version}##Published`).toString('base64'),
    teamsAppId: app.id,
    displayName: app.displayName,
    version: app.version,
    publishingState: 'published',
    lastModifiedDateTime: graphDateTime(Date.parse('2024-01-15T09:00:00Z')),
  };
}

function filterValue(app: TeamsAppSeed, path: (typeof FILTERABLE)[number]): string {
  switch (path) {
    case 'teamsApp/externalId':
      return app.externalId;
    case 'teamsApp/id':
    case 'teamsAppDefinition/teamsAppId':
      return app.id;
    case 'teamsApp/displayName':
      return app.displayName;
  }
}
