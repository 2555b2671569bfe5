import { execFileSync } from 'node:child_process';

/**
 * A detached tmux session running one command, read the way an operator sees it: the visible
 * screen plus scrollback, as plain text. Keys are typed into it as a person would.
 */
export class TmuxSession {
  readonly name: string;

  constructor(name: string, command: string, env: Record<string, string>, cwd: string) {
    this.name = name;
    const exports = Object.entries(env)
      .map(([k, v]) => `export ${k}='${v.replace(/'/g, `'\\''`)}';`)
      .join(' ');
    execFileSync('tmux', [
      'new-session',
      '-d',
      '-s',
      name,
      '-x',
      '200',
      '-y',
      '60',
      '-c',
      cwd,
      `${exports} ${command}; echo "EXIT=$?"; sleep 600`,
    ]);
  }

  screen(): string {
    return execFileSync('tmux', ['capture-pane', '-p', '-J', '-S', '-2000', '-t', this.name], {
      encoding: 'utf8',
    });
  }

  type(text: string): void {
    execFileSync('tmux', ['send-keys', '-t', this.name, '-l', text]);
    execFileSync('tmux', ['send-keys', '-t', this.name, 'Enter']);
  }

  /** Waits until the screen matches, and returns the match. */
  async waitFor(pattern: RegExp, timeoutMs = 30_000, after = 0): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = this.screen();
      const found = pattern.exec(text.slice(after));
      if (found) return found;
      if (Date.now() > deadline)
        throw new Error(`tmux ${this.name}: no ${pattern} on the screen:\n${text}`);
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  }

  kill(): void {
    try {
      execFileSync('tmux', ['kill-session', '-t', this.name], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
}
