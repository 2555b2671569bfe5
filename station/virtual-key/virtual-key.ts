import { EventEmitter } from 'node:events';
import { parseAaguid, formatAaguid } from '../../core/webauthn/aaguid.ts';
import type { AuthenticatorInfo } from '../ctap/authenticator-info.ts';
import { CtapHidCapability } from '../ctap/ctaphid-constants.ts';
import { CtapStatus } from '../ctap/ctap-status.ts';
import { Ctap2Command } from '../ctap/ctap2-command.ts';
import {
  YUBIKEY_READ_CONFIG,
  YubiKeyInfoTag,
  encodeDeviceInfo,
} from '../ctap/yubikey-device-info.ts';
import type { InMemoryHidDevice, InMemoryHost } from '../transport/in-memory-transport.ts';
import { TransportError } from '../transport/transport-error.ts';
import {
  issueAttestationIdentity,
  issueEnterpriseAttestationIdentity,
  type AttestationIdentity,
} from './attestation-authority.ts';
import { Authenticator } from './authenticator.ts';
import { AuthenticatorCore, type AuthenticatorProfile } from './authenticator-core.ts';
import { CtapHidEndpoint, type ReplyFn } from './ctaphid-endpoint.ts';
import { KEY_MODELS, type KeyModel, type KeyModelName } from './key-model.ts';
import { factoryState, loadKeyState, saveKeyState, type KeyState } from './key-state.ts';
import { seededRandom, systemRandom, type RandomSource } from './random-source.ts';
import { UserPresence, type UserPresenceMode } from './user-presence.ts';

/** The AAGUID software keys report unless told otherwise; it is not a real product's. */
export const VIRTUAL_KEY_AAGUID = '6e8b3c2a-5d1f-4f7e-9a0c-2b4d6f8a1c3e';

export interface VirtualKeyOptions {
  /** Which model to behave like (capabilities, default AAGUID and firmware); default yubikey-5.7. */
  model?: KeyModelName;
  /** Serial number reported by READ_CONFIG; random 8 digits by default. */
  serial?: number;
  aaguid?: string;
  firmware?: { major: number; minor: number; patch: number };
  /** Deterministic mode: all keys and randomness derive from this seed. For tests. */
  seed?: string;
  userPresence?: UserPresenceMode;
  /** How long a touch is waited for (YubiKey: 30 s). */
  userPresenceTimeoutMs?: number;
  /** Simulated processing time of each CTAP2 command. */
  latencyMs?: number;
  /** Extra time makeCredential takes (key generation and attestation; a YubiKey: ~300 ms). */
  makeCredentialLatencyMs?: number;
  /** Persist the key's state here; without it the key starts factory-fresh and forgets on exit. */
  statePath?: string;
  resetWindowMs?: number;
  keepaliveIntervalMs?: number;
  /** Makes the key capable of vendor-facilitated enterprise attestation for these RP IDs. */
  enterpriseAttestationRpIds?: string[];
  /** Clock, for tests that need to pass time (token expiry, reset window). */
  now?: () => number;
  /** Software-key faults (bugs), reported rather than hidden. */
  onInternalError?: (error: unknown) => void;
}

export interface VirtualKeyEvents {
  'touch-requested': [];
  'touch-settled': [string];
  wink: [];
  removed: [];
  inserted: [];
}

/**
 * A software CTAP 2.1 security key that behaves like a YubiKey 5 with firmware 5.7: CTAPHID
 * framing, PIN protocols 1 and 2, packed attestation from its own CA, resident credentials,
 * authenticatorConfig and credential management, READ_CONFIG for its serial. It can be "plugged
 * in" (reset window opens, volatile state clears), removed, and touched.
 */
export class VirtualKey extends EventEmitter<VirtualKeyEvents> implements InMemoryHidDevice {
  readonly serial: number;
  readonly aaguid: string;
  readonly firmware: { major: number; minor: number; patch: number };
  readonly model: KeyModel;
  readonly attestation: AttestationIdentity;
  readonly presence: UserPresence;
  readonly label: string;
  private readonly core: AuthenticatorCore;
  private readonly authenticator: Authenticator;
  private readonly endpoint: CtapHidEndpoint;
  private readonly hosts = new Set<InMemoryHost>();
  private readonly latencyMs: number;
  private plugged = true;
  private winks = 0;

  private constructor(init: {
    options: VirtualKeyOptions;
    state: KeyState;
    random: RandomSource;
    attestation: AttestationIdentity;
    save: (state: KeyState) => Promise<void>;
  }) {
    super();
    const { options, state, random, attestation } = init;
    this.serial = state.serial;
    this.aaguid = formatAaguid(state.aaguid);
    const model = KEY_MODELS[options.model ?? 'yubikey-5.7'];
    this.model = model;
    this.firmware = options.firmware ?? model.firmware;
    this.attestation = attestation;
    this.label = `software-key-${this.serial}`;
    this.latencyMs = options.latencyMs ?? 0;
    const now = options.now ?? Date.now;
    this.presence = new UserPresence(
      options.userPresence ?? { kind: 'immediate' },
      options.userPresenceTimeoutMs ?? 30_000,
    );
    this.presence.on('waiting', () => this.emit('touch-requested'));
    this.presence.on('settled', (outcome) => this.emit('touch-settled', outcome));
    const profile: AuthenticatorProfile = {
      firmware: this.firmware,
      maxResidentCredentials: 100,
      maxMsgSize: 1200,
      maxCredentialCountInList: 8,
      maxCredentialIdLength: 128,
      maxRpIdsForSetMinPinLength: 1,
      resetWindowMs: options.resetWindowMs ?? 10_000,
      enterpriseAttestationRpIds: options.enterpriseAttestationRpIds,
      model,
    };
    let enterprise: Promise<AttestationIdentity> | undefined;
    this.core = new AuthenticatorCore({
      state,
      profile,
      random,
      now,
      attestation,
      issueEnterpriseAttestation: () =>
        (enterprise ??= issueEnterpriseAttestationIdentity(state.aaguid, state.serial)),
      save: () => init.save(this.core.state),
    });
    this.authenticator = new Authenticator(this.core, options.onInternalError);
    this.endpoint = new CtapHidEndpoint(
      {
        cbor: async (payload, ctx) => {
          const latency =
            this.latencyMs +
            (payload[0] === Ctap2Command.MAKE_CREDENTIAL
              ? (options.makeCredentialLatencyMs ?? 0)
              : 0);
          if (latency > 0 && !(await sleep(latency, ctx.signal)))
            return Uint8Array.of(CtapStatus.KEEPALIVE_CANCEL);
          return this.authenticator.process(payload, {
            signal: ctx.signal,
            requestPresence: async () => {
              ctx.setTouchNeeded(true);
              try {
                return await this.presence.request(ctx.signal);
              } finally {
                ctx.setTouchNeeded(false);
              }
            },
          });
        },
        vendor: (command) =>
          command === YUBIKEY_READ_CONFIG && model.yubikeyDeviceInfo
            ? this.deviceInfo()
            : undefined,
        wink: () => {
          this.winks += 1;
          this.emit('wink');
        },
      },
      {
        version: {
          major: this.firmware.major,
          minor: this.firmware.minor,
          build: this.firmware.patch,
        },
        capabilities: CtapHidCapability.WINK | CtapHidCapability.CBOR | CtapHidCapability.NMSG,
        random,
        ...(options.keepaliveIntervalMs === undefined
          ? {}
          : { keepaliveIntervalMs: options.keepaliveIntervalMs }),
      },
    );
  }

  /** Creates a key: from its state file if there is one, factory-fresh otherwise. */
  static async create(options: VirtualKeyOptions = {}): Promise<VirtualKey> {
    const random = options.seed === undefined ? systemRandom : seededRandom(options.seed);
    let state = options.statePath ? await loadKeyState(options.statePath) : undefined;
    if (!state) {
      const serial =
        options.serial ?? 10_000_000 + (new DataView(random(4).buffer).getUint32(0) % 90_000_000);
      const aaguid = options.aaguid ?? KEY_MODELS[options.model ?? 'yubikey-5.7'].aaguid;
      state = factoryState(serial, parseAaguid(aaguid), random);
    }
    const attestation = await issueAttestationIdentity(state.aaguid);
    const statePath = options.statePath;
    let writing = Promise.resolve();
    const save = (current: KeyState): Promise<void> => {
      if (!statePath) return Promise.resolve();
      // Writes are chained so a later state never lands before an earlier one.
      writing = writing.then(() => saveKeyState(statePath, current));
      return writing;
    };
    const key = new VirtualKey({ options, state, random, attestation, save });
    await save(state);
    return key;
  }

  /** The in-memory transport's way in (see openInMemoryConnection). */
  attach(host: InMemoryHost): { send(report: Uint8Array): void; detach(): void } {
    if (!this.plugged) throw new TransportError('NO_DEVICE', `${this.label} is not plugged in.`);
    this.hosts.add(host);
    return {
      send: (report) => this.receive(report, (answer) => host.deliver(answer)),
      detach: () => this.hosts.delete(host),
    };
  }

  /** One report from a host; answers go to `reply` (used by the UDP server and in-memory hosts). */
  receive(report: Uint8Array, reply: ReplyFn): void {
    if (this.plugged) this.endpoint.receive(report, reply);
  }

  get isPlugged(): boolean {
    return this.plugged;
  }

  /** Unplugs the key: the running command is lost, and every host sees it disappear. */
  remove(): void {
    if (!this.plugged) return;
    this.plugged = false;
    this.presence.cancelPending();
    this.endpoint.powerDown();
    for (const host of [...this.hosts]) host.removed();
    this.hosts.clear();
    this.emit('removed');
  }

  /** Re-plugs the key: a new power cycle, which opens the 10-second reset window. */
  replug(): void {
    this.remove();
    this.plugged = true;
    this.core.powerUp();
    this.endpoint.powerUp();
    this.emit('inserted');
  }

  /** The person touches the key; false when it was not asking for a touch. */
  touch(): boolean {
    return this.presence.touch();
  }

  get winkCount(): number {
    return this.winks;
  }

  /** getInfo as the key would answer it now. */
  info(): AuthenticatorInfo {
    return this.authenticator.info();
  }

  /** A copy of the persistent state, for tests and diagnostics. */
  snapshot(): KeyState {
    return structuredClone(this.core.state);
  }

  private deviceInfo(): Uint8Array {
    const serial = new Uint8Array(4);
    new DataView(serial.buffer).setUint32(0, this.serial);
    return encodeDeviceInfo([
      [YubiKeyInfoTag.USB_SUPPORTED, Uint8Array.of(0x02, 0x00)], // FIDO2 only
      [YubiKeyInfoTag.SERIAL, serial],
      [YubiKeyInfoTag.USB_ENABLED, Uint8Array.of(0x02, 0x00)],
      [YubiKeyInfoTag.FORM_FACTOR, Uint8Array.of(0x01)], // USB-A keychain
      [
        YubiKeyInfoTag.VERSION,
        Uint8Array.of(this.firmware.major, this.firmware.minor, this.firmware.patch),
      ],
      [YubiKeyInfoTag.DEVICE_FLAGS, Uint8Array.of(0x00)],
      [YubiKeyInfoTag.CONFIG_LOCK, Uint8Array.of(0x00)],
    ]);
  }
}

/** Sleeps unless `signal` aborts first; resolves false when aborted. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
