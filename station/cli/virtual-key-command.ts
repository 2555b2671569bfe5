import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { CourierError } from '../../core/courier-error.ts';
import { serveVirtualKeyOverUdp } from '../virtual-key/udp-server.ts';
import type { UserPresenceMode } from '../virtual-key/user-presence.ts';
import { KEY_MODEL_NAMES } from '../virtual-key/key-model.ts';
import { VirtualKey } from '../virtual-key/virtual-key.ts';

const HELP = `Usage: station virtual-key --udp PORT [options]

Runs a software CTAP 2.1 security key that behaves like a YubiKey 5 (firmware 5.7), reachable
over HID-over-UDP (one 64-byte report per datagram) on 127.0.0.1. It answers each report to the
address it came from, so python-fido2, libfido2 or the station can drive it.

Options:
  --udp PORT            UDP port to listen on (convention: 8111; 0 picks a free one)
  --host ADDRESS        Address to bind (default 127.0.0.1)
  --model NAME          yubikey-5.7 (default), ctap20-pin1 (CTAP 2.0, PIN protocol 1 only, no
                        authenticatorConfig) or ctap21-no-config (CTAP 2.1 without authenticatorConfig)
  --serial N            Serial number READ_CONFIG reports (default: random 8 digits)
  --aaguid UUID         AAGUID (default: the software key's own)
  --state FILE          Keep PIN, credentials and settings in FILE (default: factory-fresh, in memory)
  --seed TEXT           Deterministic mode: keys and randomness derive from TEXT (tests only)
  --presence MODE       immediate (default) | never | on-demand | delay:MS
  --latency MS          Simulated processing time per CTAP2 command (default 0)
  --make-credential-latency MS
                        Extra time makeCredential takes (a YubiKey: about 300)
  --attestation-root    Print the attestation root certificate (PEM) and exit
  -h, --help            Show this help

While it runs, type on standard input:
  touch     touch the key (when it asks for a touch)
  remove    unplug it
  replug    plug it back in (opens the 10-second reset window)
  info      print its state
  quit      stop`;

export async function runVirtualKeyCommand(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        udp: { type: 'string' },
        host: { type: 'string', default: '127.0.0.1' },
        serial: { type: 'string' },
        model: { type: 'string', default: 'yubikey-5.7' },
        aaguid: { type: 'string' },
        state: { type: 'string' },
        seed: { type: 'string' },
        presence: { type: 'string', default: 'immediate' },
        latency: { type: 'string', default: '0' },
        'make-credential-latency': { type: 'string', default: '0' },
        'attestation-root': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (error) {
    console.error(`station virtual-key: ${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const problems: string[] = [];
  const port = values.udp === undefined ? undefined : Number(values.udp);
  if (
    !values['attestation-root'] &&
    (port === undefined || !Number.isInteger(port) || port < 0 || port > 65535)
  ) {
    problems.push('--udp PORT is required: a port number 0-65535 (e.g. --udp 8111).');
  }
  const serial = values.serial === undefined ? undefined : Number(values.serial);
  if (serial !== undefined && (!Number.isInteger(serial) || serial < 0 || serial > 0xffffffff)) {
    problems.push(`--serial must be a whole number up to 4294967295, got "${values.serial}".`);
  }
  const makeCredentialLatency = Number(values['make-credential-latency']);
  if (!Number.isInteger(makeCredentialLatency) || makeCredentialLatency < 0)
    problems.push(
      `--make-credential-latency must be milliseconds (0 or more), got "${values['make-credential-latency']}".`,
    );
  const model = KEY_MODEL_NAMES.find((name) => name === values.model);
  if (!model)
    problems.push(`--model must be one of ${KEY_MODEL_NAMES.join(', ')}, got "${values.model}".`);
  const latency = Number(values.latency);
  if (!Number.isInteger(latency) || latency < 0)
    problems.push(`--latency must be milliseconds (0 or more), got "${values.latency}".`);
  const presence = parsePresence(values.presence);
  if (!presence)
    problems.push(
      `--presence must be immediate, never, on-demand or delay:MS, got "${values.presence}".`,
    );
  if (problems.length > 0) {
    console.error(
      `station virtual-key: ${problems.join('\n  ')}\n\nRun "station virtual-key --help" for usage.`,
    );
    return 2;
  }

  let key: VirtualKey;
  try {
    key = await VirtualKey.create({
      ...(serial === undefined ? {} : { serial }),
      ...(model ? { model } : {}),
      ...(values.aaguid === undefined ? {} : { aaguid: values.aaguid }),
      ...(values.state === undefined ? {} : { statePath: values.state }),
      ...(values.seed === undefined ? {} : { seed: values.seed }),
      userPresence: presence!,
      latencyMs: latency,
      makeCredentialLatencyMs: makeCredentialLatency,
      onInternalError: (error) =>
        console.error(`software key fault: ${(error as Error).stack ?? String(error)}`),
    });
  } catch (error) {
    console.error(
      `station virtual-key: ${error instanceof CourierError ? error.message : String(error)}`,
    );
    return 1;
  }
  if (values['attestation-root']) {
    process.stdout.write(key.attestation.rootPem);
    return 0;
  }

  let server;
  try {
    server = await serveVirtualKeyOverUdp(key, { port: port!, host: values.host });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    console.error(
      code === 'EADDRINUSE'
        ? `station virtual-key: UDP port ${port} on ${values.host} is in use. Stop the other key or pick another port with --udp.`
        : `station virtual-key: cannot listen on udp://${values.host}:${port}: ${(error as Error).message}`,
    );
    return 1;
  }

  const info = key.info();
  console.log(`Software security key ready (${key.model.description})`);
  console.log(`  serial        ${key.serial}`);
  console.log(`  AAGUID        ${key.aaguid}`);
  console.log(`  firmware      ${key.firmware.major}.${key.firmware.minor}.${key.firmware.patch}`);
  console.log(
    `  PIN set       ${info.options.clientPin ? 'yes' : 'no'}   credentials ${100 - (info.remainingDiscoverableCredentials ?? 100)}`,
  );
  console.log(`  state         ${values.state ?? 'factory-fresh, in memory'}`);
  console.log(`  presence      ${values.presence}${latency > 0 ? `, latency ${latency} ms` : ''}`);
  console.log(`  listening     udp://${server.host}:${server.port}`);
  console.log('Type touch, remove, replug, info or quit.');

  key.on('touch-requested', () => console.log('key: blinking, waiting for a touch'));
  key.on('wink', () => console.log('key: wink'));

  return new Promise<number>((resolve) => {
    // Standard input may be closed (run in the background); the key keeps running until a signal.
    const lines = createInterface({ input: process.stdin, terminal: false });
    const stop = async (): Promise<void> => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      lines.close();
      // An open stdin pipe would keep the process alive after "quit".
      process.stdin.destroy();
      await server.close();
      resolve(0);
    };
    const onSignal = (): void => void stop();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    lines.on('line', (line) => {
      switch (line.trim()) {
        case 'touch':
          console.log(
            key.touch() ? 'key: touched' : 'key: touched, but it was not asking for a touch',
          );
          break;
        case 'remove':
          key.remove();
          void server.settled().then(() => console.log('key: removed'));
          break;
        case 'replug':
          key.replug();
          void server.settled().then(() => console.log('key: plugged in (reset allowed for 10 s)'));
          break;
        case 'info': {
          const now = key.info();
          console.log(
            `key: ${key.isPlugged ? 'plugged in' : 'removed'}, PIN ${now.options.clientPin ? 'set' : 'not set'}, ` +
              `minPINLength ${now.minPinLength}, forcePINChange ${now.forcePinChange}, ` +
              `credentials ${100 - (now.remainingDiscoverableCredentials ?? 100)}`,
          );
          break;
        }
        case 'quit':
          void stop();
          break;
        case '':
          break;
        default:
          console.log(`key: unknown input "${line.trim()}" (touch, remove, replug, info, quit)`);
      }
    });
  });
}

function parsePresence(text: string): UserPresenceMode | undefined {
  if (text === 'immediate' || text === 'never' || text === 'on-demand') return { kind: text };
  const delay = /^delay:(\d+)$/.exec(text);
  return delay ? { kind: 'delay', delayMs: Number(delay[1]) } : undefined;
}
