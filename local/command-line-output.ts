// The command lines' own output (local/*/main.ts); library code never writes to the console.

/** A line on stdout: what scripts read (URLs, file names). */
export const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** A line on stderr: everything for people. */
export const err = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/** Says what is wrong and exits with status 2 (a usage or configuration error). */
export function fail(message: string): never {
  err(message);
  process.exit(2);
}
