import { spawnSync } from 'node:child_process';

export interface SystemRequirement {
  /** What is missing, in words, e.g. "Yubico's python-fido2 for Debian's python3". */
  what: string;
  /** The Debian packages that provide it. */
  aptPackages: string[];
  /** A command that exits 0 when the requirement is met. */
  probe: [string, ...string[]];
}

/**
 * Checks a system package a test needs. Under CI=true a missing package fails the test with the
 * apt-get line that fixes it; on a developer machine the test is skipped with the same advice.
 * Returns undefined when present, or the advice.
 */
export function missingRequirement(requirement: SystemRequirement): string | undefined {
  const [command, ...args] = requirement.probe;
  const result = spawnSync(command, args, { stdio: 'ignore', timeout: 20_000 });
  if (result.status === 0) return undefined;
  return `${requirement.what} is not installed: run \`sudo apt-get install -y ${requirement.aptPackages.join(' ')}\` (.ci/run does this).`;
}

export const PYTHON_FIDO2: SystemRequirement = {
  what: "Yubico's python-fido2 for Debian's /usr/bin/python3",
  aptPackages: ['python3-fido2'],
  probe: ['/usr/bin/python3', '-c', 'import fido2.ctap2, fido2.server'],
};

export const LIBFIDO2_DEV: SystemRequirement = {
  what: "Yubico's libfido2 headers and a C compiler",
  aptPackages: ['libfido2-dev', 'gcc', 'libc6-dev'],
  probe: ['sh', '-c', 'test -f /usr/include/fido.h && command -v cc >/dev/null'],
};

export const OPENSSL: SystemRequirement = {
  what: 'The openssl command-line tool',
  aptPackages: ['openssl'],
  probe: ['sh', '-c', 'command -v openssl >/dev/null'],
};

export const TMUX: SystemRequirement = {
  what: 'tmux (the pseudo-terminal the station CLI tests type into)',
  aptPackages: ['tmux'],
  probe: ['sh', '-c', 'command -v tmux >/dev/null'],
};

export const POPPLER: SystemRequirement = {
  what: "poppler's pdftotext and pdftoppm (reading and rendering the packing slips)",
  aptPackages: ['poppler-utils'],
  probe: ['sh', '-c', 'command -v pdftotext >/dev/null && command -v pdftoppm >/dev/null'],
};

/** True when the test must fail (CI) rather than skip (a developer machine). */
export const strictRequirements = process.env.CI === 'true';

export const CHROMIUM: SystemRequirement = {
  what: "Debian's chromium (headless browser tests)",
  aptPackages: ['chromium'],
  probe: ['sh', '-c', 'test -x /usr/bin/chromium'],
};

export const NSS_TOOLS: SystemRequirement = {
  what: "NSS's certutil (a certificate database in which Chromium trusts the local CA)",
  aptPackages: ['libnss3-tools'],
  probe: ['sh', '-c', 'command -v certutil >/dev/null'],
};
