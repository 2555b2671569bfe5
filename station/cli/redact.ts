/**
 * Removes what must never reach a log or a screen by accident: bearer tokens and JWTs, and
 * long base64url runs (challenges, credential secrets). PINs are never given to the output at
 * all; this is the second line.
 */
export function redact(text: string): string {
  return text
    .replace(/Bearer\s+[A-Za-z0-9._~+/=-]+/gi, 'Bearer [redacted]')
    .replace(/eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, '[token redacted]')
    .replace(
      /("(?:challenge|access_token|refresh_token|pin|device_code)"\s*:\s*")[^"]*"/gi,
      '$1[redacted]"',
    );
}
