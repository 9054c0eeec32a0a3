/**
 * bin/gpt.js answers `--version` and `--help` from dist/static.js without loading commander: what it prints
 * must be exactly what the commander program prints (dist/cli.js), so help edits in src/ flow through the build.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../src/program.js';
import { runCli } from './support/cli.js';
import { hasScript } from './support/pty.js';

const CLI = resolve(import.meta.dirname, '../dist/cli.js');
const commander = (flag: string) => execFileSync(process.execPath, [CLI, flag], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });

describe('the --version / --help fast path', () => {
  it('--version prints the package version, as commander does', async () => {
    const pkg = JSON.parse(readFileSync(resolve(import.meta.dirname, '../package.json'), 'utf8')) as { version: string };
    const result = await runCli(['--version']);
    expect(result).toMatchObject({ code: 0, stderr: '', stdout: `${pkg.version}\n` });
    expect(result.stdout).toBe(commander('--version'));
  });

  it.each(['--help', '-h'])('%s prints the help commander renders for a pipe, byte for byte', async (flag) => {
    const result = await runCli([flag]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('Usage: gpt [options] [command]');
    expect(result.stdout).toBe(commander('--help'));
  });

  it('dist/static.json names every command, for bin/gpt.js to find the command after global flags', () => {
    const stat = JSON.parse(readFileSync(resolve(import.meta.dirname, '../dist/static.json'), 'utf8')) as { commands: string[] };
    expect(stat.commands).toEqual(buildProgram().commands.map((c) => c.name()));
  });

  it('is taken only for the bare flag: anything after it goes through commander', async () => {
    const result = await runCli(['--help', 'chat']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: gpt [options] [command]');
    const sub = await runCli(['chat', '--help']);
    expect(sub.stdout).toContain('Usage: gpt chat [options] [message...]');
  });

  it.skipIf(!hasScript)('on a terminal at least 80 columns wide, --help is the same 80-column help, from the build or from commander', () => {
    const onTerminal = (cols: number, argv: string[]) =>
      execFileSync('script', ['-qfec', `stty cols ${cols} rows 50; exec ${[process.execPath, ...argv].map((a) => `'${a}'`).join(' ')}`, '/dev/null'], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '', NO_COLOR: '1' },
      }).replace(/\r\n/g, '\n');
    const expected = commander('--help');
    expect(onTerminal(132, [resolve(import.meta.dirname, '../bin/gpt.js'), '--help'])).toBe(expected);
    expect(onTerminal(132, [CLI, '--help'])).toBe(expected);
    const chat = onTerminal(132, [CLI, 'chat', '--help']);
    expect(Math.max(...chat.split('\n').map((l) => l.length))).toBeLessThanOrEqual(80);
  });
});
