/** Help that teaches (#12): examples on every command, environment/profiles/exit codes, did-you-mean, flags before or after the command. */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { EXAMPLES } from '../src/commands/help-text.js';
import { BUILTIN_PROFILES } from '../src/config/builtins.js';
import { type ErrorKind, exitCodeFor } from '../src/domain/index.js';
import { buildProgram } from '../src/program.js';
import { runCli } from './support/cli.js';

/** The program with every command's output captured and its actions replaced by a recorder. */
function quiet(): { program: Command; out: () => string; err: () => string; ran: Array<{ name: string; opts: Record<string, unknown>; args: string[] }> } {
  const program = buildProgram();
  let out = '';
  let err = '';
  const ran: Array<{ name: string; opts: Record<string, unknown>; args: string[] }> = [];
  const output = { writeOut: (t: string) => void (out += t), writeErr: (t: string) => void (err += t), outputError: (t: string, write: (s: string) => void) => write(t) };
  for (const cmd of [program, ...program.commands]) {
    cmd.exitOverride().configureOutput(output);
    if (cmd !== program) cmd.action((...args: unknown[]) => void ran.push({ name: cmd.name(), opts: cmd.optsWithGlobals(), args: cmd.args }));
  }
  return { program, out: () => out, err: () => err, ran };
}

async function helpOf(argv: string[]): Promise<string> {
  const q = quiet();
  await expect(q.program.parseAsync(argv, { from: 'user' })).rejects.toMatchObject({ code: 'commander.helpDisplayed' });
  return q.out();
}

/** A shell line's words, quotes removed, minus what comes before the last pipe and any redirection. */
function words(line: string): string[] {
  const afterPipe = line.slice(line.lastIndexOf('| ') + 1).replace(/^.*\$\(/, '').replace(/\)"?$/, '');
  const tokens = afterPipe.match(/"[^"]*"|'[^']*'|\S+/g) ?? [];
  const out: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i] === '<' || tokens[i] === '>') i++;
    else out.push(tokens[i]!.replace(/^["']|["']$/g, ''));
  }
  return out;
}

describe('every command teaches by example', () => {
  const names = buildProgram().commands.map((c) => c.name());

  it.each(names)('gpt %s --help ends with 2-4 examples', async (name) => {
    const help = await helpOf([name, '--help']);
    const tail = help.slice(help.lastIndexOf('\nExamples:\n'));
    expect(tail.startsWith('\nExamples:\n')).toBe(true);
    const lines = tail.split('\n').filter((l) => l.startsWith('  $ '));
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.length).toBeLessThanOrEqual(4);
    expect(help.trimEnd().endsWith(tail.trimEnd())).toBe(true);
  });

  it.each(Object.entries(EXAMPLES))('the %s examples parse: the command exists and every flag is one it takes', async (name, examples) => {
    for (const [line] of examples) {
      const argv = words(line);
      expect(argv[0]).toBe('gpt');
      const q = quiet();
      await q.program.parseAsync(argv.slice(1), { from: 'user' });
      expect(q.err()).toBe('');
      expect(q.ran.map((r) => r.name)).toEqual([name]);
    }
  });

  it('gpt --help names the environment, the built-in profiles and every exit code', async () => {
    const help = await helpOf(['--help']);
    const section = (title: string) => help.slice(help.indexOf(`\n${title}`), help.indexOf('\n\n', help.indexOf(`\n${title}`) + 1));
    const env = section('Environment:');
    for (const name of ['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'GPT_PROFILE', 'GPT_MODEL']) expect(env).toContain(name);
    // Every variable the config and terminal code reads is listed.
    const sources = ['src/config', 'src/ui'].flatMap((dir) => readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => readFileSync(join(dir, f), 'utf8')));
    const read = new Set(sources.flatMap((text) => [...text.matchAll(/\benv(?:\.|\[')([A-Z][A-Z_]+)/g)].map((m) => m[1]!)));
    read.delete('HOME');
    read.delete('TERM');
    read.delete('CI');
    expect(read.size).toBeGreaterThan(5);
    for (const name of read) expect(env, name).toContain(name);
    const profiles = section('Profiles');
    for (const name of Object.keys(BUILTIN_PROFILES)) expect(profiles).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
    const codes = section('Exit codes:');
    const kinds: ErrorKind[] = ['internal', 'usage', 'config', 'auth', 'rate_limit', 'budget', 'api', 'batch_failed', 'output', 'interrupted'];
    for (const code of [0, ...kinds.map(exitCodeFor)]) expect(codes).toMatch(new RegExp(`^  ${code} +\\S`, 'm'));
  });

  it('every help fits 80 columns (the width of a pipe, and of the static help bin/gpt.js prints)', async () => {
    for (const name of ['', ...names]) {
      const help = await helpOf(name ? [name, '--help'] : ['--help']);
      for (const line of help.split('\n')) expect(line.length, `${name || 'gpt'} --help: ${line}`).toBeLessThanOrEqual(80);
    }
  });

  it('defaults are shown one way everywhere: "(default: X)"', async () => {
    for (const name of ['', ...names]) {
      const help = await helpOf(name ? [name, '--help'] : ['--help']);
      const options = help.slice(help.indexOf('Options:'), help.indexOf('\n\n', help.indexOf('Options:')));
      expect(options, name).not.toMatch(/default [^:]|default: "/);
    }
    expect(await helpOf(['batch', '--help'])).toMatch(/--concurrency <n> +requests in flight \(default: 8\)/);
    expect(await helpOf(['cost', '--help'])).toMatch(/default: live\)/);
  });

  it('--no-color says it also turns off rendering; chat takes --no-validate like run', async () => {
    expect(await helpOf(['--help'])).toMatch(/--no-color +no colour, and the answer printed raw/);
    const q = quiet();
    await q.program.parseAsync(['chat', '--no-validate', 'hi'], { from: 'user' });
    expect(q.ran[0]!.opts.validate).toBe(false);
    expect(await helpOf(['chat', '--help'])).toContain('--no-validate');
  });
});

describe('global flags before or after the command', () => {
  it.each([
    [['--timeout', '2', '--temperature', '0.5', 'chat', 'hi']],
    [['chat', '--timeout', '2', '--temperature', '0.5', 'hi']],
    [['-p', 'simulate', 'chat', '--timeout', '2', '--temperature', '0.5', 'hi']],
    [['--temperature', '0.5', 'chat', 'hi', '--timeout', '2', '-p', 'simulate']],
  ])('gpt %j', async (argv) => {
    const q = quiet();
    await q.program.parseAsync(argv, { from: 'user' });
    expect(q.err()).toBe('');
    expect(q.ran).toHaveLength(1);
    expect(q.ran[0]).toMatchObject({ name: 'chat', opts: { timeout: 2, temperature: 0.5 }, args: ['hi'] });
  });

  it('a bad value before the command is refused as after it', async () => {
    const q = quiet();
    await expect(q.program.parseAsync(['--temperature', '5', 'chat', 'hi'], { from: 'user' })).rejects.toThrow();
    expect(q.err()).toContain('--temperature takes a number from 0 to 2');
    expect(q.ran).toHaveLength(0);
  });
});

describe('gpt alone and typos (the built CLI)', () => {
  it('gpt with no arguments prints an overview on stdout and exits 0', async () => {
    const r = await runCli([]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(/^gpt \d+\.\d+\.\d+ — /);
    expect(r.stdout).toContain('gpt chat');
    expect(r.stdout).toContain('OPENAI_API_KEY');
    expect(r.stdout.split('\n').length).toBeLessThan(20);
    expect(r.stdout.split('\n').filter((line) => line.length > 80)).toEqual([]);
  });

  it.each([
    [['chta', 'hi'], 2, /unknown command 'chta'\n\(Did you mean chat\?\)/],
    [['chat', '--timout', '2', 'hi'], 2, /unknown option '--timout'\n\(Did you mean --timeout\?\)/],
    [['-p', 'opnai', 'chat', 'hi'], 3, /unknown profile 'opnai'.*did you mean 'openai'\?/],
    [['run', 'summarise'], 2, /unknown template 'summarise'.*did you mean 'summarize'\?/],
    [['cost', 'hello', '-m', 'gpt-5-mnii'], 0, /no price known for gpt-5-mnii \(did you mean 'gpt-5-mini'\?\)/],
  ])('gpt %j suggests the closest name', async (argv, code, message) => {
    const r = await runCli(argv);
    expect(r.stderr + r.stdout).toMatch(message);
    expect(r.code).toBe(code);
  });

  it('a simulated chat with a mistyped model says which model was meant', async () => {
    const r = await runCli(['-p', 'simulate', '-m', 'gpt-5-mnii', '--max-output-tokens', '5', 'chat', 'hi']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("no price known for model 'gpt-5-mnii' (did you mean 'gpt-5-mini'?)");
  });
});
