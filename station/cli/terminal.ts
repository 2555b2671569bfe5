import { createInterface, type Interface } from 'node:readline';
import { redact } from './redact.ts';

const CODES = { red: 31, green: 32, yellow: 33, cyan: 36, bold: 1, dim: 2 } as const;
type Colour = keyof typeof CODES;

/**
 * The station's terminal: plain lines for people (colour only on a terminal, never with NO_COLOR),
 * or one JSON object per line with --json. Questions are asked one at a time, whichever key's
 * worker asks, and each names the key it is about. Everything printed goes through `redact`.
 */
export class Terminal {
  readonly json: boolean;
  readonly colour: boolean;
  private readonly out: NodeJS.WritableStream;
  private readonly input: NodeJS.ReadableStream;
  private lines: Interface | undefined;
  private asking: Promise<unknown> = Promise.resolve();
  private readonly pending: ((line: string) => void)[] = [];

  constructor(
    options: { json?: boolean; out?: NodeJS.WriteStream; input?: NodeJS.ReadableStream } = {},
  ) {
    this.json = options.json ?? false;
    const out = options.out ?? process.stdout;
    this.out = out;
    this.input = options.input ?? process.stdin;
    this.colour =
      !this.json && out.isTTY === true && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
  }

  paint(text: string, ...colours: Colour[]): string {
    if (!this.colour || colours.length === 0) return text;
    return `\x1b[${colours.map((c) => CODES[c]).join(';')}m${text}\x1b[0m`;
  }

  /** A line for people; with --json, an event object instead. */
  say(text: string, event?: Record<string, unknown>, ...colours: Colour[]): void {
    if (this.json) {
      if (event) this.out.write(`${redact(JSON.stringify(event))}\n`);
      return;
    }
    this.out.write(`${redact(this.paint(text, ...colours))}\n`);
  }

  error(text: string, event?: Record<string, unknown>): void {
    if (this.json) {
      this.out.write(`${redact(JSON.stringify({ event: 'error', message: text, ...event }))}\n`);
      return;
    }
    process.stderr.write(`${redact(this.colour ? `\x1b[31m${text}\x1b[0m` : text)}\n`);
  }

  /**
   * Asks one question and resolves with the answer line (trimmed). Questions queue up; one that
   * gets an invalid answer (`check` says why) is asked again before the next question.
   */
  ask(
    question: string,
    event?: Record<string, unknown>,
    check: (answer: string) => string | undefined = () => undefined,
  ): Promise<string> {
    const asked = this.asking.then(async () => {
      for (;;) {
        const answer = await this.askOnce(question, event);
        const problem = check(answer);
        if (problem === undefined) return answer;
        this.say(problem, { event: 'invalid-answer', message: problem, ...event });
      }
    });
    this.asking = asked.catch(() => undefined);
    return asked;
  }

  private askOnce(question: string, event?: Record<string, unknown>): Promise<string> {
    return new Promise<string>((resolve) => {
      if (this.json)
        this.out.write(`${JSON.stringify({ event: 'question', question, ...event })}\n`);
      else this.out.write(`${this.paint(question, 'bold')} `);
      this.pending.push(resolve);
      this.listen();
    });
  }

  close(): void {
    this.lines?.close();
    this.lines = undefined;
  }

  private listen(): void {
    if (this.lines) return;
    this.lines = createInterface({ input: this.input, terminal: false });
    this.lines.on('line', (line) => {
      const next = this.pending.shift();
      if (next) next(line.trim());
    });
  }
}
