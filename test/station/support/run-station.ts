import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const STATION = join(import.meta.dirname, '../../../bin/station.js');
const ROOT = join(import.meta.dirname, '../../..');

export interface StationRun<Output extends string | Buffer> {
  code: number;
  stdout: Output;
  stderr: string;
}

/**
 * Runs `station` as an operator would (a child process, from the repository's root) and answers
 * with its exit code and output, a failing exit included. `buffer` keeps stdout as bytes (a PDF
 * sent to --stdout).
 */
export function runStation(args: string[], env: NodeJS.ProcessEnv): Promise<StationRun<string>>;
export function runStation(
  args: string[],
  env: NodeJS.ProcessEnv,
  encoding: 'buffer',
): Promise<StationRun<Buffer>>;
export async function runStation(
  args: string[],
  env: NodeJS.ProcessEnv,
  encoding: 'utf8' | 'buffer' = 'utf8',
): Promise<StationRun<string | Buffer>> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [STATION, ...args], {
      env,
      cwd: ROOT,
      encoding,
    });
    return { code: 0, stdout, stderr: stderr.toString() };
  } catch (error) {
    const e = error as { code: number; stdout: string | Buffer; stderr: string | Buffer };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr.toString() };
  }
}
