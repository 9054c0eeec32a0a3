import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GptError } from '../../src/domain/index.js';
import { builtinPromptsDir, findTemplate, listTemplates, loadTemplate, templateDirs } from '../../src/templates/find.js';
import type { TemplateWhere } from '../../src/templates/types.js';

const root = mkdtempSync(join(tmpdir(), 'gpt-tpl-find-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const cwd = join(root, 'project');
const teamA = join(root, 'team-a');
const teamB = join(root, 'team-b');
const configDir = join(root, 'config', 'gpt');
const builtin = join(root, 'builtin');
const where: TemplateWhere = { cwd, templatePaths: [teamA, teamB], configDir, builtinDir: builtin };

const put = (dir: string, name: string, text = `---\ndescription: ${name} from ${dir}\n---\nbody`) => {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, name), text);
};
const project = join(cwd, 'prompts');
const user = join(configDir, 'prompts');
put(project, 'everywhere.md');
for (const dir of [teamA, teamB, user, builtin]) put(dir, 'everywhere.md');
for (const dir of [teamA, teamB, user, builtin]) put(dir, 'team.md');
for (const dir of [teamB, user, builtin]) put(dir, 'team-b-first.md');
for (const dir of [user, builtin]) put(dir, 'mine.md');
put(builtin, 'shipped.md');
put(join(cwd, 'other'), 'adhoc.md');
put(cwd, 'here.md');
put(project, 'notes.txt', 'not a template');

describe('findTemplate: lookup order', () => {
  it.each([
    ['everywhere', project],
    ['team', teamA],
    ['team-b-first', teamB],
    ['mine', user],
    ['shipped', builtin],
  ])('%s is found in %s', async (name, dir) => {
    const t = await findTemplate(name, where);
    expect(t.path).toBe(join(dir, `${name}.md`));
    expect(t.description).toBe(`${name}.md from ${dir}`);
  });

  it.each([
    ['other/adhoc.md', join(cwd, 'other', 'adhoc.md')],
    ['./other/adhoc', join(cwd, 'other', 'adhoc')],
    ['here.md', join(cwd, 'here.md')],
  ])('a value with a slash or ending in .md is a path from cwd: %s', async (value, path) => {
    if (path.endsWith('.md')) expect((await findTemplate(value, where)).path).toBe(path);
    else await expect(findTemplate(value, where)).rejects.toThrowError(new GptError('usage', `cannot read template ${path}: no such file`));
  });

  it('an absolute path works', async () => {
    const path = join(teamA, 'team.md');
    expect((await findTemplate(path, where)).path).toBe(path);
  });

  it('an unknown template is a usage error listing where it looked, with a suggestion', async () => {
    const looked = `./prompts, ${teamA}, ${teamB}, ${join(configDir, 'prompts')}, built-in`;
    await expect(findTemplate('nothing-like-it', where)).rejects.toThrowError(new GptError('usage', `unknown template 'nothing-like-it' (looked in: ${looked})`));
    await expect(findTemplate('mien', where)).rejects.toThrowError(new GptError('usage', `unknown template 'mien' (looked in: ${looked}); did you mean 'mine'?`));
  });

  it('skips folders that do not exist, and lists each folder once', async () => {
    const dirs = templateDirs({ cwd, templatePaths: [join(root, 'missing'), project, 'team-a-rel'], configDir, builtinDir: null });
    expect(dirs.map((d) => [d.dir, d.source])).toEqual([
      [project, 'project'],
      [join(root, 'missing'), 'templates.paths'],
      [resolve(cwd, 'team-a-rel'), 'templates.paths'],
      [user, 'user'],
    ]);
    expect((await findTemplate('mine', { cwd, templatePaths: [join(root, 'missing')], configDir, builtinDir: null })).path).toBe(join(user, 'mine.md'));
  });

  it('finds the templates shipped in the package', () => {
    expect(builtinPromptsDir()).toBe(resolve(import.meta.dirname, '../../prompts'));
  });
});

describe('listTemplates', () => {
  it('lists every name once, the first on the search path winning, in search order', async () => {
    const found = await listTemplates(where);
    expect(found.map((f) => [f.template.name, f.foundIn, f.source])).toEqual([
      ['everywhere', './prompts', 'project'],
      ['team', teamA, 'templates.paths'],
      ['team-b-first', teamB, 'templates.paths'],
      ['mine', join(configDir, 'prompts'), 'user'],
      ['shipped', 'built-in', 'built-in'],
    ]);
  });

  it('reports a broken file through onError and still lists the rest; without onError it throws', async () => {
    const dir = join(root, 'broken');
    put(dir, 'bad.md', '---\ntemprature: 1\n---\nx');
    put(dir, 'good.md');
    const w = { cwd: join(root, 'nowhere'), templatePaths: [dir], configDir: join(root, 'nocfg'), builtinDir: null };
    const errors: string[] = [];
    const found = await listTemplates(w, (file, error) => errors.push(`${file} | ${(error as Error).message}`));
    expect(found.map((f) => f.template.name)).toEqual(['good']);
    expect(errors).toEqual([
      `${join(dir, 'bad.md')} | ${join(dir, 'bad.md')}:2: unknown front matter key 'temprature' (did you mean 'temperature'?); known keys: description, model, profile, system, vars, schema, expect, tools, chunk and generation options (temperature, max_output_tokens, effort, …)`,
    ]);
    await expect(listTemplates(w)).rejects.toThrowError(/bad\.md:2: unknown front matter key 'temprature'/);
  });
});

describe('loadTemplate: schema files and schema checks', () => {
  const dir = join(root, 'schemas');
  put(join(dir, 'schemas'), 'out.json', JSON.stringify({ type: 'object', properties: { a: { type: 'string' } } }));
  put(join(dir, 'schemas'), 'typo.json', JSON.stringify({ type: 'object', properties: { a: { type: 'strng' } } }));
  put(join(dir, 'schemas'), 'not-json.json', '{ type: object');

  it('reads a schema file named relative to the template', async () => {
    put(dir, 'ok.md', '---\nschema: schemas/out.json\n---\n{{input}}');
    expect((await loadTemplate(join(dir, 'ok.md'))).schema).toEqual({ name: 'out', schema: { type: 'object', properties: { a: { type: 'string' } } } });
  });

  it.each([
    ['a missing schema file', 'schema: schemas/none.json', (p: string) => `${p}: cannot read schema file ${join(dir, 'schemas', 'none.json')}: no such file`],
    ['a schema file that is not JSON', 'schema: schemas/not-json.json', () => new RegExp(`^${join(dir, 'schemas', 'not-json.json')}: not valid JSON: `)],
    ['a schema file with a bad type', 'schema: schemas/typo.json', () => new RegExp(`^${join(dir, 'schemas', 'typo.json')}: invalid JSON schema: `)],
    ['an inline schema with an unknown keyword', 'schema:\n  type: object\n  requried: [a]', (p: string) => `${p}: invalid JSON schema: unknown keyword: "requried"`],
  ])('rejects %s', async (_title, front, message) => {
    const path = join(dir, 'bad.md');
    put(dir, 'bad.md', `---\n${front}\n---\nx`);
    const expected = message(path);
    const promise = loadTemplate(path);
    await expect(promise).rejects.toBeInstanceOf(GptError);
    await expect(promise).rejects.toThrowError(expected);
  });
});
