import type { RegistrationSubmission } from '../../core/station-api/station-api-schemas.ts';
import { decodeBase64Url } from '../../core/webauthn/base64url.ts';
import { parseClientData } from '../../core/webauthn/client-data.ts';
import type { CourierServices } from '../courier-services.ts';

/**
 * Keeps what the sign-in check verifies against when a station submits a registration: the
 * attestation (the credential's public key and counter) and the RP it was made for. Client data
 * that cannot be read is kept from the check (Graph refuses such a registration anyway).
 */
export async function rememberForSignInCheck(
  services: CourierServices,
  jobId: string,
  submission: RegistrationSubmission,
): Promise<void> {
  let rpId: string;
  try {
    const { origin } = parseClientData(
      decodeBase64Url(submission.clientDataJSON, 'clientDataJSON'),
    );
    rpId = new URL(origin).hostname;
  } catch {
    return;
  }
  await services.signInChecks.rememberRegistration({
    jobId,
    attempt: submission.attempt,
    credentialId: submission.credentialId,
    attestationObject: submission.attestationObject,
    rpId,
  });
}
