import type { AdaptiveCard } from '../bot/cards/adaptive-card.ts';

/** A Bot Framework conversation reference, as stored (JSON). */
export type StoredConversationReference = Record<string, unknown>;

/**
 * Proactive messages into a 1:1 chat with the bot. The botbuilder implementation is
 * `bot/teams/bot-messenger.ts`; the dispatcher knows only this.
 */
export interface Messenger {
  /** Posts a card or a line (as a reply to `replyToId` when given); returns the activity id. */
  send(
    reference: StoredConversationReference,
    message: { card: AdaptiveCard } | { text: string },
    replyToId?: string,
  ): Promise<string>;
  /** Replaces a card the bot posted earlier, for everyone in the chat. */
  update(
    reference: StoredConversationReference,
    activityId: string,
    card: AdaptiveCard,
  ): Promise<void>;
}
