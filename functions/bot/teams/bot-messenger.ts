import { CardFactory, MessageFactory, type CloudAdapter } from 'botbuilder';
import type { Messenger, StoredConversationReference } from '../../notifications/messenger.ts';
import type { AdaptiveCard } from '../cards/adaptive-card.ts';

/** Proactive sends through the CloudAdapter (continueConversationAsync with the bot's app id). */
export class BotMessenger implements Messenger {
  private readonly adapter: CloudAdapter;
  private readonly appId: string;

  constructor(adapter: CloudAdapter, appId: string) {
    this.adapter = adapter;
    this.appId = appId;
  }

  async send(
    reference: StoredConversationReference,
    message: { card: AdaptiveCard } | { text: string },
    replyToId?: string,
  ): Promise<string> {
    let id = '';
    await this.adapter.continueConversationAsync(this.appId, reference, async (context) => {
      const activity =
        'card' in message
          ? MessageFactory.attachment(CardFactory.adaptiveCard(message.card))
          : MessageFactory.text(message.text);
      if (replyToId) activity.replyToId = replyToId;
      id = (await context.sendActivity(activity))?.id ?? '';
    });
    return id;
  }

  async update(
    reference: StoredConversationReference,
    activityId: string,
    card: AdaptiveCard,
  ): Promise<void> {
    await this.adapter.continueConversationAsync(this.appId, reference, async (context) => {
      await context.updateActivity({
        id: activityId,
        type: 'message',
        attachments: [CardFactory.adaptiveCard(card)],
      });
    });
  }
}
