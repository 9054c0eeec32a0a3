import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GptError } from '../../src/domain/index.js';
import { coerceVars, parseVarFlags } from '../../src/templates/vars.js';

const cwd = mkdtempSync(join(tmpdir(), 'gpt-tpl-vars-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));
writeFileSync(join(cwd, 'diff.txt'), 'line 1\nline 2\n');
writeFileSync(join(cwd, 'vars.json'), JSON.stringify({ lang: 'German', count: 3, strict: true, tags: ['a', 'b'], text: 'from json' }));
writeFileSync(join(cwd, 'list.json'), '[1, 2]');
writeFileSync(join(cwd, 'broken.json'), '{"a": ');

describe('parseVarFlags', () => {
  it.each<[string, string[] | undefined, string | undefined, Record<string, string>]>([
    ['nothing', undefined, undefined, {}],
    ['k=v, splitting at the first =', ['lang=French', 'eq=a=b', 'empty='], undefined, { lang: 'French', eq: 'a=b', empty: '' }],
    ['k=@file reads the file relative to cwd', ['diff=@diff.txt'], undefined, { diff: 'line 1\nline 2\n' }],
    ['k=@@text is a literal @text', ['handle=@@alice'], undefined, { handle: '@alice' }],
    ['a later --var wins', ['a=1', 'a=2'], undefined, { a: '2' }],
    ['--vars JSON, non-strings as JSON text', undefined, 'vars.json', { lang: 'German', count: '3', strict: 'true', tags: '["a","b"]', text: 'from json' }],
    ['--var over --vars', ['lang=French'], 'vars.json', { lang: 'French', count: '3', strict: 'true', tags: '["a","b"]', text: 'from json' }],
  ])('%s', async (_title, vars, file, expected) => {
    expect(await parseVarFlags(vars, file, cwd)).toEqual(expected);
  });

  it.each<[string, string[] | undefined, string | undefined, string]>([
    ['no =', ['lang'], undefined, '--var lang: expected name=value (or name=@file), with a name of letters, digits, _ or -'],
    ['a bad name', ['my var=x'], undefined, '--var my var=x: expected name=value (or name=@file), with a name of letters, digits, _ or -'],
    ['an unreadable @file', ['diff=@missing.txt'], undefined, '--var diff=@missing.txt: cannot read missing.txt: no such file'],
    ['a bare @', ['a=@'], undefined, "--var a=@: '@' must be followed by a file name (write @@ for a literal @)"],
    ['a missing --vars file', undefined, 'nope.json', '--vars nope.json: cannot read nope.json: no such file'],
    ['--vars that is not an object', undefined, 'list.json', '--vars list.json: variables must be a JSON object like {"lang": "French"}'],
  ])('rejects %s', async (_title, vars, file, message) => {
    await expect(parseVarFlags(vars, file, cwd)).rejects.toThrowError(new GptError('usage', message));
  });

  it('rejects --vars that is not JSON, naming the file', async () => {
    await expect(parseVarFlags(undefined, 'broken.json', cwd)).rejects.toThrowError(/^--vars broken\.json: not valid JSON: /);
  });

  it('coerceVars rejects keys that cannot be variables', () => {
    expect(() => coerceVars({ 'a b': 1 }, 'line 3')).toThrowError(new GptError('usage', "line 3: 'a b' is not a variable name (letters, digits, _ or -)"));
  });
});
