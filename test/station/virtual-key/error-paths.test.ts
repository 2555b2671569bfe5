import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthenticatorConfig } from '../../../station/ctap/authenticator-config.ts';
import { ClientPin } from '../../../station/ctap/client-pin.ts';
import { CtapError } from '../../../station/ctap/ctap-error.ts';
import { CtapStatus } from '../../../station/ctap/ctap-status.ts';
import type { Ctap2 } from '../../../station/ctap/ctap2.ts';
import { CtapHidError } from '../../../station/ctap/ctaphid-error.ts';
import { PinUvAuthTokenPermission as Perm } from '../../../station/ctap/pin-uv-auth-token-permission.ts';
import { Ctap2 as Ctap2Client } from '../../../station/ctap/ctap2.ts';
import { TransportError } from '../../../station/transport/transport-error.ts';
import {
  connectedKey,
  type ConnectedKey,
  type TransportKind,
} from '../../support/connected-key.ts';
import { SEQUENCE_RP as RP } from '../../../station/provision/ctap-sequence.ts';

const PIN = '246813579';
const CLIENT_DATA_HASH = createHash('sha256').update('challenge').digest();
const USER = { id: new Uint8Array(16).fill(9), name: 'lin@example.com', displayName: 'Lin' };

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

async function makeCredential(
  ctap: Ctap2,
  pin: ClientPin | undefined,
  options: { excludeList?: Uint8Array[]; signal?: AbortSignal } = {},
) {
  const info = await ctap.getInfo();
  const token = pin
    ? await pin.getToken(info, PIN, Perm.MAKE_CREDENTIAL | Perm.GET_ASSERTION, RP.id)
    : undefined;
  return ctap.makeCredential(
    {
      clientDataHash: CLIENT_DATA_HASH,
      rp: RP,
      user: USER,
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
      options: { rk: true },
      ...(options.excludeList
        ? { excludeList: options.excludeList.map((id) => ({ type: 'public-key', id })) }
        : {}),
      ...(token
        ? {
            pinUvAuthParam: token.authenticate(CLIENT_DATA_HASH),
            pinUvAuthProtocol: token.protocol.version,
          }
        : {}),
    },
    options.signal ? { signal: options.signal } : {},
  );
}

describe.each(['memory', 'udp'] as const)(
  'typed errors over the %s transport',
  (transport: TransportKind) => {
    let session: ConnectedKey | undefined;
    afterEach(async () => {
      await session?.close();
      session = undefined;
    });

    async function withPin(
      keyOptions = {},
      deviceOptions = {},
    ): Promise<{ session: ConnectedKey; pin: ClientPin }> {
      session = await connectedKey(transport, keyOptions, deviceOptions);
      const pin = ClientPin.forInfo(session.ctap, await session.ctap.getInfo());
      await pin.setPin(PIN);
      return { session, pin };
    }

    it('a wrong PIN is PIN_INVALID and costs one retry; the right one restores all eight', async () => {
      const { pin } = await withPin();
      const error = await rejection(pin.getPinToken('13579246'));
      expect(error).toBeInstanceOf(CtapError);
      expect((error as CtapError).code).toBe('PIN_INVALID');
      expect((error as CtapError).command).toBe('clientPIN/getPinToken');
      expect((await pin.getRetries()).retries).toBe(7);
      await pin.getPinToken(PIN);
      expect((await pin.getRetries()).retries).toBe(8);
    });

    it('three wrong PINs block PIN entry until re-plug; eight block the PIN for good', async () => {
      const { session: s, pin } = await withPin();
      for (const expected of [
        'PIN_INVALID',
        'PIN_INVALID',
        'PIN_AUTH_BLOCKED',
        'PIN_AUTH_BLOCKED',
      ]) {
        expect(((await rejection(pin.getPinToken('00000000'))) as CtapError).code).toBe(expected);
      }
      // Blocked for this power cycle, and no retry was spent by the fourth attempt.
      expect(await pin.getRetries()).toEqual({ retries: 5, powerCycleState: true });
      for (let round = 0; round < 2; round++) {
        s.key.replug();
        const device = await s.connect();
        const again = ClientPin.forInfo(
          new Ctap2Client(device),
          await new Ctap2Client(device).getInfo(),
        );
        const codes = [];
        for (let i = 0; i < 3; i++)
          codes.push(((await rejection(again.getPinToken('00000000'))) as CtapError).code);
        if (round === 0) expect(codes).toEqual(['PIN_INVALID', 'PIN_INVALID', 'PIN_AUTH_BLOCKED']);
        else expect(codes).toEqual(['PIN_INVALID', 'PIN_BLOCKED', 'PIN_BLOCKED']);
      }
      s.key.replug();
      const device = await s.connect();
      const ctap = new Ctap2Client(device);
      const last = ClientPin.forInfo(ctap, await ctap.getInfo());
      const blocked = (await rejection(last.getPinToken(PIN))) as CtapError;
      expect(blocked.code).toBe('PIN_BLOCKED');
      expect(blocked.message).toMatch(/must be reset/);
    });

    it('a PIN shorter than the minimum, or a lowered minimum, is PIN_POLICY_VIOLATION', async () => {
      session = await connectedKey(transport);
      const info = await session.ctap.getInfo();
      const pin = ClientPin.forInfo(session.ctap, info);
      expect(((await rejection(pin.setPin('123'))) as CtapError).code).toBe('PIN_POLICY_VIOLATION');
      await pin.setPin(PIN);
      let token = await pin.getToken(info, PIN, Perm.AUTHENTICATOR_CONFIG);
      await new AuthenticatorConfig(session.ctap, token).setMinPinLength({ minPinLength: 8 });
      token = await pin.getToken(info, PIN, Perm.AUTHENTICATOR_CONFIG);
      const lowered = (await rejection(
        new AuthenticatorConfig(session.ctap, token).setMinPinLength({ minPinLength: 6 }),
      )) as CtapError;
      expect(lowered.status).toBe(CtapStatus.PIN_POLICY_VIOLATION);
      expect(((await rejection(pin.changePin(PIN, '1234567'))) as CtapError).code).toBe(
        'PIN_POLICY_VIOLATION',
      );
      expect((await session.ctap.getInfo()).minPinLength).toBe(8);
    });

    it('raising the minimum above the PIN forces a change, and the same PIN is refused as the new one', async () => {
      const { session: s, pin } = await withPin();
      const info = await s.ctap.getInfo();
      const token = await pin.getToken(info, PIN, Perm.AUTHENTICATOR_CONFIG);
      await new AuthenticatorConfig(s.ctap, token).setMinPinLength({ minPinLength: 10 });
      expect((await s.ctap.getInfo()).forcePinChange).toBe(true);
      expect(
        ((await rejection(pin.getToken(info, PIN, Perm.GET_ASSERTION, RP.id))) as CtapError).code,
      ).toBe('PIN_POLICY_VIOLATION');
      expect(((await rejection(pin.getPinToken(PIN))) as CtapError).code).toBe('PIN_INVALID');
      expect(((await rejection(pin.changePin(PIN, '975312468'))) as CtapError).code).toBe(
        'PIN_POLICY_VIOLATION',
      );
      await pin.changePin(PIN, '9753124680');
      expect((await s.ctap.getInfo()).forcePinChange).toBe(false);

      const again = await pin.getToken(info, '9753124680', Perm.AUTHENTICATOR_CONFIG);
      await new AuthenticatorConfig(s.ctap, again).setMinPinLength({ forceChangePin: true });
      expect(((await rejection(pin.changePin('9753124680', '9753124680'))) as CtapError).code).toBe(
        'PIN_POLICY_VIOLATION',
      );
      expect((await s.ctap.getInfo()).forcePinChange).toBe(true);
    });

    it('a key that already holds the credential answers CREDENTIAL_EXCLUDED', async () => {
      const { session: s, pin } = await withPin();
      const first = await makeCredential(s.ctap, pin);
      const id = first.authenticatorData.attestedCredentialData!.credentialId;
      const error = (await rejection(
        makeCredential(s.ctap, pin, { excludeList: [new Uint8Array(64).fill(1), id] }),
      )) as CtapError;
      expect(error.code).toBe('CREDENTIAL_EXCLUDED');
      expect(error.message).toMatch(/already holds a credential/);
    });

    it('a touch that never comes is USER_ACTION_TIMEOUT', async () => {
      const { session: s, pin } = await withPin({
        userPresence: { kind: 'never' },
        userPresenceTimeoutMs: 300,
      });
      const error = (await rejection(makeCredential(s.ctap, pin))) as CtapError;
      expect(error.code).toBe('USER_ACTION_TIMEOUT');
      expect(error.message).toMatch(/Touch the key/);
    });

    it('aborting while the key waits for a touch sends CANCEL and ends in CANCELLED', async () => {
      const { session: s, pin } = await withPin({ userPresence: { kind: 'on-demand' } });
      const abort = new AbortController();
      s.key.once('touch-requested', () => abort.abort(new Error('operator cancelled')));
      const error = (await rejection(
        makeCredential(s.ctap, pin, { signal: abort.signal }),
      )) as TransportError;
      expect(error).toBeInstanceOf(TransportError);
      expect(error.code).toBe('CANCELLED');
      // The key confirmed with KEEPALIVE_CANCEL; no credential was stored.
      expect(s.key.snapshot().credentials).toHaveLength(0);
      expect((await s.ctap.getInfo()).options.clientPin).toBe(true);
    });

    it('a key removed in the middle of a command gives DEVICE_REMOVED, not a hang', async () => {
      const { session: s, pin } = await withPin(
        { userPresence: { kind: 'on-demand' } },
        { silenceTimeoutMs: 400 },
      );
      s.key.once('touch-requested', () => s.key.remove());
      const started = Date.now();
      const error = (await rejection(makeCredential(s.ctap, pin))) as TransportError;
      expect(error).toBeInstanceOf(TransportError);
      expect(error.code).toBe('DEVICE_REMOVED');
      expect(Date.now() - started).toBeLessThan(5_000);
    });

    it('another host gets CHANNEL_BUSY while the key waits for a touch', async () => {
      const { session: s, pin } = await withPin({ userPresence: { kind: 'on-demand' } });
      const other = await s.connect({ callTimeoutMs: 300, busyRetryMs: 50 });
      const pending = makeCredential(s.ctap, pin);
      await new Promise<void>((resolve) => s.key.once('touch-requested', () => resolve()));
      const busy = await rejection(other.ping(Uint8Array.of(1, 2, 3)));
      expect(busy).toBeInstanceOf(CtapHidError);
      expect((busy as CtapHidError).code).toBe('CHANNEL_BUSY');
      s.key.touch();
      await pending;
      expect(await other.ping(Uint8Array.of(1, 2, 3))).toEqual(Uint8Array.of(1, 2, 3));
    });

    it('reset is refused outside the 10-second window and needs a touch inside it', async () => {
      let now = 1_000_000;
      const { session: s } = await withPin({
        now: () => now,
        userPresence: { kind: 'never' },
        userPresenceTimeoutMs: 200,
      });
      now += 10_001;
      expect(((await rejection(s.ctap.reset())) as CtapError).code).toBe('NOT_ALLOWED');
      s.key.replug();
      const device = await s.connect();
      const ctap = new Ctap2Client(device);
      expect(((await rejection(ctap.reset())) as CtapError).code).toBe('USER_ACTION_TIMEOUT');
      s.key.presence.mode = { kind: 'immediate' };
      await ctap.reset();
      const info = await ctap.getInfo();
      expect(info.options.clientPin).toBe(false);
      expect(info.minPinLength).toBe(4);
    });
  },
);
