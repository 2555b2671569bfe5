import type { BotState } from './bot-state.ts';

/** An approval card the bot posted to one approver: updated when the request moves on. */
export interface ApprovalCardMessage {
  requestId: string;
  approverId: string;
  /** The activity id Teams gave the card, for updateActivity and reminder replies. */
  activityId: string;
  postedAt: string;
}

export class ApprovalCardMessages {
  private readonly state: BotState;

  constructor(state: BotState) {
    this.state = state;
  }

  async save(message: ApprovalCardMessage): Promise<void> {
    await this.state.put(
      `approval:${message.requestId}`,
      message.approverId.toLowerCase(),
      message,
    );
  }

  async find(requestId: string, approverId: string): Promise<ApprovalCardMessage | undefined> {
    return this.state.get(`approval:${requestId}`, approverId.toLowerCase());
  }

  async list(requestId: string): Promise<ApprovalCardMessage[]> {
    return this.state.list(`approval:${requestId}`);
  }
}
