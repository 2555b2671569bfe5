import { describe, expect, it } from 'vitest';
import { decodeCreationOptions } from '../../../core/graph/decode-creation-options.ts';
import type { GraphError } from '../../../core/graph/graph-error.ts';
import { creationOptionsSchema } from '../../../core/graph/schemas/creation-options-schema.ts';
import {
  GRAPH_EXCLUDE_IDS,
  GRAPH_USER_ID,
  GRAPH_USER_ID_BYTES,
  PADDING_DIGIT_IDS,
} from '../../vectors/dsinternals.ts';

const options = (excludeIds: string[]) =>
  creationOptionsSchema.parse({
    challengeTimeoutDateTime: '2024-06-13T11:26:35Z',
    publicKey: {
      rp: { id: 'login.microsoft.com', name: 'Microsoft' },
      user: { id: GRAPH_USER_ID, name: 'john@contoso.com', displayName: 'John Doe' },
      challenge: 'ZXlKaGJHY2lPaUpTVTBFdFQwRkZVQzB5TlRZaUxDSmxibU1pT2lKQk1qVTJSME5OSWl3aWVEVmpJanBi',
      pubKeyCredParams: [
        { type: 'public-key', alg: -7 },
        { type: 'public-key', alg: -257 },
      ],
      timeout: 60000,
      excludeCredentials: excludeIds.map((id) => ({ type: 'public-key', id, transports: [] })),
      authenticatorSelection: {
        authenticatorAttachment: 'cross-platform',
        requireResidentKey: true,
        userVerification: 'required',
      },
      attestation: 'direct',
      extensions: {
        hmacCreateSecret: true,
        enforceCredentialProtectionPolicy: true,
        credentialProtectionPolicy: 'userVerificationOptional',
      },
    },
  });

describe('decoding Graph creation options for the station', () => {
  it('decodes the DSInternals fixture: standard-base64 exclude ids, the user handle, the challenge verbatim', () => {
    const decoded = decodeCreationOptions(options(GRAPH_EXCLUDE_IDS.map((e) => e.text)));
    expect(decoded.rp).toEqual({ id: 'login.microsoft.com', name: 'Microsoft' });
    expect(decoded.user.id).toEqual(GRAPH_USER_ID_BYTES);
    expect(decoded.excludeCredentials.map((e) => e.id)).toEqual(
      GRAPH_EXCLUDE_IDS.map((e) => e.bytes),
    );
    expect(decoded.challenge).toBe(
      'ZXlKaGJHY2lPaUpTVTBFdFQwRkZVQzB5TlRZaUxDSmxibU1pT2lKQk1qVTJSME5OSWl3aWVEVmpJanBi',
    );
    expect(decoded).toMatchObject({
      requireResidentKey: true,
      userVerification: 'required',
      timeoutMs: 60000,
      expiresAt: '2024-06-13T11:26:35Z',
    });
    expect(decoded.extensions).toEqual({
      hmacCreateSecret: true,
      enforceCredentialProtectionPolicy: true,
      credentialProtectionPolicy: 'userVerificationOptional',
    });
  });

  it('decodes the padding-digit ids seen in real tenants, listing an ambiguous one both ways', () => {
    for (const id of PADDING_DIGIT_IDS) {
      const ids = decodeCreationOptions(options([id.text])).excludeCredentials.map((e) => e.id);
      expect(ids).toContainEqual(id.suffixReading);
    }
    const ambiguous = PADDING_DIGIT_IDS.find((id) => id.text.endsWith('Ss1'))!;
    expect(
      decodeCreationOptions(options([ambiguous.text])).excludeCredentials.map((e) => e.id),
    ).toEqual([ambiguous.plain, ambiguous.suffixReading]);
  });

  it('refuses an id that is not base64 in any form, quoting it', () => {
    let error: GraphError | undefined;
    try {
      decodeCreationOptions(options(['not*base64']));
    } catch (e) {
      error = e as GraphError;
    }
    expect(error?.code).toBe('INVALID_RESPONSE');
    expect(error?.message).toContain('excludeCredentials[0].id');
    expect(error?.message).toContain('not*base64');
  });
});
