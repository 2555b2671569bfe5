import { describe, expect, it } from 'vitest';
import { redact } from '../../../station/cli/redact.ts';

describe('redact', () => {
  it('removes tokens and challenges, and keeps error codes', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJvcGVyYXRvciJ9.c2lnbmF0dXJlLWJ5dGVz';
    expect(redact(`Authorization: Bearer ${jwt}`)).toBe('Authorization: Bearer [redacted]');
    expect(redact(`token ${jwt} end`)).toBe('token [token redacted] end');
    expect(redact('{"challenge":"abc123","code":"NO_USB"}')).toBe(
      '{"challenge":"[redacted]","code":"NO_USB"}',
    );
    expect(redact('{"pin":"73915846"}')).toBe('{"pin":"[redacted]"}');
  });
});
