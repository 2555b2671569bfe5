/** CTAP2 command bytes (CTAP 2.1 §6), the first byte of a CTAPHID_CBOR request. */
export const Ctap2Command = {
  MAKE_CREDENTIAL: 0x01,
  GET_ASSERTION: 0x02,
  GET_INFO: 0x04,
  CLIENT_PIN: 0x06,
  RESET: 0x07,
  GET_NEXT_ASSERTION: 0x08,
  BIO_ENROLLMENT: 0x09,
  CREDENTIAL_MANAGEMENT: 0x0a,
  SELECTION: 0x0b,
  LARGE_BLOBS: 0x0c,
  CONFIG: 0x0d,
  BIO_ENROLLMENT_PREVIEW: 0x40,
  CREDENTIAL_MANAGEMENT_PREVIEW: 0x41,
} as const;

const NAMES: Record<number, string> = {
  0x01: 'makeCredential',
  0x02: 'getAssertion',
  0x04: 'getInfo',
  0x06: 'clientPIN',
  0x07: 'reset',
  0x08: 'getNextAssertion',
  0x09: 'bioEnrollment',
  0x0a: 'credentialManagement',
  0x0b: 'selection',
  0x0c: 'largeBlobs',
  0x0d: 'authenticatorConfig',
  0x40: 'bioEnrollment (preview)',
  0x41: 'credentialManagement (preview)',
};

export function ctap2CommandName(command: number): string {
  return NAMES[command] ?? `command 0x${command.toString(16).padStart(2, '0')}`;
}
