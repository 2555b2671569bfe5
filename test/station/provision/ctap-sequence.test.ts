import { createHash, X509Certificate } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { concatBytes } from '../../../core/bytes.ts';
import { verifyCoseSignature } from '../../../core/webauthn/cose-key.ts';
import {
  AuthenticatorDataFlag,
  parseAuthenticatorData,
} from '../../../core/webauthn/authenticator-data.ts';
import { formatAaguid } from '../../../core/webauthn/aaguid.ts';
import { readYubiKeyDeviceInfo } from '../../../station/ctap/yubikey-device-info.ts';
import { connectedKey, type ConnectedKey } from '../../support/connected-key.ts';
import { SEQUENCE_RP as RP, runCtapSequence } from '../../../station/provision/ctap-sequence.ts';

describe.each(['memory', 'udp'] as const)(
  'the per-key sequence over the %s transport',
  (transport) => {
    let session: ConnectedKey | undefined;
    afterEach(async () => {
      await session?.close();
      session = undefined;
    });

    it('programs a factory-fresh key: PIN, minimum length, credential, sign-in, forced change', async () => {
      session = await connectedKey(transport, { serial: 31337042 });
      const { infoBefore, credential, assertion, infoAfter } = await runCtapSequence(
        session,
        '58203947',
      );

      expect(infoBefore.options.clientPin).toBe(false);
      expect(infoBefore.versions).toEqual(expect.arrayContaining(['FIDO_2_0', 'FIDO_2_1']));
      expect(infoBefore.pinUvAuthProtocols).toEqual([2, 1]);

      const authData = credential.authenticatorData;
      expect(credential.fmt).toBe('packed');
      expect(authData.rpIdHash).toEqual(
        new Uint8Array(createHash('sha256').update(RP.id).digest()),
      );
      expect(
        authData.flags &
          (AuthenticatorDataFlag.UP | AuthenticatorDataFlag.UV | AuthenticatorDataFlag.AT),
      ).toBe(0x45);
      expect(Object.fromEntries(authData.extensions!)).toEqual({
        credProtect: 1,
        'hmac-secret': true,
      });
      expect(formatAaguid(authData.attestedCredentialData!.aaguid)).toBe(session.key.aaguid);

      // Packed attestation: the batch certificate signed authData ‖ clientDataHash and chains to the key's root.
      const x5c = credential.attStmt.get('x5c') as Uint8Array[];
      const leaf = new X509Certificate(Buffer.from(x5c[0]!));
      expect(leaf.verify(new X509Certificate(session.key.attestation.rootPem).publicKey)).toBe(
        true,
      );
      expect(leaf.subject).toContain('OU=Authenticator Attestation');
      expect(credential.attStmt.get('alg')).toBe(-7);

      // The assertion verifies with the credential's public key and shows presence and verification.
      const clientDataHash = createHash('sha256').update(assertion.clientDataJSON).digest();
      const assertionData = parseAuthenticatorData(assertion.authenticatorData);
      expect(assertionData.flags & 0x05).toBe(0x05);
      expect(assertionData.signCount).toBeGreaterThan(authData.signCount);
      expect(
        verifyCoseSignature(
          authData.attestedCredentialData!.publicKey,
          concatBytes([assertion.authenticatorData, clientDataHash]),
          assertion.signature,
        ),
      ).toBe(true);

      expect(infoAfter.forcePinChange).toBe(true);
      expect(infoAfter.minPinLength).toBe(8);
      expect(infoAfter.options.clientPin).toBe(true);
      expect(infoAfter.remainingDiscoverableCredentials).toBe(99);

      const deviceInfo = await readYubiKeyDeviceInfo(session.device);
      expect(deviceInfo?.serial).toBe(31337042);
      expect(deviceInfo?.version).toEqual({ major: 5, minor: 7, patch: 4 });
      expect(session.device.deviceVersion).toEqual({ major: 5, minor: 7, build: 4 });
    });
  },
);
