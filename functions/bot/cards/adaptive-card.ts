/**
 * The Adaptive Card shapes the bot sends (schema 1.5, the newest Teams renders), and small
 * builders so each card file reads as its layout. Only properties of the 1.5 schema appear, plus
 * `msteams` at the card's root (Teams' own extension, checked separately by the gallery tests).
 */
export type CardElement = { type: string } & Record<string, unknown>;

export interface ExecuteAction {
  type: 'Action.Execute';
  title: string;
  verb: string;
  data: Record<string, unknown>;
  id?: string;
  style?: 'positive' | 'destructive';
  associatedInputs?: 'auto' | 'none';
}

export interface OpenUrlAction {
  type: 'Action.OpenUrl';
  title: string;
  url: string;
}

export type CardAction = ExecuteAction | OpenUrlAction;

export interface AdaptiveCard {
  type: 'AdaptiveCard';
  $schema: string;
  version: '1.5';
  body: CardElement[];
  actions?: CardAction[];
  /** Universal Actions: who gets a fresh, personal view when the card is shown. */
  refresh?: { action: ExecuteAction; userIds?: string[] };
  msteams?: { width: 'Full' };
}

export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';

export function adaptiveCard(
  body: CardElement[],
  actions: CardAction[] = [],
  refresh?: AdaptiveCard['refresh'],
): AdaptiveCard {
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    body,
    ...(actions.length > 0 ? { actions } : {}),
    ...(refresh ? { refresh } : {}),
    msteams: { width: 'Full' },
  };
}

export function heading(text: string): CardElement {
  return {
    type: 'TextBlock',
    text,
    size: 'Medium',
    weight: 'Bolder',
    wrap: true,
    style: 'heading',
  };
}

export function paragraph(text: string, options: { subtle?: boolean; color?: string } = {}) {
  return {
    type: 'TextBlock',
    text,
    wrap: true,
    ...(options.subtle ? { isSubtle: true } : {}),
    ...(options.color ? { color: options.color } : {}),
  } satisfies CardElement;
}

export function facts(pairs: [title: string, value: string | undefined][]): CardElement {
  return {
    type: 'FactSet',
    facts: pairs.flatMap(([title, value]) => (value ? [{ title, value }] : [])),
  };
}

export function execute(
  title: string,
  verb: string,
  data: Record<string, unknown>,
  options: { style?: 'positive' | 'destructive'; inputs?: boolean } = {},
): ExecuteAction {
  return {
    type: 'Action.Execute',
    title,
    verb,
    data,
    ...(options.style ? { style: options.style } : {}),
    ...(options.inputs === false ? { associatedInputs: 'none' } : {}),
  };
}

/**
 * A date as Teams shows it in the reader's own time zone and language (the card "DATE()" and
 * "TIME()" functions of TextBlock), so "decided when" is right for everyone who sees the card.
 */
export function when(iso: string): string {
  const at = iso.replace(/\.\d+Z$/, 'Z');
  return `{{DATE(${at}, SHORT)}} {{TIME(${at})}}`;
}
