/** The pipeline's subscribers in-process: the answer on stdout, the JSON object, the stderr status lines and the usage-log writer. */
import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type PromptEvent, type PromptResult, fanOut } from '../../src/core/events.js';
import { usageLogWriter } from '../../src/core/log-usage.js';
import { answerPresenter } from '../../src/ui/answer.js';
import { jsonPresenter } from '../../src/ui/json-answer.js';
import { TerminalLine, sharesTerminal } from '../../src/ui/line.js';
import { statusPresenter } from '../../src/ui/status.js';

/** A stream that records each write(2) the presenter makes. */
function fakeStream(isTTY = false) {
  const writes: string[] = [];
  return { writes, isTTY, write: (chunk: string) => (writes.push(chunk), true) } as unknown as NodeJS.WriteStream & { writes: string[] };
}

const nextTurn = () => new Promise(setImmediate);

const result = (over: Partial<PromptResult> = {}): PromptResult => ({
  text: 'Hello.',
  model: 'gpt-5-mini-2025-08-07',
  usage: { input_tokens: 10, cached_input_tokens: 0, output_tokens: 2, reasoning_tokens: 0, total_tokens: 12, estimated: false },
  cost: { input_usd: 0.0000025, cached_input_usd: 0, output_usd: 0.000004, total_usd: 0.0000065, priced: true },
  finishReason: 'stop',
  accounted: true,
  latency: { totalMs: 1234.4, firstTokenMs: 300.6, generationMs: 900 },
  ...over,
});

const text = (t: string): PromptEvent => ({ type: 'text', text: t });

describe('the answer on stdout', () => {
  it('writes once per event-loop turn, the bytes as sent', async () => {
    const stdout = fakeStream();
    const sink = answerPresenter(stdout, { stdoutFailed: () => false });
    for (const t of ['a', 'b', 'c']) expect(sink(text(t))).toBeUndefined(); // synchronous on the hot path
    expect(stdout.writes).toEqual([]);
    await nextTurn();
    sink(text('d'));
    await nextTurn();
    expect(stdout.writes).toEqual(['abc', 'd']);
  });

  it('flushes at the end, and ends a terminal line the answer left open (never a pipe)', async () => {
    for (const [isTTY, expected] of [
      [true, ['x', '\n']],
      [false, ['x']],
    ] as const) {
      const stdout = fakeStream(isTTY);
      const sink = answerPresenter(stdout, { stdoutFailed: () => false });
      sink(text('x'));
      await sink({ type: 'finished', result: result({ text: 'x' }) });
      expect(stdout.writes).toEqual(expected);
    }
  });

  it('renders through the renderer and writes its last line at the end', async () => {
    const stdout = fakeStream(true);
    const renderer = { write: (t: string) => t.toUpperCase(), end: () => '<end>' };
    const sink = answerPresenter(stdout, { renderer, stdoutFailed: () => false });
    sink(text('one\n'));
    await sink({ type: 'failed', error: new Error('x'), result: result({ text: 'one\n' }) });
    expect(stdout.writes).toEqual(['ONE\n', '<end>']);
  });

  it('holds text that comes while the renderer is still loading, then renders it in order', async () => {
    const stdout = fakeStream(true);
    let loaded!: (r: { write: (t: string) => string; end: () => string }) => void;
    const renderer = new Promise<{ write: (t: string) => string; end: () => string }>((r) => (loaded = r));
    const sink = answerPresenter(stdout, { renderer, stdoutFailed: () => false });
    sink(text('a'));
    await nextTurn();
    sink(text('b'));
    await nextTurn();
    expect(stdout.writes).toEqual([]);
    loaded({ write: (t) => `[${t}]`, end: () => '<end>\n' });
    await nextTurn();
    expect(stdout.writes).toEqual(['[ab]']);
    await sink({ type: 'finished', result: result({ text: 'ab' }) });
    expect(stdout.writes).toEqual(['[ab]', '<end>\n']);
  });

  it('writes nothing more once stdout failed', async () => {
    const stdout = fakeStream(true);
    let failed = false;
    const sink = answerPresenter(stdout, { stdoutFailed: () => failed });
    sink(text('seen'));
    await nextTurn();
    failed = true;
    sink(text('lost'));
    await sink({ type: 'finished', result: result({ text: 'seenlost' }) });
    expect(stdout.writes).toEqual(['seen']);
  });
});

describe('--json', () => {
  it('prints one object when the answer finished, latency rounded', () => {
    const stdout = fakeStream();
    jsonPresenter(stdout, { profile: 'openai', stdoutFailed: () => false })({ type: 'finished', result: result() });
    expect(stdout.writes).toHaveLength(1);
    expect(JSON.parse(stdout.writes[0]!)).toEqual({
      model: 'gpt-5-mini-2025-08-07',
      profile: 'openai',
      text: 'Hello.',
      finish_reason: 'stop',
      usage: result().usage,
      cost: result().cost,
      latency: { first_token_ms: 301, total_ms: 1234 },
    });
  });

  it("prints a failed answer's part with finish_reason 'error', and nothing when no part came", () => {
    const stdout = fakeStream();
    const sink = jsonPresenter(stdout, { profile: 'openai', stdoutFailed: () => false });
    sink({ type: 'failed', error: new Error('x'), result: result({ text: '', accounted: false }) });
    expect(stdout.writes).toEqual([]);
    sink({ type: 'failed', error: new Error('x'), result: result({ text: 'half' }) });
    expect(JSON.parse(stdout.writes[0]!)).toMatchObject({ text: 'half', finish_reason: 'error' });
  });
});

describe('stderr around the answer', () => {
  it('shows warnings always, retries and the footer unless quiet, and no footer for an unaccounted prompt', () => {
    const lines = (quiet: boolean, events: PromptEvent[]) => {
      const stderr = fakeStream();
      const sink = statusPresenter(stderr, { quiet, color: false });
      for (const event of events) sink(event);
      return stderr.writes.join('');
    };
    const events: PromptEvent[] = [
      { type: 'warning', message: 'odd \u001b[2J frame' },
      { type: 'retry', attempt: 2, delayMs: 1500, reason: 'rate limited (429)' },
      text('Hello.'),
      { type: 'finished', result: result() },
    ];
    expect(lines(false, events)).toBe(
      'gpt: warning: odd \\x1b[2J frame\ngpt: warning: rate limited (429); retrying in 1.5s (attempt 2)\ngpt-5-mini-2025-08-07 · 10 in · 2 out · $0.0000065 · 1.2s · 2 tok/s\n',
    );
    expect(lines(true, events)).toBe('gpt: warning: odd \\x1b[2J frame\n');
    expect(lines(false, [{ type: 'failed', error: new Error('x'), result: result({ accounted: false }) }])).toBe('');
  });
});

describe('the footer starts a line of its own', () => {
  /** The answer and the footer as one terminal shows them, stdout's writes and stderr's in order. */
  async function shown(answer: string, line: TerminalLine, interrupt = false) {
    const seen: string[] = [];
    const stdout = { isTTY: false, write: (t: string) => (seen.push(t), true) } as unknown as NodeJS.WriteStream;
    const stderr = { isTTY: true, write: (t: string) => (seen.push(t), true) } as unknown as NodeJS.WriteStream;
    const sink = fanOut([answerPresenter(stdout, { stdoutFailed: () => false, line }), statusPresenter(stderr, { quiet: false, color: false, line })]);
    sink(text(answer));
    await nextTurn();
    if (interrupt) line.interrupted();
    await sink({ type: interrupt ? 'failed' : 'finished', error: new Error('interrupted'), result: result({ text: answer }) } as PromptEvent);
    return seen.join('');
  }
  const FOOTER = 'gpt-5-mini-2025-08-07 · 10 in';

  it('after a piped answer without a final newline, on the same terminal', async () => {
    expect(await shown('no newline', new TerminalLine(true, true))).toMatch(new RegExp(`^no newline\n${FOOTER}`));
    expect(await shown('ends\n', new TerminalLine(true, true))).toMatch(new RegExp(`^ends\n${FOOTER}`)); // no blank line
    expect(await shown('to a file', new TerminalLine(false, true))).toMatch(new RegExp(`^to a file${FOOTER}`)); // not on the terminal
  });

  it('after the ^C the terminal echoed, even at the start of a line', async () => {
    expect(await shown('line\n', new TerminalLine(true, true), true)).toMatch(new RegExp(`^line\n\n${FOOTER}`));
    expect(await shown('line\n', new TerminalLine(false, false), true)).toMatch(new RegExp(`^line\n${FOOTER}`)); // stderr not a terminal: no echo
  });

  it('a terminal answer still ends its line when a warning went to a stderr elsewhere mid-answer', async () => {
    const line = new TerminalLine(false, false);
    const stdout = fakeStream(true);
    const stderr = fakeStream(false);
    const sink = fanOut([answerPresenter(stdout, { stdoutFailed: () => false, line }), statusPresenter(stderr, { quiet: true, color: false, line })]);
    sink(text('the answer'));
    await nextTurn();
    sink({ type: 'warning', message: 'the answer was cut off at the output token limit' });
    await sink({ type: 'finished', result: result({ text: 'the answer' }) });
    expect(stdout.writes.join('')).toBe('the answer\n');
  });

  it('knows when stdout shows on stderr\'s terminal', () => {
    expect(sharesTerminal({ isTTY: true }, { isTTY: false })).toBe(false);
    expect(sharesTerminal({ isTTY: true }, { isTTY: true })).toBe(true);
    const file = join(mkdtempSync(join(tmpdir(), 'gpt-line-')), 'out.txt');
    writeFileSync(file, '');
    const fd = openSync(file, 'w');
    try {
      expect(sharesTerminal({ isTTY: false, fd }, { isTTY: true })).toBe(false); // a file is not a pipe
      // `> log 2>&1`: one file for both, so the footer must not continue the answer's last line.
      expect(sharesTerminal({ isTTY: false, fd }, { isTTY: false, fd })).toBe(true);
      const other = openSync(`${file}.err`, 'w');
      try {
        expect(sharesTerminal({ isTTY: false, fd }, { isTTY: false, fd: other })).toBe(false);
      } finally {
        closeSync(other);
      }
    } finally {
      closeSync(fd);
    }
  });
});

describe('the usage-log writer', () => {
  const entry = (stateDir: string) => ({ stateDir, command: 'run' as const, profile: 'openai', requestedModel: 'gpt-5-mini', template: 'explain', prices: null });
  const at = () => new Date(Date.UTC(2026, 11, 2, 12, 0, 0));

  it('appends one record for an answer that reached the model, none for one that did not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpt-log-'));
    const sink = usageLogWriter(entry(dir), () => {}, at);
    expect(sink(text('x'))).toBeUndefined();
    await sink({ type: 'failed', error: new Error('401'), result: result({ accounted: false }) });
    await sink({ type: 'finished', result: result() });
    const records = readFileSync(join(dir, 'usage.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(records).toEqual([
      {
        ts: '2026-12-02T12:00:00.000Z',
        command: 'run',
        profile: 'openai',
        model: 'gpt-5-mini-2025-08-07',
        requested_model: 'gpt-5-mini',
        template: 'explain',
        usage: result().usage,
        prices: null,
        cost: result().cost,
        latency_ms: 1234,
      },
    ]);
  });

  it('a log that cannot be written is a warning, never a failure', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'gpt-log-')), 'not-a-dir');
    writeFileSync(file, '');
    const warnings: string[] = [];
    await usageLogWriter(entry(file), (m) => warnings.push(m), at)({ type: 'finished', result: result() });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(new RegExp(`^could not write the usage log ${file}/usage\\.jsonl: .*\\((EEXIST|ENOTDIR)\\)$`));
  });
});

describe('fanOut', () => {
  it('hands each event to every sink in order; an async sink holds back the sinks after it', async () => {
    const seen: string[] = [];
    const sink = fanOut([
      (e) => void seen.push(`1:${e.type}`),
      (e) => (e.type === 'finished' ? new Promise<void>((r) => setTimeout(() => (seen.push('2:finished (later)'), r()), 5)) : undefined),
      (e) => void seen.push(`3:${e.type}`),
    ]);
    expect(sink(text('x'))).toBeUndefined();
    await sink({ type: 'finished', result: result() });
    expect(seen).toEqual(['1:text', '3:text', '1:finished', '2:finished (later)', '3:finished']);
  });
});
