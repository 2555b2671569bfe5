import { describe, expect, it } from 'vitest';
import { toHex } from '../../../core/bytes.ts';
import {
  decodeBase64Tolerant,
  decodeBase64Url,
  encodeBase64Url,
} from '../../../core/webauthn/base64url.ts';
import { WebAuthnEncodingError } from '../../../core/webauthn/webauthn-encoding-error.ts';
import {
  GRAPH_EXCLUDE_IDS,
  GRAPH_USER_ID,
  GRAPH_USER_ID_BYTES,
  PADDING_DIGIT_IDS,
} from '../../vectors/dsinternals.ts';
import { NONE_CHALLENGE, NONE_CLIENT_DATA_JSON } from '../../vectors/w3c-webauthn.ts';
import { caught } from '../../support/caught.ts';

const encodingError = (run: () => unknown): WebAuthnEncodingError =>
  caught(WebAuthnEncodingError, () => run());

describe('strict base64url', () => {
  it('round-trips the Graph user handle', () => {
    expect(toHex(decodeBase64Url(GRAPH_USER_ID))).toBe(toHex(GRAPH_USER_ID_BYTES));
    expect(encodeBase64Url(GRAPH_USER_ID_BYTES)).toBe(GRAPH_USER_ID);
  });

  it('encodes without padding, as the W3C clientDataJSON challenge shows', () => {
    const json = new TextDecoder().decode(NONE_CLIENT_DATA_JSON);
    expect(json).toContain(`"challenge":"${encodeBase64Url(NONE_CHALLENGE)}"`);
    expect(encodeBase64Url(Uint8Array.of(1, 2, 3, 4, 5))).toBe('AQIDBAU');
  });

  it.each(GRAPH_EXCLUDE_IDS)('refuses the standard-base64 Graph id $text', ({ text }) => {
    const error = encodingError(() => decodeBase64Url(text, 'excludeCredentials[0].id'));
    expect(error.code).toBe('INVALID_BASE64');
    expect(error.message).toContain('excludeCredentials[0].id');
    expect(error.message).toContain(JSON.stringify(text));
  });

  it('refuses impossible lengths and non-zero spare bits', () => {
    for (const text of ['A', 'AB', 'AQJ', 'AQ==', 'AQ\n']) {
      expect(encodingError(() => decodeBase64Url(text)).code).toBe('INVALID_BASE64');
    }
    expect(toHex(decodeBase64Url('AQI'))).toBe('0102');
  });
});

describe('tolerant base64 for Microsoft Graph', () => {
  it.each(GRAPH_EXCLUDE_IDS)(
    'decodes the standard-base64 excludeCredentials id $text',
    ({ text, bytes }) => {
      expect(toHex(decodeBase64Tolerant(text))).toBe(toHex(bytes));
    },
  );

  it.each(PADDING_DIGIT_IDS.filter((id) => id.plain === undefined))(
    'decodes the padding-digit id $text by dropping the digit',
    ({ text, suffixReading }) => {
      expect(() => decodeBase64Url(text)).toThrow(WebAuthnEncodingError);
      expect(toHex(decodeBase64Tolerant(text))).toBe(toHex(suffixReading));
    },
  );

  it('decodes an id that is also valid plain base64url by the plain reading', () => {
    const ambiguous = PADDING_DIGIT_IDS.find((id) => id.plain !== undefined)!;
    expect(ambiguous.text).toBe('MMeD8wrNCZ-0hbfdYvvAIzrsrTGd_uXdt2iXbYlGJSs1');
    const decoded = decodeBase64Tolerant(ambiguous.text);
    expect(decoded).toHaveLength(33);
    expect(toHex(decoded)).toBe(toHex(ambiguous.plain!));
    expect(toHex(decoded)).not.toBe(toHex(ambiguous.suffixReading));
  });

  it('decodes the plain base64url user handle unchanged', () => {
    expect(toHex(decodeBase64Tolerant(GRAPH_USER_ID))).toBe(toHex(GRAPH_USER_ID_BYTES));
  });

  it('refuses garbage with INVALID_BASE64, quoting the input', () => {
    for (const text of ['not base64!', 'AQ===', 'AQ=', 'A', 'AB3', '%%%%']) {
      const error = encodingError(() => decodeBase64Tolerant(text, 'excludeCredentials[2].id'));
      expect(error.code).toBe('INVALID_BASE64');
      expect(error.message).toContain('excludeCredentials[2].id');
      expect(error.message).toContain(JSON.stringify(text));
    }
  });

  it('shortens very long input in the message', () => {
    const text = `${'A'.repeat(100)}$`;
    const error = encodingError(() => decodeBase64Tolerant(text));
    expect(error.message).toContain(`"${'A'.repeat(77)}..."`);
    expect(error.message).not.toContain(text);
  });
});
