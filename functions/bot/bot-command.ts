/** What a person can ask the bot in a chat message. */
export const BotCommand = {
  RequestKey: 'request-key',
  MyRequests: 'my-requests',
  ReportLost: 'report-lost',
  Cancel: 'cancel',
  Help: 'help',
} as const;
export type BotCommand = (typeof BotCommand)[keyof typeof BotCommand];

// Checked in order: "cancel my request" is a cancel, "report a lost key" is not a new request.
const PATTERNS: [BotCommand, RegExp][] = [
  [BotCommand.ReportLost, /\b(lost|stolen|missing)\b/],
  [BotCommand.Cancel, /\b(cancel|withdraw)\b/],
  [BotCommand.MyRequests, /\b(my requests?|status|where)\b/],
  [BotCommand.RequestKey, /\b(request|new|need|want|order)\b.*\bkey\b|^request\b/],
  [BotCommand.Help, /^(help|\?|hi|hello|hey)\b/],
];

/**
 * The command in a chat message, or undefined. Teams puts `<at>Bot</at>` mentions in the text
 * (group chats), so markup is dropped first; matching ignores case and punctuation.
 */
export function parseCommand(text: string | undefined): BotCommand | undefined {
  const plain = (text ?? '')
    .replace(/<at>[^<]*<\/at>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}?]+/gu, ' ')
    .trim();
  if (!plain) return undefined;
  return PATTERNS.find(([, pattern]) => pattern.test(plain))?.[0];
}
