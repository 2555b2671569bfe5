import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { err, fail, out } from '../command-line-output.ts';
import { cardGallery } from './card-gallery.ts';

const USAGE = `npm run cards -- --out DIR

Writes every Adaptive Card the bot can send, in every state, with sample data: one JSON file per
card, named after it. Paste one into https://adaptivecards.microsoft.com/designer to see it.`;

let values;
try {
  values = parseArgs({ options: { out: { type: 'string' }, help: { type: 'boolean' } } }).values;
} catch (error) {
  fail(`${(error as Error).message}\n\n${USAGE}`);
}
if (values.help) {
  out(USAGE);
} else {
  if (!values.out) fail(`--out DIR is required.\n\n${USAGE}`);
  const directory = resolve(values.out);
  await mkdir(directory, { recursive: true });
  const cards = cardGallery();
  for (const [name, card] of cards) {
    await writeFile(join(directory, `${name}.json`), `${JSON.stringify(card, null, 2)}\n`);
  }
  out(directory);
  err(`${cards.size} cards written.`);
}
