/** What the terminal can show: colour and spinners only on a TTY; NO_COLOR / --no-color off, FORCE_COLOR on. */

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

/** Minimal SGR styling so the hot path never needs to import chalk. */
export function style(enabled: boolean) {
  const wrap = (open: number, close: number) => (text: string) => (enabled ? `\u001b[${open}m${text}\u001b[${close}m` : text);
  return { dim: wrap(2, 22), yellow: wrap(33, 39), red: wrap(31, 39), bold: wrap(1, 22), cyan: wrap(36, 39) };
}

