import type { KeyObject } from 'node:crypto';
import type { User } from '@microsoft/microsoft-graph-types';
import type { Clock } from '../clock.ts';
import type { Directory, DirectoryUser } from '../directory.ts';
import {
  graphDateTime,
  jsonResponse,
  type TenantRequest,
  type TenantResponse,
} from '../http/tenant-request.ts';
import type { TenantState } from '../tenant-state.ts';
import { modelForAaguid } from './aaguid-models.ts';
import { buildCreationOptions } from './creation-options.ts';
import { methodIdFor, type MethodIdForm } from './method-id.ts';
import { fido2MethodJson } from './fido2-method-representation.ts';
import { fido2PolicyJson } from './fido2-policy-representation.ts';
import { authenticateGraphCaller, requirePermission, type GraphCaller } from './graph-caller.ts';
import { graphError, methodNotAllowed, userNotFound } from './graph-error.ts';
import type { GraphRoute } from './graph-route.ts';
import { encodeSkipToken, parseSelect, parseSkipToken, parseTop } from './odata-query.ts';
import type { ChallengeSealer } from './registration-challenge.ts';
import { RegistrationRefusal } from './registration-refusal.ts';
import { TeamsInstallations } from './teams-installations.ts';
import { SELECTABLE_USER_PROPERTIES, userContext, userJson } from './user-representation.ts';
import { verifyRegistration } from './verify-registration.ts';

export interface GraphSettings {
  root: string;
  methodIdForm: MethodIdForm;
  directory: Directory;
  state: () => TenantState;
  challenges: ChallengeSealer;
  clock: Clock;
  rpId: string;
  /** The attestation roots (PEM) Entra trusts for an AAGUID: from the FIDO metadata it serves. */
  attestationRootsFor: (aaguid: string) => readonly string[];
  signingKey: KeyObject;
  issuer: string;
  authorizeUrl: string;
  /** Called after every change to the state (a state file is rewritten). */
  onChange: () => void;
}

const V1_CHALLENGE_MINUTES = 5;
const MIN_CHALLENGE_MINUTES = 5;
const MAX_CHALLENGE_MINUTES = 43_200;
const DEFAULT_PAGE_SIZE = 100;
const BARE_BAD_REQUEST = 'Bad Request';

/**
 * Microsoft Graph v1.0 and beta, for what the gateway uses. Each call checks the bearer token and
 * the permission the operation needs, then answers with Graph's shapes and errors.
 */
export class GraphEndpoints {
  private readonly settings: GraphSettings;
  private readonly teams: TeamsInstallations;

  constructor(settings: GraphSettings) {
    this.settings = settings;
    this.teams = new TeamsInstallations(settings);
  }

  async execute(route: GraphRoute, request: TenantRequest): Promise<TenantResponse> {
    const caller = await authenticateGraphCaller(request, {
      signingKey: this.settings.signingKey,
      issuer: this.settings.issuer,
      authorizeUrl: this.settings.authorizeUrl,
      now: this.settings.clock(),
    });
    if (!('kind' in caller)) return caller;
    if (route.subject.toLowerCase() === 'me' && caller.kind !== 'delegated') {
      return graphError(
        request,
        400,
        'BadRequest',
        '/me request is only valid with delegated authentication flow.',
      );
    }
    switch (route.operation) {
      case 'getUser':
        return this.getUser(route, request, caller);
      case 'checkMemberGroups':
        return this.checkMemberGroups(route, request, caller);
      case 'getManager':
        return this.getManager(route, request, caller);
      case 'findGroups':
        return this.findGroups(route, request, caller);
      case 'getGroup':
      case 'listGroupMembers':
        return this.groups(route, request, caller);
      case 'creationOptions':
        return this.creationOptions(route, request, caller);
      case 'registerFido2Method':
        return this.register(route, request, caller);
      case 'listFido2Methods':
      case 'getFido2Method':
      case 'deleteFido2Method':
        return this.fido2Methods(route, request, caller);
      case 'getFido2Policy':
        return (
          requirePermission(request, caller, 'readPolicy') ??
          jsonResponse(
            200,
            fido2PolicyJson(this.settings.state().policy, this.settings.root, route.version),
          )
        );
      case 'listInstalledApps':
      case 'installApp':
      case 'getInstalledApp':
      case 'uninstallApp':
      case 'getInstalledAppChat': {
        const user = this.subjectUser(route, caller);
        if (!user) return userNotFound(request, route.subject);
        return this.teams.handle(route, request, caller, user);
      }
    }
  }

  private subjectUser(route: GraphRoute, caller: GraphCaller): DirectoryUser | undefined {
    const key = route.subject.toLowerCase() === 'me' ? (caller.userId ?? '') : route.subject;
    return this.settings.directory.findUser(key);
  }

  private getUser(route: GraphRoute, request: TenantRequest, caller: GraphCaller): TenantResponse {
    const denied = requirePermission(request, caller, 'readUser');
    if (denied) return denied;
    const user = this.subjectUser(route, caller);
    if (!user) return userNotFound(request, route.subject);
    const select = parseSelect(
      request.url.searchParams.get('$select'),
      SELECTABLE_USER_PROPERTIES,
      'microsoft.graph.user',
    );
    if ('error' in select) return graphError(request, 400, 'BadRequest', select.error);
    return jsonResponse(200, {
      '@odata.context': userContext(this.settings.root, route.version, select.value),
      ...userJson(user, select.value),
    });
  }

  /**
   * POST /users/{id}/checkMemberGroups {groupIds}: which of the groups the user is in. The seed's
   * groups are flat, so direct membership is all there is to check.
   */
  private checkMemberGroups(
    route: GraphRoute,
    request: TenantRequest,
    caller: GraphCaller,
  ): TenantResponse {
    const denied = requirePermission(request, caller, 'readGroupMembers');
    if (denied) return denied;
    const user = this.subjectUser(route, caller);
    if (!user) return userNotFound(request, route.subject);
    let groupIds: unknown;
    try {
      groupIds = (JSON.parse(request.body.toString('utf8')) as { groupIds?: unknown }).groupIds;
    } catch {
      groupIds = undefined;
    }
    if (
      !Array.isArray(groupIds) ||
      !groupIds.every((g) => typeof g === 'string') ||
      groupIds.length > 20
    ) {
      return graphError(
        request,
        400,
        'Request_BadRequest',
        'groupIds must be an array of at most 20 group ids.',
      );
    }
    const memberOf = this.settings.directory.groupIdsOf(user.id);
    return jsonResponse(200, {
      '@odata.context': `${this.settings.root}/${route.version}/$metadata#Collection(Edm.String)`,
      value: groupIds.filter((g) => memberOf.has(g.toLowerCase())),
    });
  }

  private getManager(
    route: GraphRoute,
    request: TenantRequest,
    caller: GraphCaller,
  ): TenantResponse {
    const denied = requirePermission(request, caller, 'readUser');
    if (denied) return denied;
    const user = this.subjectUser(route, caller);
    if (!user) return userNotFound(request, route.subject);
    const manager =
      user.managerId === undefined ? undefined : this.settings.directory.findUser(user.managerId);
    if (!manager) return userNotFound(request, 'manager');
    const select = parseSelect(
      request.url.searchParams.get('$select'),
      SELECTABLE_USER_PROPERTIES,
      'microsoft.graph.user',
    );
    if ('error' in select) return graphError(request, 400, 'BadRequest', select.error);
    return jsonResponse(200, {
      '@odata.context': `${this.settings.root}/${route.version}/$metadata#directoryObjects/$entity`,
      '@odata.type': '#microsoft.graph.user',
      ...userJson(manager, select.value),
    });
  }

  /**
   * GET /groups?$filter=displayName eq '…': the one query the product makes of the group
   * collection (bulk enrolment by a group's name). Graph accepts many more filters; this tenant
   * answers only that form and refuses the rest with 400, so nothing comes to rely on more.
   */
  private findGroups(
    route: GraphRoute,
    request: TenantRequest,
    caller: GraphCaller,
  ): TenantResponse {
    const denied = requirePermission(request, caller, 'readGroupMembers');
    if (denied) return denied;
    const filter = request.url.searchParams.get('$filter') ?? '';
    const match = /^displayName eq '((?:[^']|'')*)'$/.exec(filter.trim());
    if (!match) {
      return graphError(
        request,
        400,
        'BadRequest',
        `This local tenant answers only $filter=displayName eq '…' on /groups, not "${filter}".`,
      );
    }
    const name = match[1]!.replace(/''/g, "'");
    const found = this.settings.directory.groups.filter((g) => g.displayName === name);
    return jsonResponse(200, {
      '@odata.context': `${this.settings.root}/${route.version}/$metadata#groups(id,displayName)`,
      value: found.map((g) => ({ id: g.id, displayName: g.displayName })),
    });
  }

  private groups(route: GraphRoute, request: TenantRequest, caller: GraphCaller): TenantResponse {
    const denied = requirePermission(request, caller, 'readGroupMembers');
    if (denied) return denied;
    const group = this.settings.directory.findGroup(route.subject);
    if (!group) return userNotFound(request, route.subject);
    const { root } = this.settings;
    if (route.operation === 'getGroup') {
      return jsonResponse(200, {
        '@odata.context': `${root}/${route.version}/$metadata#groups/$entity`,
        id: group.id,
        displayName: group.displayName,
        description: group.description,
        mailNickname: group.mailNickname,
        mailEnabled: false,
        securityEnabled: true,
        groupTypes: [],
      });
    }
    const params = request.url.searchParams;
    const top = parseTop(params.get('$top'));
    if ('error' in top) return graphError(request, 400, 'BadRequest', top.error);
    const skip = parseSkipToken(params.get('$skiptoken'));
    if ('error' in skip) return graphError(request, 400, 'BadRequest', skip.error);
    const select = parseSelect(
      params.get('$select'),
      SELECTABLE_USER_PROPERTIES,
      'microsoft.graph.user',
    );
    if ('error' in select) return graphError(request, 400, 'BadRequest', select.error);
    const size = top.value ?? DEFAULT_PAGE_SIZE;
    const members = group.memberIds.map((id) => this.settings.directory.findUser(id)!);
    const page = members.slice(skip.value, skip.value + size);
    const body: Record<string, unknown> = {
      '@odata.context': `${root}/${route.version}/$metadata#directoryObjects`,
      value: page.map((user): User & { '@odata.type': string } => ({
        '@odata.type': '#microsoft.graph.user',
        ...userJson(user, select.value),
      })),
    };
    if (skip.value + size < members.length) {
      const next = new URL(
        `${root}/${route.version}/groups/${encodeURIComponent(route.subject)}/members`,
      );
      next.searchParams.set('$top', String(size));
      if (select.value) next.searchParams.set('$select', select.value.join(','));
      next.searchParams.set('$skiptoken', encodeSkipToken(skip.value + size));
      body['@odata.nextLink'] = next.toString();
    }
    return jsonResponse(200, body);
  }

  private async creationOptions(
    route: GraphRoute,
    request: TenantRequest,
    caller: GraphCaller,
  ): Promise<TenantResponse> {
    const segment = route.item!;
    const call = /^creationOptions(?:\((.*)\))?$/i.exec(segment);
    if (!call)
      return graphError(
        request,
        400,
        'BadRequest',
        `Resource not found for the segment '${segment}'.`,
      );
    const argument = call[1];
    // Graph answers the query-string form with 405, whichever version (webauthn-interop #13, #33).
    if (
      argument === undefined &&
      [...request.url.searchParams.keys()].some(
        (k) => k.toLowerCase() === 'challengetimeoutinminutes',
      )
    ) {
      return methodNotAllowed(request);
    }
    let minutes = V1_CHALLENGE_MINUTES;
    if (argument !== undefined && argument.trim() !== '') {
      if (route.version === 'v1.0') {
        return graphError(
          request,
          400,
          'BadRequest',
          'Custom challenge timeout values are not supported in v1.0; creationOptions takes no parameter there (use beta).',
        );
      }
      const parameter = /^\s*challengeTimeoutInMinutes\s*=\s*(@?[\w]+)\s*$/i.exec(argument);
      if (!parameter)
        return graphError(
          request,
          400,
          'BadRequest',
          `The parameter list '${argument}' of function 'creationOptions' is not valid.`,
        );
      let raw = parameter[1]!;
      if (raw.startsWith('@')) raw = request.url.searchParams.get(raw) ?? '';
      if (
        !/^-?\d+$/.test(raw) ||
        Number(raw) < MIN_CHALLENGE_MINUTES ||
        Number(raw) > MAX_CHALLENGE_MINUTES
      ) {
        return graphError(
          request,
          400,
          'badRequest',
          `challengeTimeoutInMinutes must be an integer between ${MIN_CHALLENGE_MINUTES} and ${MAX_CHALLENGE_MINUTES}; got '${raw}'.`,
        );
      }
      minutes = Number(raw);
    }
    const denied = requirePermission(
      request,
      caller,
      route.version === 'beta' ? 'betaCreationOptions' : 'writePasskeys',
    );
    if (denied) return denied;
    const user = this.subjectUser(route, caller);
    if (!user) return userNotFound(request, route.subject);
    if (route.version === 'beta' && caller.kind === 'delegated' && caller.userId === user.id) {
      return methodNotAllowed(request); // beta: "Self-service operations aren't supported."
    }
    const now = this.settings.clock();
    const issuedAt = Math.floor(now / 1000);
    const expiresAt = issuedAt + minutes * 60;
    const challenge = await this.settings.challenges.seal({
      userId: user.id,
      rpId: this.settings.rpId,
      issuedAt,
      expiresAt,
    });
    return jsonResponse(
      200,
      buildCreationOptions({
        root: this.settings.root,
        version: route.version,
        user,
        tenantId: this.settings.directory.tenantId,
        rpId: this.settings.rpId,
        challenge,
        expiresAt: expiresAt * 1000,
        existing: this.settings.state().methodsOf(user.id),
      }),
    );
  }

  private async register(
    route: GraphRoute,
    request: TenantRequest,
    caller: GraphCaller,
  ): Promise<TenantResponse> {
    const denied = requirePermission(request, caller, 'writePasskeys');
    if (denied) return denied;
    const user = this.subjectUser(route, caller);
    if (!user) return userNotFound(request, route.subject);
    if (route.version === 'beta' && caller.kind === 'delegated' && caller.userId === user.id) {
      return methodNotAllowed(request);
    }
    let json: unknown;
    try {
      json = JSON.parse(request.body.toString('utf8'));
    } catch {
      return graphError(
        request,
        400,
        'BadRequest',
        'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
      );
    }
    const state = this.settings.state();
    const now = this.settings.clock();
    try {
      const verified = await verifyRegistration(json, {
        userId: user.id,
        groupIds: this.settings.directory.groupIdsOf(user.id),
        policy: state.policy,
        rpId: this.settings.rpId,
        attestationRootsFor: this.settings.attestationRootsFor,
        challenges: this.settings.challenges,
        registeredCredentialIds: state.registeredCredentialIds(),
        now,
      });
      const model = modelForAaguid(verified.aaGuid);
      const method = {
        id: methodIdFor(this.settings.methodIdForm, verified.credentialId),
        userId: user.id,
        credentialId: Buffer.from(verified.credentialId).toString('base64url'),
        publicKey: Buffer.from(verified.publicKey).toString('base64url'),
        signCount: verified.signCount,
        aaGuid: verified.aaGuid,
        displayName: verified.displayName ?? model ?? 'Security key',
        createdDateTime: graphDateTime(now),
        lastUsedDateTime: null,
        attestationCertificates: verified.attestationCertificates,
        attestationLevel: verified.attestationLevel,
        model,
        passkeyType: verified.passkeyType,
        transports: verified.transports,
      };
      state.methods.push(method);
      this.settings.onChange();
      const base = `${this.settings.root}/${route.version}/users/${encodeURIComponent(route.subject)}/authentication/fido2Methods`;
      return jsonResponse(
        201,
        {
          '@odata.context': `${this.settings.root}/${route.version}/$metadata#users('${route.subject}')/authentication/fido2Methods/$entity`,
          ...fido2MethodJson(method),
        },
        { location: `${base}/${method.id}` },
      );
    } catch (error) {
      if (!(error instanceof RegistrationRefusal)) throw error;
      state.rejections.push({
        at: graphDateTime(now),
        requestId: request.requestId,
        clientRequestId: request.clientRequestId,
        userId: user.id,
        cause: error.code,
        detail: error.message,
      });
      // Entra says nothing more than this for a policy or attestation failure; only a body that
      // is not a fido2AuthenticationMethod gets OData's message naming the offending member.
      return error.code === 'malformedRequest'
        ? graphError(request, 400, 'BadRequest', error.message)
        : graphError(request, 400, 'badRequest', BARE_BAD_REQUEST);
    }
  }

  private fido2Methods(
    route: GraphRoute,
    request: TenantRequest,
    caller: GraphCaller,
  ): TenantResponse {
    const denied = requirePermission(
      request,
      caller,
      route.operation === 'deleteFido2Method' ? 'writePasskeys' : 'readPasskeys',
    );
    if (denied) return denied;
    const user = this.subjectUser(route, caller);
    if (!user) return userNotFound(request, route.subject);
    const state = this.settings.state();
    const context = `${this.settings.root}/${route.version}/$metadata#users('${route.subject}')/authentication/fido2Methods`;
    if (route.operation === 'listFido2Methods') {
      return jsonResponse(200, {
        '@odata.context': context,
        value: state.methodsOf(user.id).map(fido2MethodJson),
      });
    }
    const method = state.methodsOf(user.id).find((m) => m.id === route.item);
    if (!method) {
      return graphError(
        request,
        404,
        'itemNotFound',
        `The authentication method '${route.item ?? ''}' was not found for this user.`,
      );
    }
    if (route.operation === 'getFido2Method') {
      return jsonResponse(200, {
        '@odata.context': `${context}/$entity`,
        ...fido2MethodJson(method),
      });
    }
    state.methods = state.methods.filter((m) => m !== method);
    this.settings.onChange();
    return { status: 204 };
  }
}
