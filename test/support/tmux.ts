/**
 * A real terminal for tests: a tmux server of its own (private socket, no status bar) with one pane of a fixed
 * size running a command; the screen is read back with `capture-pane` (with or without the styling sequences).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installed } from './installed.js';

export const hasTmux = installed('tmux', '-V');

export const shellQuote = (args: string[]): string => args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');

export class Tmux {
  readonly #socket = `gpt-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  readonly #dir = mkdtempSync(join(tmpdir(), 'gpt-tmux-'));
  readonly #env: Record<string, string>;
  #sessions = 0;

  constructor(env: Record<string, string>) {
    // The server's socket goes in our temp dir too, so close() leaves nothing behind.
    this.#env = { ...env, TMUX_TMPDIR: this.#dir };
    writeFileSync(join(this.#dir, 'tmux.conf'), 'set -g status off\nset -g history-limit 2000\n');
  }

  #tmux(args: string[]): string {
    return execFileSync('tmux', ['-u', '-L', this.#socket, '-f', join(this.#dir, 'tmux.conf'), ...args], { env: this.#env, encoding: 'utf8' });
  }

  /**
   * Runs `shell` (a sh command line) in a new width × height pane; resolves with the pane's name once it has been
   * started, and `done` once the command has exited (the pane stays open so its screen can still be read).
   */
  run(shell: string, { width = 120, height = 40 } = {}): { pane: string; done: Promise<void> } {
    const name = `s${++this.#sessions}`;
    const signal = `${name}-done`;
    const tail = `; tmux -L ${this.#socket} wait-for -S ${signal}; exec sleep 600`;
    this.#tmux(['new-session', '-d', '-s', name, '-x', String(width), '-y', String(height), `${shell}${tail}`]);
    // After the server exists; a signal sent before anyone waits is kept by tmux.
    const done = new Promise<void>((resolve, reject) => {
      const waiter = spawn('tmux', ['-L', this.#socket, 'wait-for', signal], { env: this.#env, stdio: 'ignore' });
      waiter.on('error', reject);
      waiter.on('exit', () => resolve());
    });
    return { pane: name, done };
  }

  /** The visible screen, one string per row, trailing blanks trimmed; `styled` keeps the SGR sequences. */
  screen(pane: string, { styled = false } = {}): string[] {
    const out = this.#tmux(['capture-pane', '-p', ...(styled ? ['-e'] : []), '-t', pane]);
    return out.replace(/\n$/, '').split('\n');
  }

  keys(pane: string, ...keys: string[]): void {
    this.#tmux(['send-keys', '-t', pane, ...keys]);
  }

  /** Polls the screen until `test` holds (a terminal cannot tell us when it changed); the last screen on timeout. */
  async waitFor(pane: string, test: (screen: string[]) => boolean, timeoutMs = 10_000): Promise<string[]> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const screen = this.screen(pane);
      if (test(screen) || Date.now() > until) return screen;
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  close(): void {
    try {
      this.#tmux(['kill-server']);
    } catch {
      // already gone
    }
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
