import { CtapStatus } from '../ctap/ctap-status.ts';
import type { CommandContext } from './authenticator-core.ts';
import { CtapFailure } from './ctap-failure.ts';

/**
 * Collects user presence for a command: a touch returns, a timeout ends the command with
 * USER_ACTION_TIMEOUT, a CTAPHID_CANCEL with KEEPALIVE_CANCEL.
 */
export async function requireTouch(ctx: CommandContext): Promise<void> {
  const outcome = await ctx.requestPresence();
  if (outcome === 'timeout') throw new CtapFailure(CtapStatus.USER_ACTION_TIMEOUT);
  if (outcome === 'cancelled') throw new CtapFailure(CtapStatus.KEEPALIVE_CANCEL);
}
