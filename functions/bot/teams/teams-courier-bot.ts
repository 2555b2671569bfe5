import {
  CardFactory,
  MessageFactory,
  TeamsActivityHandler,
  TurnContext,
  type AdaptiveCardInvokeResponse,
  type AdaptiveCardInvokeValue,
  type ChannelAccount,
} from 'botbuilder';
import type { CourierLogger } from '../../log/courier-logger.ts';
import { stringsFor, say } from '../bot-strings.ts';
import type { BotReply, BotTurn, CourierBot } from '../courier-bot.ts';
import { ADAPTIVE_CARD_CONTENT_TYPE } from '../cards/adaptive-card.ts';
import type { ConversationReferences } from '../store/conversation-references.ts';

/**
 * The botbuilder side of the bot, and the only place that knows activities: it turns Teams
 * activities into `CourierBot` calls and the answers back into activities, and remembers how to
 * reach each person. Moving to the Agents SDK means rewriting this file and `bot-adapter.ts`.
 */
export class TeamsCourierBot extends TeamsActivityHandler {
  private readonly bot: CourierBot;
  private readonly references: ConversationReferences;
  private readonly log: CourierLogger;

  constructor(bot: CourierBot, references: ConversationReferences, log: CourierLogger) {
    super();
    this.bot = bot;
    this.references = references;
    this.log = log;
    this.onMessage(async (context, next) => {
      await this.remember(context);
      const replies = await this.bot.onMessage(context.activity.text, turnOf(context));
      await send(context, replies);
      await next();
    });
    this.onMembersAdded(async (context, next) => {
      const botId = context.activity.recipient?.id;
      const added = (context.activity.membersAdded ?? []).some(
        (member: ChannelAccount) => member.id === botId,
      );
      if (added && context.activity.conversation?.conversationType === 'personal') {
        await this.remember(context);
        await send(context, this.bot.welcome(turnOf(context)));
      }
      await next();
    });
    this.onInstallationUpdateAdd(async (context, next) => {
      await this.remember(context);
      await next();
    });
  }

  protected override async onAdaptiveCardInvoke(
    context: TurnContext,
    invokeValue: AdaptiveCardInvokeValue,
  ): Promise<AdaptiveCardInvokeResponse> {
    const turn = turnOf(context);
    await this.remember(context);
    const action = invokeValue.action;
    let answer;
    try {
      answer = await this.bot.onAction(action.verb, action.data ?? {}, turn);
    } catch (error) {
      const ref = context.activity.id ?? 'unknown';
      this.log.error('bot-action-failed', { verb: action.verb, ref }, error);
      answer = { message: say(stringsFor(turn.locale), 'somethingWrong', { ref }) };
    }
    if ('message' in answer) {
      return {
        statusCode: 200,
        type: 'application/vnd.microsoft.activity.message',
        value: answer.message as unknown as Record<string, unknown>,
      };
    }
    const replyToId = context.activity.replyToId;
    if (answer.forEveryone && replyToId) {
      // The stored message changes for everyone in the chat, not only for the clicker's view.
      await context.updateActivity({
        id: replyToId,
        type: 'message',
        attachments: [CardFactory.adaptiveCard(answer.card)],
      });
    }
    return {
      statusCode: 200,
      type: ADAPTIVE_CARD_CONTENT_TYPE,
      value: answer.card as unknown as Record<string, unknown>,
    };
  }

  /** Keeps the 1:1 chat's reference, so notifications can reach this person later. */
  private async remember(context: TurnContext): Promise<void> {
    const { activity } = context;
    const aadObjectId = activity.from?.aadObjectId;
    if (!aadObjectId || activity.conversation?.conversationType !== 'personal') return;
    try {
      await this.references.save({
        aadObjectId,
        teamsUserId: activity.from.id,
        reference: TurnContext.getConversationReference(activity),
        updatedAt: new Date().toISOString(),
      });
    } catch (error) {
      // The conversation goes on; the reference is saved again on the next message.
      this.log.warn('reference-not-saved', { error });
    }
  }
}

function turnOf(context: TurnContext): BotTurn {
  const from = context.activity.from;
  return {
    user: from?.aadObjectId
      ? { id: from.aadObjectId, ...(from.name ? { displayName: from.name } : {}) }
      : undefined,
    ...(context.activity.locale ? { locale: context.activity.locale } : {}),
  };
}

async function send(context: TurnContext, replies: BotReply[]): Promise<void> {
  for (const reply of replies) {
    await context.sendActivity(
      'card' in reply
        ? MessageFactory.attachment(CardFactory.adaptiveCard(reply.card))
        : MessageFactory.text(reply.text),
    );
  }
}
