import { randomUUID } from 'node:crypto';
import type { BotState } from './bot-state.ts';

/**
 * Refusals at the bot's door that belong to no request (an unsigned activity): appended here,
 * one row each, by day. Refusals about a request go to its audit trail instead.
 */
export interface BotRefusalRecord {
  at: string;
  reason: string;
  detail: string;
  /** Who the activity claimed to come from; unverified for an unsigned activity. */
  claimedFrom?: string;
}

export class BotRefusals {
  private readonly state: BotState;

  constructor(state: BotState) {
    this.state = state;
  }

  async append(record: BotRefusalRecord): Promise<void> {
    await this.state.create(
      `refusal:${record.at.slice(0, 10)}`,
      `${record.at}:${randomUUID()}`,
      record,
    );
  }

  async onDay(day: string): Promise<BotRefusalRecord[]> {
    return this.state.list(`refusal:${day}`);
  }
}
