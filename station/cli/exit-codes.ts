/**
 * The station's exit codes, the same for every command (documented in `station --help`):
 */
export const ExitCode = {
  /** Done. */
  OK: 0,
  /** A job or command failed; the message says what to do. */
  FAILED: 1,
  /** Wrong usage: an unknown option, a bad value. */
  USAGE: 2,
  /** Not signed in, or the sign-in expired: run `station login`. */
  NOT_SIGNED_IN: 3,
  /** The service cannot be reached, or refused the station. */
  SERVICE: 4,
  /** No security key could be reached (none plugged in, no USB access, libusb missing). */
  NO_KEY: 5,
  /** The operator stopped it (Ctrl+C). */
  INTERRUPTED: 130,
} as const;

export const EXIT_CODES_HELP = `Exit codes:
  0    done
  1    a job or command failed (the message says what to do)
  2    wrong usage
  3    not signed in, or the sign-in expired: run "station login"
  4    the service cannot be reached or refused the station
  5    no security key could be reached (none plugged in, no USB access, libusb missing)
  130  stopped with Ctrl+C`;
