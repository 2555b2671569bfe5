import { Command, CommanderError, Option } from 'commander';
import { CourierError } from '../../core/courier-error.ts';
import { guidedReset } from '../provision/guided-reset.ts';
import { readKeyProfile } from '../provision/key-profile.ts';
import { openKey, type OpenKey } from '../provision/key-slot.ts';
import { hidSlot } from '../provision/key-slots.ts';
import { keyName } from '../provision/provision-key.ts';
import { StationApiError } from '../service/station-api-error.ts';
import { listFidoDevices } from '../transport/node-hid-transport.ts';
import { runBulkDirect } from './bulk-direct-command.ts';
import { runBulk } from './bulk-command.ts';
import { printLetters } from './letters-command.ts';
import { EXIT_CODES_HELP, ExitCode } from './exit-codes.ts';
import { inspectionLines, inspectKey } from './inspect-command.ts';
import { KeySourceError, udpSlots } from './key-sources.ts';
import { LoginError, login, logout, type LoginMethod } from './operator-login.ts';
import { runStation } from './run-command.ts';
import {
  CONFIG_KEYS,
  configFilePath,
  parseConfigValue,
  readConfigFile,
  resolveStationConfig,
  StationConfigError,
  writeConfigFile,
  type StationConfig,
  type StationConfigFile,
} from './station-config.ts';
import { stationContext } from './station-context.ts';
import { Terminal } from './terminal.ts';
import { usbAdvice } from './usb-guidance.ts';
import { runVirtualKeyCommand } from './virtual-key-command.ts';

interface GlobalFlags {
  json?: boolean;
  serviceUrl?: string;
  tenant?: string;
  clientId?: string;
  authorityHost?: string;
  caFile?: string;
  stationId?: string;
}

function configFlags(flags: GlobalFlags): Partial<Record<keyof StationConfigFile, string>> {
  return {
    ...(flags.serviceUrl ? { serviceUrl: flags.serviceUrl } : {}),
    ...(flags.tenant ? { tenantId: flags.tenant } : {}),
    ...(flags.clientId ? { clientId: flags.clientId } : {}),
    ...(flags.authorityHost ? { authorityHost: flags.authorityHost } : {}),
    ...(flags.caFile ? { caFile: flags.caFile } : {}),
    ...(flags.stationId ? { stationId: flags.stationId } : {}),
  };
}

/** The exit code for an error that ended a command, after saying what to do about it. */
function exitFor(error: unknown, terminal: Terminal): number {
  const message = error instanceof Error ? error.message : String(error);
  const code: string = error instanceof CourierError ? String(error.code) : 'FAILED';
  terminal.error(message, { code });
  if (error instanceof LoginError) return ExitCode.NOT_SIGNED_IN;
  if (error instanceof StationApiError) {
    return error.code === 'UNAUTHORIZED' ? ExitCode.NOT_SIGNED_IN : ExitCode.SERVICE;
  }
  if (error instanceof KeySourceError)
    return error.code === 'USAGE' ? ExitCode.USAGE : ExitCode.NO_KEY;
  if (error instanceof StationConfigError) return ExitCode.USAGE;
  return ExitCode.FAILED;
}

/** The key for inspect and reset: the --udp one, or the only USB key plugged in. */
async function oneKey(options: { udp?: string; udpLocalPort?: string }): Promise<OpenKey> {
  if (options.udp) {
    const [slot] = udpSlots({
      udp: [options.udp],
      udpLocalPort: numberOption(options.udpLocalPort),
    });
    return openKey(slot!);
  }
  let devices;
  try {
    devices = await listFidoDevices();
  } catch (error) {
    throw new KeySourceError('NO_USB', usbAdvice(error), { cause: error });
  }
  if (devices.length === 0)
    throw new KeySourceError('NO_USB', 'No security key is plugged in: plug one in and try again.');
  if (devices.length > 1)
    throw new KeySourceError('USAGE', 'Several keys are plugged in: leave only the one you mean.');
  try {
    return await openKey(hidSlot(devices[0]!.path));
  } catch (error) {
    throw new KeySourceError('NO_USB', usbAdvice(error), { cause: error });
  }
}

function numberOption(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text))
    throw new KeySourceError('USAGE', `Expected a whole number, got "${text}".`);
  return Number(text);
}

interface DirectFlags {
  direct?: boolean;
  appId?: string;
  certificate?: string;
  graphUrl?: string;
  aaguid?: string[];
  minimumFirmware: string;
  lettersKey?: string;
  letters?: string;
  udp?: string[];
  udpLocalPort?: string;
}

/** The bulk results file: --results, or next to the CSV, or named after the group. */
function resultsPath(options: { csv?: string; group?: string; results?: string }): string {
  return (
    options.results ??
    (options.csv
      ? options.csv.replace(/(\.csv)?$/i, '.results.csv')
      : `group-${options.group!.replace(/[^A-Za-z0-9._-]+/g, '_')}.results.csv`)
  );
}

/** `station bulk --direct`: checks the flags it needs, then runs with USB or the --udp keys. */
async function bulkDirect(
  options: DirectFlags & { csv?: string; group?: string; results?: string; dryRun?: boolean },
  config: StationConfig,
  terminal: Terminal,
): Promise<number> {
  const missing = [
    options.appId ? undefined : '--app-id',
    options.certificate ? undefined : '--certificate',
    options.aaguid?.length ? undefined : '--aaguid',
  ].filter(Boolean);
  if (missing.length > 0) {
    throw new StationConfigError('INVALID_CONFIG', `--direct needs ${missing.join(', ')}.`);
  }
  const slots = udpSlots({
    udp: options.udp ?? [],
    udpLocalPort: numberOption(options.udpLocalPort),
  });
  let next = 0;
  const { roots } = stationContext(config);
  const outcome = await runBulkDirect(
    {
      ...(options.csv ? { csv: options.csv } : { group: options.group! }),
      results: resultsPath(options),
      dryRun: options.dryRun ?? false,
      tenantId: config.tenantId,
      appId: options.appId!,
      certificate: options.certificate!,
      authorityHost: config.authorityHost,
      graphUrl:
        options.graphUrl ??
        (config.sources.authorityHost === 'local stack default'
          ? config.authorityHost
          : 'https://graph.microsoft.com'),
      caFile: config.caFile,
      aaguids: options.aaguid!,
      minimumFirmware: options.minimumFirmware,
      lettersKey: options.lettersKey,
      letters: options.letters,
      attestationRoots: roots,
      minPinLength: config.minPinLength,
      nextKey: async (upn) => {
        if (slots.length > 0) {
          const slot = slots[next++];
          if (!slot)
            throw new KeySourceError('NO_USB', `No --udp key left for ${upn}: give one per row.`);
          return openKey(slot);
        }
        await terminal.ask(`Plug in a fresh key for ${upn} (only that one), then press Enter.`, {
          event: 'plug-in',
          user: upn,
        });
        return oneKey({});
      },
    },
    terminal,
  );
  return outcome.failed > 0 ? ExitCode.FAILED : ExitCode.OK;
}

function program(
  terminalFor: (json: boolean) => Terminal,
  signal: AbortSignal,
  setExit: (code: number) => void,
): Command {
  const root = new Command('station')
    .description(
      'The Passkey Courier mailroom station: programs, registers and ships FIDO2 security keys.',
    )
    .option('--json', 'one JSON object per line, for automation')
    .option('--service-url <url>', 'the Passkey Courier service (STATION_SERVICE_URL)')
    .option('--tenant <id>', 'the Entra tenant id (STATION_TENANT_ID)')
    .option('--client-id <id>', "the station app registration's client id (STATION_CLIENT_ID)")
    .option('--authority-host <url>', 'the Entra authority (STATION_AUTHORITY_HOST)')
    .option('--ca-file <file>', 'an extra CA to trust, e.g. the local stack’s (STATION_CA_FILE)')
    .option('--station-id <id>', 'this station’s name in the audit trail (STATION_ID)')
    .addHelpText(
      'after',
      `\nWithout configuration the station uses the local stack (npm start).\n\n${EXIT_CODES_HELP}`,
    )
    .showHelpAfterError()
    .exitOverride();
  const context = async (command: Command) => {
    const flags = command.optsWithGlobals<GlobalFlags>();
    const terminal = terminalFor(flags.json ?? false);
    return { terminal, config: await resolveStationConfig(configFlags(flags)) };
  };
  const guarded =
    (body: (command: Command) => Promise<number>) =>
    async (...args: unknown[]) => {
      const command = args.at(-1) as Command;
      const terminal = terminalFor(command.optsWithGlobals<GlobalFlags>().json ?? false);
      try {
        setExit(await body(command));
      } catch (error) {
        setExit(signal.aborted ? ExitCode.INTERRUPTED : exitFor(error, terminal));
      } finally {
        terminal.close();
      }
    };

  root
    .command('login')
    .description(
      'sign in to Entra as the operator (device code by default); the token is cached, never shown',
    )
    .option('--browser', 'sign in in a browser on this machine')
    .option(
      '--certificate <pem>',
      'unattended kiosks: sign in as the kiosk app (kioskClientId) with its certificate and key; renewed from it',
    )
    .option('--logout', 'forget the cached sign-in')
    .action(
      guarded(async (command) => {
        const { terminal, config } = await context(command);
        const options = command.opts<{
          browser?: boolean;
          certificate?: string;
          logout?: boolean;
        }>();
        if (options.logout) {
          await logout(config);
          terminal.say('Signed out.', { event: 'signed-out' });
          return ExitCode.OK;
        }
        const method: LoginMethod = options.certificate
          ? 'certificate'
          : options.browser
            ? 'browser'
            : 'device-code';
        const signedIn = await login(config, method, {
          ...(options.certificate ? { certificatePath: options.certificate } : {}),
          onDeviceCode: (info) =>
            terminal.say(
              `To sign in, open ${info.verificationUri} and enter the code ${info.userCode}`,
              {
                event: 'device-code',
                verificationUri: info.verificationUri,
                userCode: info.userCode,
              },
            ),
        });
        terminal.say(
          `Signed in to ${config.serviceUrl} until ${new Date(signedIn.expiresOn).toISOString()} (token kept ${signedIn.cache === 'file' ? `in a file only you can read, under ${config.home}` : 'in the system keychain'}).`,
          {
            event: 'signed-in',
            expiresOn: new Date(signedIn.expiresOn).toISOString(),
            cache: signedIn.cache,
          },
          'green',
        );
        return ExitCode.OK;
      }),
    );

  root
    .command('run')
    .description(
      'the operator loop: claim jobs, program the plugged-in keys, print slips, record shipments',
    )
    .option('--udp <host:port...>', 'HID-over-UDP keys (simulators, software keys) instead of USB')
    .option(
      '--udp-local-port <port>',
      'the station’s UDP port (default 7112, which simulators expect; 0 = any)',
    )
    .option('--jobs <n>', 'stop after this many jobs')
    .option('--lease-seconds <n>', 'lease length asked for each job', '120')
    .action(
      guarded(async (command) => {
        const { terminal, config } = await context(command);
        const options = command.opts<{
          udp?: string[];
          udpLocalPort?: string;
          jobs?: string;
          leaseSeconds: string;
        }>();
        const { client, roots } = stationContext(config);
        try {
          const tally = await runStation(
            config,
            client,
            roots,
            {
              udp: options.udp ?? [],
              udpLocalPort: numberOption(options.udpLocalPort),
              jobs: numberOption(options.jobs),
              leaseSeconds: numberOption(options.leaseSeconds) ?? 120,
            },
            terminal,
            signal,
          );
          terminal.say(
            `${tally.done} job(s) done, ${tally.failed} failed.`,
            { event: 'finished', ...tally },
            'bold',
          );
          if (signal.aborted) return ExitCode.INTERRUPTED;
          return tally.failed > 0 ? ExitCode.FAILED : ExitCode.OK;
        } finally {
          client.close();
        }
      }),
    );

  root
    .command('inspect')
    .description(
      'everything a key says about itself (model, AAGUID, serial, firmware, PIN, credentials)',
    )
    .option('--udp <host:port>', 'a HID-over-UDP key instead of the USB one')
    .option('--udp-local-port <port>', 'the station’s UDP port (default 7112)')
    .action(
      guarded(async (command) => {
        const terminal = terminalFor(command.optsWithGlobals<GlobalFlags>().json ?? false);
        const key = await oneKey(command.opts());
        try {
          const facts = await inspectKey(key);
          if (terminal.json) terminal.say('', { event: 'key', ...facts });
          else for (const line of inspectionLines(facts)) terminal.say(line);
          return ExitCode.OK;
        } finally {
          await key.close();
        }
      }),
    );

  root
    .command('reset')
    .description('guided reset of a key (erases its PIN and credentials), with confirmation')
    .option('--udp <host:port>', 'a HID-over-UDP key instead of the USB one')
    .option('--udp-local-port <port>', 'the station’s UDP port (default 7112)')
    .option('--yes', 'do not ask for confirmation')
    .option('--force', 'reset even a key assigned to a live request (IT only; audited)')
    .action(
      guarded(async (command) => {
        const { terminal, config: current } = await context(command);
        const options = command.opts<{
          udp?: string;
          udpLocalPort?: string;
          yes?: boolean;
          force?: boolean;
        }>();
        let key = await oneKey(options);
        try {
          const profile = await readKeyProfile(key.device, key.ctap);
          const name = keyName(profile, key);
          // The service says whether the key still belongs to someone (refusals are audited).
          if (profile.serial !== undefined) {
            const { client } = stationContext(current);
            try {
              await client.resetCheck(profile.serial, current.stationId, options.force ?? false);
            } finally {
              client.close();
            }
          }
          if (!options.yes) {
            const answer = await terminal.ask(
              `Erase ${name} (its PIN and every passkey on it)? Type "reset" to go on:`,
              { field: 'confirm' },
            );
            if (answer.toLowerCase() !== 'reset') {
              terminal.say('Nothing was changed.', { event: 'cancelled' });
              return ExitCode.FAILED;
            }
          }
          key = await guidedReset(
            key,
            name,
            {
              step: () => undefined,
              prompt: (kind, message) =>
                terminal.say(`>> ${message}`, { event: 'prompt', kind, message }, 'yellow', 'bold'),
              countdown: (left) =>
                terminal.say(`   ${left} s`, { event: 'countdown', secondsLeft: left }),
            },
            signal,
          );
          terminal.say(
            `${name} is reset: no PIN, no passkeys.`,
            { event: 'reset', serial: profile.serial ?? null },
            'green',
          );
          return ExitCode.OK;
        } finally {
          await key.close();
        }
      }),
    );

  root
    .command('bulk')
    .description(
      'pre-approved requests for many employees (a CSV or an Entra group), through the service (Courier.Admin)',
    )
    .option(
      '--csv <file>',
      'the employees: columns user (UPN or object id), shippingAddress, keyClass, note',
    )
    .option(
      '--group <name|id>',
      'every member of an Entra group (its exact display name or its object id), read through the service',
    )
    .option(
      '--batch-id <id>',
      'names the batch; the same id again starts nothing twice',
      `bulk-${new Date().toISOString().slice(0, 10)}`,
    )
    .option(
      '--results <file>',
      'per-row results CSV (default: next to the input); a rerun resumes from it',
    )
    .option('--dry-run', 'check the CSV and show what would be sent; send nothing')
    .option(
      '--direct',
      'no service: program the keys here and register them straight with Graph (IT admin certificate; PINs in sealed letters)',
    )
    .option('--app-id <id>', '--direct: the app registration allowed to register passkeys')
    .option(
      '--certificate <file>',
      '--direct: PEM with the app’s certificate and private key, for this run only (never stored)',
    )
    .option('--graph-url <url>', '--direct: Microsoft Graph (default: the tenant’s)')
    .option('--aaguid <uuid...>', '--direct: the key models (AAGUIDs) this run may program')
    .option('--minimum-firmware <x.y.z>', '--direct: the lowest firmware accepted', '5.7.0')
    .option(
      '--letters-key <file.asc>',
      '--direct: the IT admin’s OpenPGP public key; the PIN letters are written only encrypted to it',
    )
    .option('--letters <file>', '--direct: the sealed PIN letters (default: next to the results)')
    .option(
      '--udp <host:port...>',
      '--direct: HID-over-UDP keys, one per row in order, instead of USB',
    )
    .option('--udp-local-port <port>', 'the station’s UDP port (default 7112)')
    .action(
      guarded(async (command) => {
        const { terminal, config: current } = await context(command);
        const options = command.opts<
          {
            csv?: string;
            group?: string;
            batchId: string;
            results?: string;
            dryRun?: boolean;
          } & DirectFlags
        >();
        if (!/^[A-Za-z0-9-]{4,34}$/.test(options.batchId)) {
          throw new StationConfigError(
            'INVALID_CONFIG',
            '--batch-id takes 4-34 letters, digits and dashes.',
          );
        }
        if ((options.csv === undefined) === (options.group === undefined)) {
          throw new StationConfigError(
            'INVALID_CONFIG',
            'Give exactly one of --csv FILE or --group NAME|ID.',
          );
        }
        if (options.direct) {
          return bulkDirect(options, current, terminal);
        }
        const { client } = stationContext(current);
        try {
          const outcome = await runBulk(
            client,
            {
              ...(options.csv ? { csv: options.csv } : { group: options.group! }),
              batchId: options.batchId,
              results: resultsPath(options),
              dryRun: options.dryRun ?? false,
            },
            terminal,
          );
          return outcome.failed > 0 ? ExitCode.FAILED : ExitCode.OK;
        } finally {
          client.close();
        }
      }),
    );

  root
    .command('letters')
    .description('sealed PIN letters from station bulk --direct')
    .command('print')
    .description(
      'decrypt sealed PIN letters in memory and send them to the printer (lp), or to standard output with --stdout',
    )
    .argument('<file>', 'the sealed letters (.pdf.asc)')
    .requiredOption('--key <file.asc>', 'the IT admin’s OpenPGP private key')
    .option('--passphrase-env <name>', 'the environment variable holding the key’s passphrase')
    .option('--printer <name>', 'the printer (lp -d); default: the system’s default printer')
    .option('--stdout', 'write the PDF to standard output for a pipe, instead of printing')
    .action(
      guarded(async (command) => {
        const { terminal } = await context(command);
        const options = command.opts<{
          key: string;
          passphraseEnv?: string;
          printer?: string;
          stdout?: boolean;
        }>();
        await printLetters(
          {
            file: command.args[0]!,
            key: options.key,
            passphraseEnv: options.passphraseEnv,
            printer: options.printer,
            stdout: options.stdout ?? false,
            out: process.stdout,
          },
          terminal,
        );
        return ExitCode.OK;
      }),
    );

  const config = root.command('config').description('show or change the station’s configuration');
  config
    .command('show', { isDefault: true })
    .description('the configuration in effect, and where each value comes from')
    .action(
      guarded(async (command) => {
        const { terminal, config: current } = await context(command);
        const { sources, ...values } = current;
        if (terminal.json)
          terminal.say('', { event: 'config', file: configFilePath(), values, sources });
        else {
          terminal.say(`Config file: ${configFilePath()}`);
          for (const [key, value] of Object.entries(values)) {
            terminal.say(
              `${key.padEnd(20)}${Array.isArray(value) ? value.join(', ') || '(none)' : String(value ?? '(not set)')}${sources[key] ? `   [${sources[key]}]` : ''}`,
            );
          }
        }
        return ExitCode.OK;
      }),
    );
  config
    .command('set <key> <value>')
    .description(`set a value in the config file (${CONFIG_KEYS.join(', ')})`)
    .action(
      guarded(async (command) => {
        const [key, value] = command.args as [string, string];
        const terminal = terminalFor(command.optsWithGlobals<GlobalFlags>().json ?? false);
        if (!(CONFIG_KEYS as string[]).includes(key)) {
          throw new StationConfigError(
            'INVALID_CONFIG',
            `Unknown setting "${key}"; settings are ${CONFIG_KEYS.join(', ')}.`,
          );
        }
        const path = configFilePath();
        const file = await readConfigFile(path);
        const next = { ...file, [key]: parseConfigValue(key as keyof StationConfigFile, value) };
        await writeConfigFile(path, next);
        await readConfigFile(path).catch(async (error: unknown) => {
          await writeConfigFile(path, file);
          throw error;
        });
        terminal.say(`${key} set in ${path}.`, { event: 'config-set', key });
        return ExitCode.OK;
      }),
    );
  config
    .command('unset <key>')
    .description('remove a value from the config file')
    .action(
      guarded(async (command) => {
        const [key] = command.args as [string];
        const terminal = terminalFor(command.optsWithGlobals<GlobalFlags>().json ?? false);
        const path = configFilePath();
        const file = { ...(await readConfigFile(path)) } as Record<string, unknown>;
        delete file[key];
        await writeConfigFile(path, file);
        terminal.say(`${key} removed from ${path}.`, { event: 'config-unset', key });
        return ExitCode.OK;
      }),
    );

  root.addCommand(
    new Command('virtual-key')
      .description('run a software security key over HID-over-UDP (see station virtual-key --help)')
      .helpOption(false)
      .allowUnknownOption()
      .allowExcessArguments()
      .addOption(new Option('-h, --help').hideHelp())
      .action(async (_options, command: Command) => {
        setExit(await runVirtualKeyCommand(command.parent!.args.slice(1)));
      }),
  );
  return root;
}

async function main(argv: string[]): Promise<number> {
  // virtual-key parses its own options.
  if (argv[0] === 'virtual-key') return runVirtualKeyCommand(argv.slice(1));
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let exit: number = ExitCode.OK;
  const terminals: Terminal[] = [];
  try {
    await program(
      (json) => {
        const terminal = new Terminal({ json });
        terminals.push(terminal);
        return terminal;
      },
      abort.signal,
      (code) => (exit = code),
    ).parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.exitCode === 0
        ? ExitCode.OK
        : ExitCode.USAGE;
    }
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return exit;
}

process.exitCode = await main(process.argv.slice(2));
// Keep-alive sockets and timers must not hold a finished command open.
setTimeout(() => process.exit(), 200).unref();
