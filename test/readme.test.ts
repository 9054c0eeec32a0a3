/** The README names only commands and templates that exist (#12: its batch example used an unshipped `classify`). */
import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../src/program.js';

const root = resolve(import.meta.dirname, '..');
const readme = readFileSync(resolve(root, 'README.md'), 'utf8');
/** Fenced blocks and inline code: where the README shows what to type. */
const code = [...readme.matchAll(/```[\s\S]*?```/g), ...readme.matchAll(/`[^`\n]+`/g)].map((m) => m[0]);
const shipped = new Set(readdirSync(resolve(root, 'prompts')).filter((f) => f.endsWith('.md')).map((f) => f.replace(/\.md$/, '')));
/** Names the README uses on purpose as ones that do not exist (typos in "Help and first run", the "When input is wrong" table). */
const DELIBERATELY_UNKNOWN = new Set(['nope', 'chta', 'summarise']);

function commandsNamed(): Set<string> {
  const found = new Set<string>();
  // `gpt [global flags] <command>`: a flag may take a value (`-p simulate`, `--base-url http://…`).
  const pattern = /\bgpt((?: +--?[a-z][a-z-]*(?:[ =](?!-)\S+)?)*) +([a-z][a-z-]*)\b/g;
  for (const text of code) for (const m of text.matchAll(pattern)) found.add(m[2]!);
  return found;
}

function templatesNamed(): Set<string> {
  const found = new Set<string>();
  for (const text of code) {
    for (const m of text.matchAll(/(?:--template|(?<= )-t)[ =]([a-z0-9][a-z0-9_-]*)\b(?!\.|\/)/g)) found.add(m[1]!);
    for (const m of text.matchAll(/\bgpt run +([a-z0-9][a-z0-9_-]*)\b(?!\.|\/)/g)) found.add(m[1]!);
  }
  return found;
}

describe('README.md', () => {
  it('every `gpt <command>` it shows is a command', () => {
    const commands = new Set(buildProgram().commands.map((c) => c.name()));
    const named = commandsNamed();
    expect(named.size).toBeGreaterThanOrEqual(commands.size); // it shows them all, and the pattern finds them
    for (const name of named) if (!DELIBERATELY_UNKNOWN.has(name)) expect(commands, `gpt ${name}`).toContain(name);
  });

  it('every template it runs (--template NAME, -t NAME, gpt run NAME) is shipped in prompts/', () => {
    const named = templatesNamed();
    expect(named).toContain('classify');
    expect(named).toContain('summarize');
    for (const name of named) if (!DELIBERATELY_UNKNOWN.has(name)) expect(shipped, `template ${name}`).toContain(name);
  });

  it('the names it uses as typos really are unknown', () => {
    const commands = buildProgram().commands.map((c) => c.name());
    for (const name of DELIBERATELY_UNKNOWN) {
      expect(commands).not.toContain(name);
      expect(shipped.has(name)).toBe(false);
    }
  });

  it('lists every shipped template', () => {
    const list = readme.slice(readme.indexOf('Shipped in `prompts/`'), readme.indexOf('`gpt templates` lists'));
    for (const name of shipped) expect(list, name).toContain(`\`${name}\``);
  });
});
