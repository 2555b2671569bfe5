import type { CloudAdapter } from 'botbuilder';
import { courierServices, type CourierServices } from '../courier-services.ts';
import { botSettingsFromEnvironment, type BotSettings } from './bot-settings.ts';
import { ApprovalCardMessages } from './store/approval-card-messages.ts';
import { BotRefusals } from './store/bot-refusals.ts';
import { BotState } from './store/bot-state.ts';
import { ConversationReferences } from './store/conversation-references.ts';
import { createBotAdapter } from './teams/bot-adapter.ts';

/** What the bot endpoint and the notification sender share, built once per process. */
export interface BotRuntime {
  services: CourierServices;
  settings: BotSettings;
  adapter: CloudAdapter;
  references: ConversationReferences;
  approvalCards: ApprovalCardMessages;
  refusals: BotRefusals;
  state: BotState;
}

let building: Promise<BotRuntime> | undefined;

/** Built on first use; a failure is not cached, so a fixed setting is picked up next time. */
export function botRuntime(): Promise<BotRuntime> {
  if (!building) {
    building = build().catch((error: unknown) => {
      building = undefined;
      throw error;
    });
  }
  return building;
}

async function build(): Promise<BotRuntime> {
  const services = await courierServices();
  const settings = botSettingsFromEnvironment(process.env);
  const state = new BotState(await services.openTable(settings.tableName));
  return {
    services,
    settings,
    adapter: createBotAdapter(settings.auth, services.settings.caPem),
    references: new ConversationReferences(state),
    approvalCards: new ApprovalCardMessages(state),
    refusals: new BotRefusals(state),
    state,
  };
}
