import { runVirtualKeyCommand } from './virtual-key-command.ts';

const USAGE = `Usage: station <command> [options]

Commands:
  virtual-key   Run a software security key (CTAP 2.1, behaves like a YubiKey 5 with firmware 5.7)

Run "station <command> --help" for a command's options.`;

/** Exit codes: 0 done, 1 failed, 2 bad usage. */
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'virtual-key':
      return runVirtualKeyCommand(rest);
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      console.error(`station: unknown command "${command}".\n\n${USAGE}`);
      return 2;
  }
}

process.exitCode = await main(process.argv.slice(2));
