import { say, type Strings } from '../bot-strings.ts';
import { BotVerb } from '../bot-verbs.ts';
import { adaptiveCard, execute, heading, paragraph, type AdaptiveCard } from './adaptive-card.ts';

/** Sent when the app is installed, and in answer to "help" (without the greeting). */
export function welcomeCard(strings: Strings, name: string | undefined): AdaptiveCard {
  return adaptiveCard(
    [
      heading(name ? say(strings, 'welcome', { name }) : strings.helpTitle),
      paragraph(strings.help),
    ],
    [
      execute(strings.requestFormTitle, BotVerb.ShowRequestForm, {}),
      execute(strings.myRequestsTitle, BotVerb.MyRequests, {}),
    ],
  );
}
