import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { CourierError } from '../../core/courier-error.ts';

/** A discoverable credential as the software key stores it. */
export interface ResidentCredential {
  id: Uint8Array;
  rpId: string;
  rpName?: string;
  user: { id: Uint8Array; name?: string; displayName?: string };
  algorithm: number;
  /** P-256 private scalar or Ed25519 seed, 32 bytes. */
  privateKey: Uint8Array;
  credProtect: number;
  hmacSecret: boolean;
  /** Creation order, for "most recent first" in getAssertion. */
  sequence: number;
}

/** Everything a software key remembers across power cycles. */
export interface KeyState {
  serial: number;
  aaguid: Uint8Array;
  /** Seals credential ids; a reset replaces it, so old ids stop working. */
  deviceSecret: Uint8Array;
  /** LEFT(SHA-256(PIN), 16), as the authenticator stores it; never the PIN itself. */
  pinHash?: Uint8Array;
  pinCodePoints?: number;
  pinRetries: number;
  minPinLength: number;
  minPinLengthRpIds: string[];
  forcePinChange: boolean;
  alwaysUv: boolean;
  enterpriseAttestation: boolean;
  signCount: number;
  sequence: number;
  credentials: ResidentCredential[];
}

export const MAX_PIN_RETRIES = 8;
export const DEFAULT_MIN_PIN_LENGTH = 4;

export function factoryState(
  serial: number,
  aaguid: Uint8Array,
  random: (n: number) => Uint8Array,
): KeyState {
  return {
    serial,
    aaguid,
    deviceSecret: random(32),
    pinRetries: MAX_PIN_RETRIES,
    minPinLength: DEFAULT_MIN_PIN_LENGTH,
    minPinLengthRpIds: [],
    forcePinChange: false,
    alwaysUv: false,
    enterpriseAttestation: false,
    signCount: 0,
    sequence: 0,
    credentials: [],
  };
}

export class KeyStateError extends CourierError<
  'STATE_UNREADABLE' | 'STATE_INVALID' | 'STATE_UNWRITABLE'
> {}

const bytes = z
  .string()
  .regex(/^[A-Za-z0-9_-]*$/)
  .transform((s) => new Uint8Array(Buffer.from(s, 'base64url')));

const stateSchema = z.object({
  format: z.literal('passkey-courier-virtual-key/1'),
  serial: z.number().int().min(0).max(0xffffffff),
  aaguid: bytes.refine((b) => b.length === 16, 'aaguid must be 16 bytes'),
  deviceSecret: bytes.refine((b) => b.length === 32, 'deviceSecret must be 32 bytes'),
  pinHash: bytes.refine((b) => b.length === 16, 'pinHash must be 16 bytes').optional(),
  pinCodePoints: z.number().int().min(4).max(63).optional(),
  pinRetries: z.number().int().min(0).max(MAX_PIN_RETRIES),
  minPinLength: z.number().int().min(4).max(63),
  minPinLengthRpIds: z.array(z.string()),
  forcePinChange: z.boolean(),
  alwaysUv: z.boolean(),
  enterpriseAttestation: z.boolean(),
  signCount: z.number().int().min(0).max(0xffffffff),
  sequence: z.number().int().min(0),
  credentials: z
    .array(
      z.object({
        id: bytes,
        rpId: z.string(),
        rpName: z.string().optional(),
        user: z.object({
          id: bytes,
          name: z.string().optional(),
          displayName: z.string().optional(),
        }),
        algorithm: z.number().int(),
        privateKey: bytes.refine((b) => b.length === 32, 'privateKey must be 32 bytes'),
        credProtect: z.number().int().min(1).max(3),
        hmacSecret: z.boolean(),
        sequence: z.number().int().min(0),
      }),
    )
    .max(100),
});

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64url');

export function serializeKeyState(state: KeyState): string {
  return `${JSON.stringify(
    {
      format: 'passkey-courier-virtual-key/1',
      ...state,
      aaguid: b64(state.aaguid),
      deviceSecret: b64(state.deviceSecret),
      pinHash: state.pinHash ? b64(state.pinHash) : undefined,
      credentials: state.credentials.map((c) => ({
        ...c,
        id: b64(c.id),
        user: { ...c.user, id: b64(c.user.id) },
        privateKey: b64(c.privateKey),
      })),
    },
    null,
    2,
  )}\n`;
}

export function parseKeyState(text: string, source: string): KeyState {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new KeyStateError(
      'STATE_INVALID',
      `${source} is not JSON; it is not a software-key state file.`,
      { cause },
    );
  }
  const result = stateSchema.safeParse(json);
  if (!result.success) {
    const problems = result.error.issues
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new KeyStateError(
      'STATE_INVALID',
      `${source} is not a valid software-key state file (${problems}).`,
    );
  }
  const { format: _format, ...state } = result.data;
  return state;
}

export async function loadKeyState(path: string): Promise<KeyState | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new KeyStateError(
      'STATE_UNREADABLE',
      `Cannot read the software-key state ${path}: ${(cause as Error).message}`,
      { cause },
    );
  }
  return parseKeyState(text, path);
}

/** Writes atomically (temporary file, then rename), so a killed process never leaves half a file. */
export async function saveKeyState(path: string, state: KeyState): Promise<void> {
  const temporary = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(temporary, serializeKeyState(state), { mode: 0o600 });
    await rename(temporary, path);
  } catch (cause) {
    throw new KeyStateError(
      'STATE_UNWRITABLE',
      `Cannot write the software-key state ${path}: ${(cause as Error).message}`,
      { cause },
    );
  }
}
