import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listTemplatesCommand } from '../../src/commands/templates.js';

const root = mkdtempSync(join(tmpdir(), 'gpt-tpl-cmd-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const cwd = join(root, 'project');
const team = join(root, 'team');
mkdirSync(join(cwd, 'prompts'), { recursive: true });
mkdirSync(team, { recursive: true });
writeFileSync(
  join(cwd, 'prompts', 'translate.md'),
  '---\ndescription: Translate text\nvars:\n  lang: {description: target language}\n  text: {default: "{{input}}", description: the text}\n---\n{{lang}}: {{text}}',
);
writeFileSync(join(team, 'joke.md'), '---\ndescription: |\n  Tell a joke\n  (second line)\n---\nA joke about {{topic}}, please.');
const where = { cwd, templatePaths: [team], configDir: join(root, 'cfg'), builtinDir: null, trust: { dirs: [realpathSync(cwd)], untrustedPaths: [] } };

function capture() {
  const io = { stdout: '', stderr: '' };
  return { io, sink: { out: (t: string) => void (io.stdout += t), err: (t: string) => void (io.stderr += t) } };
}

describe('gpt templates', () => {
  it('prints a table: name, where found, description, then the variables', async () => {
    const { io, sink } = capture();
    expect(await listTemplatesCommand(where, { json: false }, sink)).toBe(0);
    const pad = ' '.repeat(team.length - 'FOUND IN'.length);
    expect(io.stdout).toBe(
      [
        `NAME       FOUND IN${pad}  DESCRIPTION / VARIABLES`,
        `translate  ./prompts${' '.repeat(team.length - 9)}  Translate text`,
        `           ${' '.repeat(team.length)}  vars: lang (required); text = "{{input}}"`,
        `joke       ${team}  Tell a joke`,
        `           ${' '.repeat(team.length)}  vars: topic (required)`,
        '',
      ].join('\n'),
    );
    expect(io.stderr).toBe('');
  });

  it('prints JSON with --json', async () => {
    const { io, sink } = capture();
    expect(await listTemplatesCommand(where, { json: true }, sink)).toBe(0);
    expect(JSON.parse(io.stdout)).toEqual({
      templates: [
        {
          name: 'translate',
          description: 'Translate text',
          path: join(cwd, 'prompts', 'translate.md'),
          found_in: './prompts',
          trusted: true,
          shadows: [],
          vars: [
            { name: 'lang', required: true, default: null, description: 'target language' },
            { name: 'text', required: false, default: '{{input}}', description: 'the text' },
          ],
        },
        {
          name: 'joke',
          description: 'Tell a joke\n(second line)',
          path: join(team, 'joke.md'),
          found_in: team,
          trusted: true,
          shadows: [],
          vars: [{ name: 'topic', required: true, default: null, description: null }],
        },
      ],
    });
  });

  it('lists the good templates, reports broken ones on stderr and exits 2', async () => {
    const dir = join(root, 'broken');
    mkdirSync(dir);
    writeFileSync(join(dir, 'bad.md'), '---\nvars: [\n---\nx');
    const { io, sink } = capture();
    expect(await listTemplatesCommand({ ...where, templatePaths: [team, dir] }, { json: true }, sink)).toBe(2);
    expect(JSON.parse(io.stdout).templates.map((t: { name: string }) => t.name)).toEqual(['translate', 'joke']);
    expect(io.stderr).toMatch(new RegExp(`^gpt: ${join(dir, 'bad.md')}:2: bad YAML in front matter: `));
  });

  it('says on stderr when there are no templates', async () => {
    const { io, sink } = capture();
    const empty = { cwd: join(root, 'empty'), templatePaths: [], configDir: join(root, 'cfg'), builtinDir: null };
    expect(await listTemplatesCommand(empty, { json: false }, sink)).toBe(0);
    expect(io.stdout).toBe('');
    expect(io.stderr).toBe(`no templates found (looked in: ./prompts, ${join(root, 'cfg', 'prompts')})\n`);
  });
});
