import { CtapError } from '../ctap/ctap-error.ts';
import { CtapStatus } from '../ctap/ctap-status.ts';
import type { KeyPrompts } from './key-prompts.ts';
import { waitUntilInserted, waitUntilRemoved, type OpenKey } from './key-slot.ts';
import { ProvisionError } from './provision-error.ts';

/** Keys accept authenticatorReset only this long after they were plugged in. */
const RESET_WINDOW_S = 10;

/**
 * The guided reset: "unplug it, plug it back in", then a 10-second countdown while the key waits
 * for its touch. Returns the key reopened after the reset (the old connection is closed). A
 * missed window starts over, up to three times.
 */
export async function guidedReset(
  key: OpenKey,
  name: string,
  prompts: KeyPrompts,
  signal?: AbortSignal,
): Promise<OpenKey> {
  let current = key;
  for (let round = 1; ; round++) {
    prompts.prompt('unplug', `Unplug ${name} now, then plug it back in to reset it.`);
    await waitUntilRemoved(current, signal);
    await current.close();
    prompts.prompt('plug-in', `Plug ${name} back in.`);
    current = await waitUntilInserted(current.slot, signal);
    const started = Date.now();
    prompts.prompt('touch-to-reset', `Touch ${name} now to reset it (within ${RESET_WINDOW_S} s).`);
    const ticker = setInterval(() => {
      const left = RESET_WINDOW_S - Math.floor((Date.now() - started) / 1000);
      if (left >= 0) prompts.countdown?.(left);
    }, 1000);
    try {
      await current.ctap.reset({
        timeoutMs: (RESET_WINDOW_S + 20) * 1000,
        ...(signal ? { signal } : {}),
      });
      return current;
    } catch (error) {
      const missed =
        error instanceof CtapError &&
        (error.is(CtapStatus.NOT_ALLOWED) ||
          error.is(CtapStatus.USER_ACTION_TIMEOUT) ||
          error.is(CtapStatus.ACTION_TIMEOUT));
      if (!missed || round >= 3) {
        throw new ProvisionError(
          'RESET_REFUSED',
          missed
            ? `${name} was not reset: it was not touched within ${RESET_WINDOW_S} s of being plugged in. Set it aside and use another key.`
            : `${name} refused the reset (${error instanceof Error ? error.message : String(error)}); set it aside for IT.`,
          { cause: error, needsReset: true },
        );
      }
    } finally {
      clearInterval(ticker);
    }
  }
}
