import type { BotState } from './bot-state.ts';

/**
 * Where the bot can reach a person proactively: the Bot Framework conversation reference of
 * their 1:1 chat with the bot (channel, service URL, conversation id, bot and user accounts),
 * stored when the app is installed and on their first message, keyed by Entra object id.
 */
export interface StoredReference {
  aadObjectId: string;
  /** The person's Teams user id (MRI, `29:…`), what `refresh.userIds` takes. */
  teamsUserId: string;
  /** The ConversationReference as the adapter produced it (JSON). */
  reference: Record<string, unknown>;
  updatedAt: string;
}

const PARTITION = 'reference';

export class ConversationReferences {
  private readonly state: BotState;

  constructor(state: BotState) {
    this.state = state;
  }

  async save(entry: StoredReference): Promise<void> {
    await this.state.put(PARTITION, entry.aadObjectId.toLowerCase(), entry);
  }

  async find(aadObjectId: string): Promise<StoredReference | undefined> {
    return this.state.get<StoredReference>(PARTITION, aadObjectId.toLowerCase());
  }
}
