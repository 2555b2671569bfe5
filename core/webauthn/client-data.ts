import { WebAuthnEncodingError } from './webauthn-encoding-error.ts';

export interface CollectedClientData {
  type: 'webauthn.create' | 'webauthn.get';
  /** base64url of the challenge, exactly as the relying party sent it. */
  challenge: string;
  origin: string;
  crossOrigin: boolean;
  topOrigin?: string;
}

/**
 * Serialises client data the way WebAuthn L3 §5.8.1.1 prescribes: members in the order type,
 * challenge, origin, crossOrigin (then topOrigin), no whitespace, strings escaped by CCDToString.
 * Relying parties may compare these bytes rather than parse JSON, so the order is not optional.
 */
export function serializeClientData(data: CollectedClientData): string {
  let json = `{"type":${ccdToString(data.type)},"challenge":${ccdToString(data.challenge)}`;
  json += `,"origin":${ccdToString(data.origin)},"crossOrigin":${data.crossOrigin ? 'true' : 'false'}`;
  if (data.topOrigin !== undefined) json += `,"topOrigin":${ccdToString(data.topOrigin)}`;
  return `${json}}`;
}

/**
 * clientDataJSON for registering a credential with Microsoft Entra ID: origin is `https://` + the
 * rp.id from Graph's creation options (never hard-coded), the challenge string is used verbatim.
 */
export function entraRegistrationClientData(rpId: string, challenge: string): string {
  return serializeClientData({
    type: 'webauthn.create',
    challenge,
    origin: `https://${rpId}`,
    crossOrigin: false,
  });
}

/** WebAuthn's CCDToString: JSON string with only `"`, `\` and control characters escaped. */
function ccdToString(value: string): string {
  let out = '"';
  for (const char of value) {
    const code = char.codePointAt(0)!;
    if (char === '"') out += '\\"';
    else if (char === '\\') out += '\\\\';
    else if (code < 0x20) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += char;
  }
  return `${out}"`;
}

/** Parses and checks clientDataJSON bytes (as a relying party receives them). */
export function parseClientData(json: Uint8Array | string): CollectedClientData {
  let text: string;
  try {
    text = typeof json === 'string' ? json : new TextDecoder('utf-8', { fatal: true }).decode(json);
  } catch (cause) {
    throw new WebAuthnEncodingError('INVALID_CLIENT_DATA', 'clientDataJSON is not valid UTF-8.', {
      cause,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new WebAuthnEncodingError('INVALID_CLIENT_DATA', 'clientDataJSON is not valid JSON.', {
      cause,
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new WebAuthnEncodingError('INVALID_CLIENT_DATA', 'clientDataJSON is not a JSON object.');
  }
  const record = parsed as Record<string, unknown>;
  const { type, challenge, origin, crossOrigin, topOrigin } = record;
  if (type !== 'webauthn.create' && type !== 'webauthn.get') {
    throw new WebAuthnEncodingError(
      'INVALID_CLIENT_DATA',
      `clientDataJSON type must be "webauthn.create" or "webauthn.get", got ${JSON.stringify(type)}.`,
    );
  }
  if (typeof challenge !== 'string' || typeof origin !== 'string') {
    throw new WebAuthnEncodingError(
      'INVALID_CLIENT_DATA',
      'clientDataJSON needs string challenge and origin.',
    );
  }
  if (crossOrigin !== undefined && typeof crossOrigin !== 'boolean') {
    throw new WebAuthnEncodingError(
      'INVALID_CLIENT_DATA',
      'clientDataJSON crossOrigin must be a boolean.',
    );
  }
  if (topOrigin !== undefined && typeof topOrigin !== 'string') {
    throw new WebAuthnEncodingError(
      'INVALID_CLIENT_DATA',
      'clientDataJSON topOrigin must be a string.',
    );
  }
  return {
    type,
    challenge,
    origin,
    crossOrigin: crossOrigin ?? false,
    ...(topOrigin === undefined ? {} : { topOrigin }),
  };
}
