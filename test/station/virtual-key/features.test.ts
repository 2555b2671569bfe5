import { createHash, X509Certificate } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthenticatorConfig } from '../../../station/ctap/authenticator-config.ts';
import { ClientPin } from '../../../station/ctap/client-pin.ts';
import { CredentialManagement } from '../../../station/ctap/credential-management.ts';
import type { CtapError } from '../../../station/ctap/ctap-error.ts';
import type { Ctap2 } from '../../../station/ctap/ctap2.ts';
import { PinUvAuthTokenPermission as Perm } from '../../../station/ctap/pin-uv-auth-token-permission.ts';
import {
  SERIAL_NUMBER_EXTENSION_OID,
  VIRTUAL_ATTESTATION_ROOT_PEM,
} from '../../../station/virtual-key/attestation-authority.ts';
import { connectedKey, type ConnectedKey } from '../../support/connected-key.ts';

const PIN = '64209753';
const HASH = createHash('sha256').update('client data').digest();

let session: ConnectedKey | undefined;
afterEach(async () => {
  await session?.close();
  session = undefined;
});

async function setUp(keyOptions = {}): Promise<{ ctap: Ctap2; pin: ClientPin }> {
  session = await connectedKey('memory', keyOptions);
  const pin = ClientPin.forInfo(session.ctap, await session.ctap.getInfo());
  await pin.setPin(PIN);
  return { ctap: session.ctap, pin };
}

async function register(
  ctap: Ctap2,
  pin: ClientPin,
  rpId: string,
  userId: number,
  extra: { credProtect?: number; rk?: boolean } = {},
) {
  const info = await ctap.getInfo();
  const token = await pin.getToken(info, PIN, Perm.MAKE_CREDENTIAL, rpId);
  const made = await ctap.makeCredential({
    clientDataHash: HASH,
    rp: { id: rpId, name: rpId.toUpperCase() },
    user: {
      id: Uint8Array.of(userId),
      name: `user${userId}@${rpId}`,
      displayName: `User ${userId}`,
    },
    pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
    options: { rk: extra.rk ?? true },
    ...(extra.credProtect ? { extensions: { credProtect: extra.credProtect } } : {}),
    pinUvAuthParam: token.authenticate(HASH),
    pinUvAuthProtocol: token.protocol.version,
  });
  return made.authenticatorData.attestedCredentialData!.credentialId;
}

describe('the software key, feature by feature', () => {
  it('lists, updates and deletes discoverable credentials through credential management', async () => {
    const { ctap, pin } = await setUp();
    const a = await register(ctap, pin, 'login.microsoft.com', 1);
    await register(ctap, pin, 'login.microsoft.com', 2);
    await register(ctap, pin, 'example.com', 3);
    const info = await ctap.getInfo();
    const manager = new CredentialManagement(
      ctap,
      await pin.getToken(info, PIN, Perm.CREDENTIAL_MANAGEMENT),
    );
    expect(await manager.getMetadata()).toEqual({
      existingResidentCredentialsCount: 3,
      maxPossibleRemainingResidentCredentialsCount: 97,
    });
    const rps = await manager.enumerateRps();
    expect(rps.map((r) => r.rp.id).sort()).toEqual(['example.com', 'login.microsoft.com']);
    const microsoft = rps.find((r) => r.rp.id === 'login.microsoft.com')!;
    const credentials = await manager.enumerateCredentials(microsoft.rpIdHash);
    expect(credentials.map((c) => c.user.name).sort()).toEqual([
      'user1@login.microsoft.com',
      'user2@login.microsoft.com',
    ]);
    expect(credentials.every((c) => c.credProtect === 1 && c.publicKey.kty === 2)).toBe(true);

    await manager.updateUserInformation(
      { type: 'public-key', id: a },
      { id: Uint8Array.of(1), name: 'renamed@contoso.example' },
    );
    const updated = (await manager.enumerateCredentials(microsoft.rpIdHash)).find(
      (c) => c.user.id[0] === 1,
    )!;
    expect(updated.user).toEqual({ id: Uint8Array.of(1), name: 'renamed@contoso.example' });

    await manager.deleteCredential({ type: 'public-key', id: a });
    expect((await manager.getMetadata()).existingResidentCredentialsCount).toBe(2);
    const missing = await manager
      .deleteCredential({ type: 'public-key', id: a })
      .catch((e: unknown) => e);
    expect((missing as CtapError).code).toBe('NO_CREDENTIALS');
  });

  it('hides credProtect 2 and 3 credentials from an unverified discovery', async () => {
    const { ctap, pin } = await setUp();
    await register(ctap, pin, 'example.com', 1, { credProtect: 1 });
    const listed = await register(ctap, pin, 'example.com', 2, { credProtect: 2 });
    await register(ctap, pin, 'example.com', 3, { credProtect: 3 });
    const unverified = await ctap.getAssertion({ rpId: 'example.com', clientDataHash: HASH });
    expect(unverified.user?.id).toEqual(Uint8Array.of(1));
    expect(unverified.numberOfCredentials).toBeUndefined();
    const byId = await ctap.getAssertion({
      rpId: 'example.com',
      clientDataHash: HASH,
      allowList: [{ type: 'public-key', id: listed }],
    });
    expect(byId.credential?.id).toEqual(listed);

    const info = await ctap.getInfo();
    const token = await pin.getToken(info, PIN, Perm.GET_ASSERTION, 'example.com');
    const first = await ctap.getAssertion({
      rpId: 'example.com',
      clientDataHash: HASH,
      pinUvAuthParam: token.authenticate(HASH),
      pinUvAuthProtocol: 2,
    });
    expect(first.numberOfCredentials).toBe(3);
    const users = [
      first.user,
      (await ctap.getNextAssertion()).user,
      (await ctap.getNextAssertion()).user,
    ];
    expect(users.map((u) => u?.id[0])).toEqual([3, 2, 1]); // newest first
    expect(users[0]?.displayName).toBe('User 3'); // names only after verification, with several accounts
    expect(((await ctap.getNextAssertion().catch((e: unknown) => e)) as CtapError).code).toBe(
      'NOT_ALLOWED',
    );
  });

  it('with alwaysUv on, even a non-discoverable credential needs the PIN', async () => {
    const { ctap, pin } = await setUp();
    const info = await ctap.getInfo();
    await new AuthenticatorConfig(
      ctap,
      await pin.getToken(info, PIN, Perm.AUTHENTICATOR_CONFIG),
    ).toggleAlwaysUv();
    const after = await ctap.getInfo();
    expect(after.options.alwaysUv).toBe(true);
    expect(after.options.makeCredUvNotRqd).toBe(false);
    const refused = await ctap
      .makeCredential({
        clientDataHash: HASH,
        rp: { id: 'example.com' },
        user: { id: Uint8Array.of(5) },
        pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
      })
      .catch((e: unknown) => e);
    expect((refused as CtapError).code).toBe('PUAT_REQUIRED');
  });

  it('holds at most 100 discoverable credentials', async () => {
    const { ctap, pin } = await setUp();
    for (let user = 0; user < 100; user++) await register(ctap, pin, 'example.com', user);
    expect((await ctap.getInfo()).remainingDiscoverableCredentials).toBe(0);
    const full = await register(ctap, pin, 'example.com', 200).catch((e: unknown) => e);
    expect((full as CtapError).code).toBe('KEY_STORE_FULL');
    // The same user on the same RP replaces its credential instead of needing a slot.
    await register(ctap, pin, 'example.com', 7);
  });

  it('gives enterprise attestation, with the serial in the certificate, once enabled', async () => {
    const { ctap, pin } = await setUp({
      serial: 24681357,
      enterpriseAttestationRpIds: ['login.microsoft.com'],
    });
    const info = await ctap.getInfo();
    expect(info.options.ep).toBe(false);
    const mcToken = await pin.getToken(info, PIN, Perm.MAKE_CREDENTIAL, 'login.microsoft.com');
    const before = await ctap
      .makeCredential({
        clientDataHash: HASH,
        rp: { id: 'login.microsoft.com' },
        user: { id: Uint8Array.of(1) },
        pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
        enterpriseAttestation: 1,
        pinUvAuthParam: mcToken.authenticate(HASH),
        pinUvAuthProtocol: 2,
      })
      .catch((e: unknown) => e);
    expect((before as CtapError).code).toBe('INVALID_PARAMETER');

    await new AuthenticatorConfig(
      ctap,
      await pin.getToken(info, PIN, Perm.AUTHENTICATOR_CONFIG),
    ).enableEnterpriseAttestation();
    expect((await ctap.getInfo()).options.ep).toBe(true);
    const token = await pin.getToken(info, PIN, Perm.MAKE_CREDENTIAL, 'login.microsoft.com');
    const made = await ctap.makeCredential({
      clientDataHash: HASH,
      rp: { id: 'login.microsoft.com' },
      user: { id: Uint8Array.of(1) },
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
      enterpriseAttestation: 1,
      pinUvAuthParam: token.authenticate(HASH),
      pinUvAuthProtocol: 2,
    });
    expect(made.epAtt).toBe(true);
    const certificate = new X509Certificate(
      Buffer.from((made.attStmt.get('x5c') as Uint8Array[])[0]!),
    );
    expect(certificate.subject).toContain('CN=Passkey Courier Software Key 24681357');
    expect(certificate.raw.includes(Buffer.from('24681357'))).toBe(true);
    expect(SERIAL_NUMBER_EXTENSION_OID).toBe('1.3.6.1.4.1.45724.1.1.2');
  });

  it('chains every software key to the one published attestation root', async () => {
    session = await connectedKey('memory');
    const other = await connectedKey('memory', { aaguid: 'cb69481e-8ff7-4039-93ec-0a2729a154a8' });
    try {
      const published = new X509Certificate(VIRTUAL_ATTESTATION_ROOT_PEM);
      for (const key of [session.key, other.key]) {
        expect(new X509Certificate(key.attestation.rootPem).raw.equals(published.raw)).toBe(true);
        expect(
          new X509Certificate(Buffer.from(key.attestation.certificate)).verify(published.publicKey),
        ).toBe(true);
      }
    } finally {
      await other.close();
    }
  });

  it('in deterministic mode, the same seed gives the same key, ids and serial', async () => {
    const ids: Uint8Array[] = [];
    for (let run = 0; run < 2; run++) {
      const { ctap, pin } = await setUp({ seed: 'test seed 1' });
      ids.push(await register(ctap, pin, 'example.com', 1));
      await session!.close();
      session = undefined;
    }
    expect(ids[0]).toEqual(ids[1]);
  });

  it('simulated latency keeps the host informed with PROCESSING keepalives', async () => {
    session = await connectedKey('memory', {
      latencyMs: 350,
      userPresence: { kind: 'delay', delayMs: 150 },
    });
    const states: string[] = [];
    const started = Date.now();
    await session.ctap.selection({ onKeepalive: (state) => states.push(state) });
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    expect(states).toEqual(['processing', 'touch-needed', 'processing']);
  });
});
