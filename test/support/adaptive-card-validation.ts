import { AdaptiveCard, SerializationContext, ValidationEvent, Versions } from 'adaptivecards';

/**
 * Checks a card the way Teams' renderer reads it, strictly: the official object model
 * (`adaptivecards`) parses it as version 1.5 and every parse and validation event is an error;
 * then the card is written back, and any property the 1.5 object model did not keep is an error
 * too (the 1.5 schema forbids unknown properties). Teams' own `msteams` member is the one
 * exception, and it is checked here against what Teams accepts.
 */
export function validateAdaptiveCard(json: unknown): string[] {
  const problems: string[] = [];
  if (!isObject(json)) return ['The card is not a JSON object.'];
  const { msteams, ...standard } = json;
  if (msteams !== undefined) problems.push(...checkMsTeams(msteams));
  if (standard.version !== '1.5') problems.push(`version is ${String(standard.version)}, not 1.5.`);
  const context = new SerializationContext(Versions.v1_5);
  const card = new AdaptiveCard();
  card.parse(standard, context);
  for (let index = 0; index < context.eventCount; index++) {
    const event = context.getEventAt(index);
    problems.push(`parse: ${ValidationEvent[event.event]}: ${event.message}`);
  }
  const results = card.validateProperties();
  for (const event of results.validationEvents) {
    problems.push(`validate: ${ValidationEvent[event.event]}: ${event.message}`);
  }
  const written = card.toJSON(new SerializationContext(Versions.v1_5));
  problems.push(...droppedProperties(standard, written, '$'));
  return problems;
}

/** Teams reads `msteams.width` ("Full") and `msteams.entities` (mentions); nothing else. */
function checkMsTeams(value: unknown): string[] {
  if (!isObject(value)) return ['msteams must be an object.'];
  const problems: string[] = [];
  for (const [key, member] of Object.entries(value)) {
    if (key === 'width') {
      if (member !== 'Full') problems.push('msteams.width must be "Full".');
    } else if (key !== 'entities') {
      problems.push(`msteams.${key} is not a property Teams reads.`);
    }
  }
  return problems;
}

function droppedProperties(input: unknown, output: unknown, path: string): string[] {
  if (Array.isArray(input)) {
    if (!Array.isArray(output)) return [`${path} was dropped by the 1.5 object model.`];
    return input.flatMap((item, index) =>
      droppedProperties(item, output[index], `${path}[${index}]`),
    );
  }
  if (!isObject(input)) return [];
  if (!isObject(output)) return [`${path} was dropped by the 1.5 object model.`];
  return Object.entries(input).flatMap(([key, value]) =>
    key in output
      ? droppedProperties(value, output[key], `${path}.${key}`)
      : [`${path}.${key} is not an Adaptive Cards 1.5 property (or holds its default).`],
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
