import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { openPinLetters } from '../bulk/pin-letters.ts';
import { StationConfigError } from './station-config.ts';
import type { Terminal } from './terminal.ts';

export interface PrintLettersOptions {
  file: string;
  /** The IT admin's ASCII-armored OpenPGP private key. */
  key: string;
  /** The environment variable holding the key's passphrase, if it has one. */
  passphraseEnv: string | undefined;
  /** A printer for `lp -d`; the default printer when absent. */
  printer: string | undefined;
  /** Write the PDF to standard output (for piping) instead of printing. */
  stdout: boolean;
  out: NodeJS.WritableStream & { isTTY?: boolean };
}

/**
 * `station letters print`: decrypts sealed PIN letters in memory and hands the PDF straight to the
 * printer (`lp`, reading standard input) or to standard output for a pipe; it never writes the
 * PDF to disk, and refuses to spill it onto a terminal.
 */
export async function printLetters(
  options: PrintLettersOptions,
  terminal: Terminal,
): Promise<void> {
  const passphrase = options.passphraseEnv ? process.env[options.passphraseEnv] : undefined;
  if (options.passphraseEnv && passphrase === undefined) {
    throw new StationConfigError(
      'INVALID_CONFIG',
      `--passphrase-env ${options.passphraseEnv}: that environment variable is not set.`,
    );
  }
  const pdf = await openPinLetters(
    await readFile(options.file, 'utf8'),
    await readFile(options.key, 'utf8'),
    passphrase,
  );
  try {
    if (options.stdout) {
      if (options.out.isTTY) {
        throw new StationConfigError(
          'INVALID_CONFIG',
          '--stdout writes a PDF: pipe it (e.g. | lp -d PRINTER -), not onto the terminal.',
        );
      }
      await new Promise<void>((resolve, reject) =>
        options.out.write(pdf, (error) => (error ? reject(error) : resolve())),
      );
      return;
    }
    const args = [...(options.printer ? ['-d', options.printer] : []), '-t', 'PIN letters', '-'];
    await new Promise<void>((resolve, reject) => {
      const lp = spawn('lp', args, { stdio: ['pipe', 'ignore', 'pipe'] });
      let errors = '';
      lp.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
      lp.on('error', (error) =>
        reject(
          new StationConfigError(
            'INVALID_CONFIG',
            `lp could not be started (${error.message}): install CUPS (sudo apt-get install cups-client), or use --stdout and pipe the PDF to your print tool.`,
          ),
        ),
      );
      lp.on('close', (code) =>
        code === 0
          ? resolve()
          : reject(
              new StationConfigError('INVALID_CONFIG', `lp refused the job: ${errors.trim()}`),
            ),
      );
      lp.stdin.end(pdf);
    });
    terminal.say(`The PIN letters went to ${options.printer ?? 'the default printer'}.`, {
      event: 'letters-printed',
    });
  } finally {
    pdf.fill(0);
  }
}
