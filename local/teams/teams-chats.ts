import { randomUUID } from 'node:crypto';

/** A message in a local chat, as the page shows it. */
export interface ChatMessage {
  id: string;
  conversationId: string;
  from: 'bot' | 'user';
  /** For proactive messages into chats found through Graph: whose chat it is. */
  recipientAadObjectId?: string;
  text?: string;
  card?: unknown;
  replyToId?: string;
  /** Bumped on every update, so the page knows to redraw. */
  version: number;
  at: string;
}

/**
 * The local Teams stand-in's chats: what the bot posted, replied and updated through the Bot
 * Connector API, and what people typed. In memory; one per local Teams server.
 */
export class TeamsChats {
  private readonly messages: ChatMessage[] = [];

  add(message: Omit<ChatMessage, 'id' | 'version' | 'at'> & { id?: string }): ChatMessage {
    const stored: ChatMessage = {
      ...message,
      id: message.id ?? randomUUID(),
      version: 1,
      at: new Date().toISOString(),
    };
    this.messages.push(stored);
    return stored;
  }

  /** Replaces a message's content (updateActivity); false when there is no such message. */
  update(conversationId: string, id: string, content: { text?: string; card?: unknown }): boolean {
    const found = this.messages.find((m) => m.id === id && m.conversationId === conversationId);
    if (!found) return false;
    if (content.text === undefined) delete found.text;
    else found.text = content.text;
    if (content.card === undefined) delete found.card;
    else found.card = content.card;
    found.version += 1;
    return true;
  }

  /** A person's 1:1 chat with the bot: their conversation, and chats addressed to them. */
  chatOf(conversationId: string, aadObjectId: string): ChatMessage[] {
    const chats = new Set([conversationId]);
    for (const m of this.messages) {
      if (m.recipientAadObjectId?.toLowerCase() === aadObjectId.toLowerCase()) {
        chats.add(m.conversationId);
      }
    }
    return this.messages.filter((m) => chats.has(m.conversationId));
  }
}
