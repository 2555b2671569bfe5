import { execFileSync } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export interface TestBrowser {
  browser: Browser;
  close(): Promise<void>;
}

/**
 * Debian's Chromium, headless, trusting the local CA the way a person's browser would: through
 * an NSS certificate database made for this run (Chromium on Linux reads $HOME/.pki/nssdb), with
 * the CA added as a trusted issuer for TLS. No certificate check is turned off.
 */
export async function launchChromium(caPem: string): Promise<TestBrowser> {
  const home = await mkdtemp(join(tmpdir(), 'courier-chromium-'));
  const database = join(home, '.pki', 'nssdb');
  await mkdir(database, { recursive: true });
  const caFile = join(home, 'local-ca.pem');
  await writeFile(caFile, caPem);
  execFileSync('certutil', ['-N', '-d', `sql:${database}`, '--empty-password']);
  execFileSync('certutil', [
    '-A',
    '-d',
    `sql:${database}`,
    '-t',
    'C,,',
    '-n',
    'Passkey Courier local CA',
    '-i',
    caFile,
  ]);
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
    env: { ...process.env, HOME: home },
  });
  return {
    browser,
    async close() {
      await browser.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}
