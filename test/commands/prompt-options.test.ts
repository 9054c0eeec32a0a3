/** argv → the typed options `gpt chat` and `gpt run` work with (commander's result is read once, in the command). */
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseChatOptions } from '../../src/commands/chat.js';
import { parseRunOptions } from '../../src/commands/run.js';
import { buildProgram } from '../../src/program.js';

/** What commander hands a command's action: its positional arguments and its options with the globals. */
function parsed(argv: string[]): { positional: unknown[]; flags: Record<string, unknown> } {
  const program = buildProgram();
  let seen: { positional: unknown[]; flags: Record<string, unknown> } | undefined;
  for (const cmd of program.commands) {
    cmd.action((...args: unknown[]) => {
      const self = args.at(-1) as Command;
      seen = { positional: args.slice(0, -2), flags: self.optsWithGlobals() };
    });
  }
  program.parse(argv, { from: 'user' });
  return seen!;
}

describe('gpt chat options', () => {
  it('defaults: nothing shown differently, nothing set', () => {
    const { positional, flags } = parsed(['chat', 'hello', 'there']);
    expect(parseChatOptions(positional, flags)).toEqual({
      message: ['hello', 'there'],
      validate: true,
      config: {},
      generation: {},
      display: { json: false, quiet: false, raw: false, verbose: false, color: true },
      tools: { tools: [], mcp: [], yes: false },
      continue: false,
      interactive: false,
      compact: false,
      attach: [],
      chunk: false,
    });
  });

  it('conversation flags: -c, --cid, -i, --compact, --no-save (absent: config decides)', () => {
    const { positional, flags } = parsed(['chat', '-c', '--cid', '01JD3', '-i', '--compact', '--no-save']);
    expect(parseChatOptions(positional, flags)).toMatchObject({ continue: true, cid: '01JD3', interactive: true, compact: true, save: false });
    expect(parseChatOptions(...Object.values(parsed(['chat', '--save', 'x'])) as [unknown[], Record<string, unknown>]).save).toBe(true);
    expect('save' in parseChatOptions(...Object.values(parsed(['chat', 'x'])) as [unknown[], Record<string, unknown>])).toBe(false);
  });

  it('every flag lands in its typed place', () => {
    const { positional, flags } = parsed([
      '--json', '-q', '--no-color', '-v', '-p', 'ollama', '-m', 'llama3', '--base-url', 'http://127.0.0.1:1/v1', '--config', 'c.json',
      'chat', '--raw', '--no-validate', '--max-cost', '0.5', '--schema', 's.json', '-s', 'be brief', '--temperature', '0.2', '--timeout', '9', '--stop', 'A', '--no-stream',
      '-a', 'x.png', '--attach', '-', '--detail', 'low', '--chunk', '--chunk-tokens', '900', 'hi',
    ]);
    expect(parseChatOptions(positional, flags)).toEqual({
      message: ['hi'],
      validate: false,
      config: { config: 'c.json', profile: 'ollama', model: 'llama3', baseUrl: 'http://127.0.0.1:1/v1' },
      generation: { system: 'be brief', temperature: 0.2, timeoutSeconds: 9, stop: ['A'], stream: false },
      display: { json: true, quiet: true, raw: true, verbose: true, color: false },
      maxCost: 0.5,
      schemaFile: 's.json',
      tools: { tools: [], mcp: [], yes: false },
      continue: false,
      interactive: false,
      compact: false,
      attach: ['x.png', '-'],
      detail: 'low',
      chunk: true,
      chunkTokens: 900,
    });
  });

  it('tool flags: -T and --mcp repeat, --yes, --max-tool-rounds', () => {
    const { positional, flags } = parsed(['chat', '-T', 'weather', '--tool', 'tools/x.yaml', '--mcp', 'node srv.js', '--mcp', 'fs', '--yes', '--max-tool-rounds', '3', 'hi']);
    expect(parseChatOptions(positional, flags).tools).toEqual({ tools: ['weather', 'tools/x.yaml'], mcp: ['node srv.js', 'fs'], yes: true, maxToolRounds: 3 });
  });
});

describe('gpt run options', () => {
  it('the template, its variables, --dry-run and --no-validate', () => {
    const { positional, flags } = parsed(['run', 'explain', '--var', 'a=1', '--var', 'b=@f.txt', '--vars', 'v.json', '--dry-run', '--no-validate', '--max-output-tokens', '50']);
    expect(parseRunOptions(positional, flags)).toMatchObject({
      template: 'explain',
      vars: ['a=1', 'b=@f.txt'],
      varsFile: 'v.json',
      dryRun: true,
      validate: false,
      generation: { maxOutputTokens: 50 },
    });
  });

  it('validates by default and takes no --vars unless given', () => {
    const { positional, flags } = parsed(['run', 'explain']);
    const o = parseRunOptions(positional, flags);
    expect(o).toMatchObject({ template: 'explain', vars: [], dryRun: false, validate: true });
    expect('varsFile' in o).toBe(false);
  });

  it('a blank template name is a usage error (exit 2)', () => {
    expect(() => parseRunOptions(['  '], {})).toThrow(expect.objectContaining({ kind: 'usage', message: 'gpt run needs a template name or path (see gpt templates)' }));
  });
});
