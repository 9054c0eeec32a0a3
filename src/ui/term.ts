/** What the terminal can show: colour and spinners only on a TTY; NO_COLOR / --no-color off, FORCE_COLOR on. */
import type { ChalkInstance } from 'chalk';

export interface TermOptions {
  color?: boolean; // commander's --no-color sets false
}

export function colorEnabled(stream: { isTTY?: boolean }, options: TermOptions, env: NodeJS.ProcessEnv = process.env): boolean {
  if (options.color === false) return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') return true;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return Boolean(stream.isTTY);
}

/** Spinners and redrawn lines only on a real terminal; a pty with no size (0 columns) would make them scroll forever. */
export function isInteractive(stream: { isTTY?: boolean; columns?: number }, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(stream.isTTY) && (stream.columns ?? 0) > 0 && env.TERM !== 'dumb' && !env.CI;
}

/** Styling through chalk; whether colour is on is decided here (colorEnabled), not by chalk's own detection. */
export function style(enabled: boolean): Style {
  return enabled && color ? color : PLAIN;
}

type Style = Pick<ChalkInstance, 'dim' | 'yellow' | 'red' | 'bold' | 'cyan'>;

const same = (text: string) => text;
const PLAIN: Style = { dim: same, yellow: same, red: same, bold: same, cyan: same } as unknown as Style;
let color: ChalkInstance | undefined;

/** Loads chalk (~25 ms) only for a run that will show colour; pipes, files and NO_COLOR never pay for it. */
export async function loadColor(): Promise<void> {
  const { Chalk } = await import('chalk');
  color = new Chalk({ level: 1 });
}
