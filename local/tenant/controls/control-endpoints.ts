import { LocalTenantError } from '../local-tenant-error.ts';
import {
  header,
  jsonResponse,
  type TenantRequest,
  type TenantResponse,
} from '../http/tenant-request.ts';
import type { TenantControls } from './tenant-controls.ts';

/** The prefix of the test controls: clearly not Graph's (/v1.0, /beta) nor Entra's (/{tenant}). */
export const CONTROLS_PREFIX = '/_courier/tenant';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** What each control does, served at the prefix itself so the controls document themselves. */
const ENDPOINTS = {
  'GET /_courier/tenant': 'This list.',
  'POST /_courier/tenant/reset':
    'Back to the seed: passkeys, installations, policy, counters, throttle and faults.',
  'GET /_courier/tenant/state':
    'Users, passkeys, installations, policy, refused registrations, counters, throttle, faults.',
  'GET /_courier/tenant/rejections?user=&requestId=&clientRequestId=':
    'Refused fido2Methods POSTs with their precise cause.',
  'GET /_courier/tenant/counters':
    'Request counts: by operation and status, throttled, injected faults, early retries.',
  'PUT /_courier/tenant/throttle':
    'Body {capacity, refillPerSecond}: a token bucket in front of Graph (429 + Retry-After).',
  'DELETE /_courier/tenant/throttle': 'No throttling.',
  'PUT /_courier/tenant/faults':
    'Body {errorRate, statuses, retryAfterSeconds, latencyMs, seed, resetAfterCommit, resetBeforeCommit, afterCommit: [503|504|"reset"]}.',
  'DELETE /_courier/tenant/faults': 'No injected faults.',
  'PATCH /_courier/tenant/policy':
    'Body: fido2 policy fields to replace (state, isSelfServiceRegistrationAllowed, …).',
  'POST /_courier/tenant/sign-in/challenge':
    "Body {user}: an assertion challenge with the user's passkeys as allowCredentials.",
  'POST /_courier/tenant/sign-in/verify':
    'Body {credentialId, clientDataJSON, authenticatorData, signature}: which passkey signed in.',
  'POST /_courier/tenant/device-codes/approve':
    'Body {userCode, persona}: sign a device code in as a persona.',
  'POST /_courier/tenant/device-codes/decline': 'Body {userCode}: the user declines.',
  'GET /_courier/tenant/mds': 'The metadata chain: {signerRevoked, crlsAvailable}.',
  'POST /_courier/tenant/mds/revoke-signer':
    'Body {reason?} (default keyCompromise): the metadata CA revokes the BLOB signer on its CRL.',
  'PUT /_courier/tenant/mds/crl':
    'Body {available: boolean}: the CRL distribution points answer, or answer 503.',
  'POST /_courier/tenant/applications/{key}/certificates':
    'Body {certificatePem}: a certificate for client assertions.',
};

/**
 * The test controls over HTTP. They change what the tenant does, so they answer only requests
 * that are plainly local: from a loopback address, with a loopback Host (no DNS rebinding), with
 * no foreign Origin, and (for changes) with a JSON body, which a cross-site form cannot send.
 */
export function handleControlRequest(
  request: TenantRequest,
  controls: TenantControls,
  ownOrigins: ReadonlySet<string>,
): TenantResponse {
  const refusal = guard(request, ownOrigins);
  if (refusal) return refusal;
  const path = `/${request.segments.join('/')}`;
  const route = `${request.method} ${path.slice(CONTROLS_PREFIX.length) || '/'}`;
  let body: Record<string, unknown> = {};
  if (request.method !== 'GET' && request.method !== 'DELETE' && request.body.length > 0) {
    try {
      body = JSON.parse(request.body.toString('utf8')) as Record<string, unknown>;
    } catch {
      return problem(400, 'The body is not JSON.');
    }
  }
  const params = request.url.searchParams;
  try {
    switch (route) {
      case 'GET /':
        return jsonResponse(200, { endpoints: ENDPOINTS });
      case 'POST /reset':
        controls.reset();
        return { status: 204 };
      case 'GET /state':
        return jsonResponse(200, controls.inspect());
      case 'GET /counters':
        return jsonResponse(200, controls.counters());
      case 'GET /rejections':
        return jsonResponse(200, {
          value: controls.rejections({
            ...(params.get('user') === null ? {} : { user: params.get('user')! }),
            ...(params.get('requestId') === null ? {} : { requestId: params.get('requestId')! }),
            ...(params.get('clientRequestId') === null
              ? {}
              : { clientRequestId: params.get('clientRequestId')! }),
          }),
        });
      case 'PUT /throttle':
        controls.setThrottle({
          capacity: Number(body.capacity),
          refillPerSecond: Number(body.refillPerSecond),
        });
        return { status: 204 };
      case 'DELETE /throttle':
        controls.setThrottle(null);
        return { status: 204 };
      case 'PUT /faults':
        controls.setFaults(body);
        return { status: 204 };
      case 'DELETE /faults':
        controls.setFaults(null);
        return { status: 204 };
      case 'PATCH /policy':
        return jsonResponse(200, controls.editPolicy(body));
      case 'POST /sign-in/challenge': {
        const challenge = controls.issueSignInChallenge(text(body.user));
        return challenge
          ? jsonResponse(200, challenge)
          : problem(404, `No user ${text(body.user)}.`);
      }
      case 'POST /sign-in/verify': {
        const result = controls.verifySignIn({
          credentialId: text(body.credentialId),
          clientDataJSON: text(body.clientDataJSON),
          authenticatorData: text(body.authenticatorData),
          signature: text(body.signature),
        });
        return jsonResponse(result.verified ? 200 : 400, result);
      }
      case 'POST /device-codes/approve': {
        const outcome = controls.approveDeviceCode(text(body.userCode), text(body.persona));
        return outcome.ok ? jsonResponse(200, outcome) : problem(400, outcome.reason);
      }
      case 'POST /device-codes/decline':
        return controls.declineDeviceCode(text(body.userCode))
          ? { status: 204 }
          : problem(400, 'No pending device code has that user code.');
      case 'GET /mds':
        return jsonResponse(200, controls.metadataRevocation());
      case 'POST /mds/revoke-signer':
        controls.revokeMetadataSigner(body.reason === undefined ? undefined : text(body.reason));
        return { status: 204 };
      case 'PUT /mds/crl':
        if (typeof body.available !== 'boolean') return problem(400, 'Body {available: boolean}.');
        controls.setMetadataCrlsAvailable(body.available);
        return { status: 204 };
      default: {
        const certificates = /^POST \/applications\/([^/]+)\/certificates$/.exec(route);
        if (certificates) {
          controls.addClientCertificate(certificates[1]!, text(body.certificatePem));
          return { status: 204 };
        }
        return problem(404, `No control ${route}; GET ${CONTROLS_PREFIX} lists them.`);
      }
    }
  } catch (error) {
    if (error instanceof LocalTenantError) return problem(400, error.message);
    throw error;
  }
}

function guard(
  request: TenantRequest,
  ownOrigins: ReadonlySet<string>,
): TenantResponse | undefined {
  const address = request.remoteAddress.replace(/^::ffff:/, '');
  if (!(address === '::1' || address.startsWith('127.')))
    return problem(403, 'The test controls answer loopback clients only.');
  const host = (header(request, 'host') ?? '').replace(/:\d+$/, '').toLowerCase();
  if (!LOOPBACK_HOSTS.has(host))
    return problem(403, 'The test controls answer requests addressed to a loopback host only.');
  const origin = header(request, 'origin');
  if (origin !== undefined && !ownOrigins.has(origin.toLowerCase())) {
    return problem(403, 'The test controls do not answer cross-origin requests.');
  }
  const changes = request.method !== 'GET' && request.method !== 'HEAD';
  const contentType = header(request, 'content-type') ?? '';
  if (
    changes &&
    request.body.length > 0 &&
    !contentType.toLowerCase().startsWith('application/json')
  ) {
    return problem(415, 'The test controls take application/json bodies only.');
  }
  return undefined;
}

/** A string member of a control's JSON body, or '' when it is missing or not a string. */
function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function problem(status: number, message: string): TenantResponse {
  return jsonResponse(status, { error: { code: 'localTenantControl', message } });
}
