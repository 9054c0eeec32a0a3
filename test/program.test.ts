/** program.ts in-process: argv → option tables (as commander leaves them for the commands), and the one error → exit code place. */
import type { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { GptError } from '../src/domain/index.js';
import { buildProgram, reportError } from '../src/program.js';

function sub(name: string): Command {
  const program = buildProgram();
  program.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  const cmd = program.commands.find((c) => c.name() === name)!;
  cmd.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  return cmd;
}

const optsOf = (name: string, argv: string[]) => {
  const cmd = sub(name);
  cmd.parseOptions(argv);
  return cmd.opts();
};

describe('argv → options', () => {
  it('generation flags arrive typed, repeatable ones as lists', () => {
    expect(optsOf('chat', ['--temperature', '0.2', '--max-output-tokens', '77', '--stop', 'A', '--stop', 'B', '--effort', 'high', '--api', 'responses'])).toMatchObject({
      temperature: 0.2,
      maxOutputTokens: 77,
      stop: ['A', 'B'],
      effort: 'high',
      api: 'responses',
    });
  });

  it('stream is undefined unless asked for, so config defaults can apply; --no-stream is false', () => {
    expect(optsOf('chat', []).stream).toBeUndefined();
    expect(optsOf('chat', ['--no-stream']).stream).toBe(false);
  });

  it('chat, run and batch take the same generation flags; cost takes its own --max-output-tokens', () => {
    const flags = (name: string) => sub(name).options.map((o) => o.long);
    for (const flag of ['--temperature', '--top-p', '--effort', '--schema', '--max-cost', '--timeout', '--retries']) {
      expect(flags('chat')).toContain(flag);
      expect(flags('run')).toContain(flag);
      expect(flags('batch')).toContain(flag);
    }
    expect(flags('cost')).toContain('--max-output-tokens');
  });

  it.each([
    ['chat', ['--temperature', '3'], '--temperature takes a number from 0 to 2'],
    ['chat', ['--effort', 'max'], 'Allowed choices are none, minimal, low, medium, high, xhigh'],
    ['batch', ['--concurrency', '0'], '--concurrency takes a whole number from 1 to 10000'],
  ])('%s %j is refused: %s', (name, argv, message) => {
    const cmd = sub(name);
    let said = '';
    cmd.configureOutput({ writeErr: (t) => void (said += t), writeOut: () => {} });
    expect(() => cmd.parseOptions(argv)).toThrow();
    expect(said).toContain(message);
  });
});

describe('reportError: the one place an error becomes a message and an exit code', () => {
  const written: string[] = [];
  afterEach(() => {
    written.length = 0;
    vi.restoreAllMocks();
  });
  const capture = () => vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (written.push(String(chunk)), true));

  it.each([
    ['usage', 2],
    ['config', 3],
    ['auth', 4],
    ['rate_limit', 5],
    ['budget', 6],
    ['api', 7],
    ['batch_failed', 8],
    ['output', 9],
    ['interrupted', 130],
  ] as const)('a %s error exits %i with one line', (kind, code) => {
    capture();
    expect(reportError(new GptError(kind, 'what went wrong'), false)).toBe(code);
    expect(written).toEqual(['gpt: what went wrong\n']);
  });

  it('an unexpected error is exit 1, says it is a bug, and shows no stack unless --verbose', () => {
    capture();
    expect(reportError(new TypeError('x is undefined'), false)).toBe(1);
    expect(written.join('')).toBe('gpt: internal error: x is undefined\ngpt: this is a bug; run again with --verbose and report it\n');
  });

  it('control characters from a server never reach the terminal raw', () => {
    capture();
    reportError(new GptError('api', 'API error 500: \u001b]0;pwned\u0007\u001b[2J'), false);
    expect(written.join('')).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
    expect(written.join('')).toContain('\\x1b]0;pwned\\x07');
  });
});
