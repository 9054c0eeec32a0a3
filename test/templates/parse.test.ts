import { describe, expect, it } from 'vitest';
import { GptError } from '../../src/domain/index.js';
import { parseTemplate } from '../../src/templates/parse.js';

const P = '/work/prompts/demo.md';
const usage = (message: string) => new GptError('usage', message);

describe('parseTemplate: front matter', () => {
  it('reads every key', () => {
    const t = parseTemplate(
      [
        '---',
        'description: Demo template',
        'model: gpt-5-mini',
        'profile: simulate',
        'system: |',
        '  You are terse.',
        'temperature: 0.4',
        'top_p: 0.9',
        'max_output_tokens: 500',
        'effort: low',
        'stop: ["END", "STOP"]',
        'seed: 7',
        'presence-penalty: 0.5',
        'frequencyPenalty: -0.5',
        'api: responses',
        'stream: false',
        'timeout: 30',
        'retries: 4',
        'vars:',
        '  lang: {description: Target language}',
        '  tone: {default: friendly, description: How it sounds}',
        '  n: 3',
        '  flag: true',
        '  bare:',
        'schema:',
        '  type: object',
        '  properties: {a: {type: string}}',
        'expect:',
        '  output_tokens: 250',
        '---',
        'Body {{lang}}',
        '',
      ].join('\n'),
      P,
    );
    expect(t).toEqual({
      name: 'demo',
      path: P,
      description: 'Demo template',
      model: 'gpt-5-mini',
      profile: 'simulate',
      system: 'You are terse.\n',
      options: {
        temperature: 0.4,
        topP: 0.9,
        maxOutputTokens: 500,
        effort: 'low',
        stop: ['END', 'STOP'],
        seed: 7,
        presencePenalty: 0.5,
        frequencyPenalty: -0.5,
        api: 'responses',
        stream: false,
        timeoutSeconds: 30,
        retries: 4,
      },
      vars: {
        lang: { description: 'Target language' },
        tone: { default: 'friendly', description: 'How it sounds' },
        n: { default: '3' },
        flag: { default: 'true' },
        bare: {},
      },
      schema: { name: 'demo', schema: { type: 'object', properties: { a: { type: 'string' } } } },
      expect: { output_tokens: 250 },
      body: 'Body {{lang}}\n',
      bodyLine: 31,
    });
  });

  it.each([
    ['maxOutputTokens: 10', { maxOutputTokens: 10 }],
    ['max-output-tokens: 10', { maxOutputTokens: 10 }],
    ['max_output_tokens: 10', { maxOutputTokens: 10 }],
    ['top-p: 0.5', { topP: 0.5 }],
    ['timeoutSeconds: 2', { timeoutSeconds: 2 }],
    ['stop: END', { stop: ['END'] }],
  ])('accepts the spelling %s', (line, options) => {
    expect(parseTemplate(`---\n${line}\n---\nx`, P).options).toEqual(options);
  });

  it('takes the {name, schema} wrapper and a schema file path relative to the template', () => {
    expect(parseTemplate('---\nschema:\n  name: invoice\n  schema: {type: object}\n---\nx', P).schema).toEqual({ name: 'invoice', schema: { type: 'object' } });
    const t = parseTemplate('---\nschema: schemas/out.json\n---\nx', P);
    expect(t.schemaFile).toBe('/work/prompts/schemas/out.json');
    expect(t.schema).toBeUndefined();
  });

  it('has no front matter when the file does not start with ---', () => {
    const t = parseTemplate('---user\nHi\n---assistant\nHello', '/p/few.md');
    expect(t).toMatchObject({ name: 'few', body: '---user\nHi\n---assistant\nHello', bodyLine: 1, vars: {}, options: {}, expect: {} });
  });

  it('accepts CRLF files, a BOM, empty front matter and a ... terminator', () => {
    expect(parseTemplate('\uFEFF---\r\ndescription: d\r\n---\r\nline1\r\nline2', P)).toMatchObject({ description: 'd', body: 'line1\nline2', bodyLine: 4 });
    expect(parseTemplate('---\n---\nbody', P)).toMatchObject({ body: 'body', bodyLine: 3 });
    expect(parseTemplate('---\nmodel: m\n...\nbody', P)).toMatchObject({ model: 'm', body: 'body' });
  });

  const errors: Array<[string, string, string]> = [
    ['an unknown key, with a suggestion', '---\ndescription: d\ntemprature: 0.3\n---\nx', `${P}:3: unknown front matter key 'temprature' (did you mean 'temperature'?); known keys: description, model, profile, system, vars, schema, expect, tools, chunk and generation options (temperature, max_output_tokens, effort, …)`],
    ['an unknown key, no suggestion', '---\ncolour: red\n---\nx', `${P}:2: unknown front matter key 'colour'; known keys: description, model, profile, system, vars, schema, expect, tools, chunk and generation options (temperature, max_output_tokens, effort, …)`],
    ['bad YAML, with its line', '---\ndescription: d\nvars:\n  a: [1, 2\nmodel: m\n---\nx', `${P}:5: bad YAML in front matter: Flow sequence in block collection must be sufficiently indented and end with a ]`],
    ['a duplicate key', '---\nmodel: a\nmodel: b\n---\nx', `${P}:3: bad YAML in front matter: Map keys must be unique`],
    ['front matter that is not a map', '---\n- a\n- b\n---\nx', `${P}:2: front matter must be a map of keys such as description: and vars:`],
    ['unclosed front matter', '---\nmodel: m\nbody', `${P}:1: the front matter opened by --- on line 1 is never closed by a --- line`],
    ['an out-of-range option', '---\ntemperature: 3\n---\nx', `${P}:2: 'temperature': expected a number from 0 to 2, got 3`],
    ['a bad effort', '---\neffort: max\n---\nx', `${P}:2: 'effort': expected one of none, minimal, low, medium, high, xhigh, got "max"`],
    ['a fractional token cap', '---\nmax_output_tokens: 1.5\n---\nx', `${P}:2: 'max_output_tokens': expected a whole number from 1 to 10000000, got 1.5`],
    ['the same option twice under two spellings', '---\nmax_output_tokens: 5\nmaxOutputTokens: 6\n---\nx', `${P}:3: 'maxOutputTokens' sets the same option as 'max_output_tokens' above`],
    ['a non-string model', '---\nmodel: [a]\n---\nx', `${P}:2: 'model' must be a non-empty string`],
    ['an unknown key in a variable', '---\nvars:\n  lang:\n    defualt: en\n---\nx', `${P}:4: unknown key 'defualt' in vars.lang (did you mean 'default'?); a variable takes default and description`],
    ['a bad variable name', '---\nvars:\n  "my var": x\n---\nx', `${P}:3: variable name 'my var' must be letters, digits, _ or - (not starting with a digit or -)`],
    ['vars that are a list', '---\nvars: [a, b]\n---\nx', `${P}:2: 'vars' must be a map: name: {default: …, description: …} (or name: default)`],
    ['a schema that is a number', '---\nschema: 3\n---\nx', `${P}:2: 'schema' must be a JSON schema (a map) or the path of a .json file next to the template`],
    ['an unknown key in expect', '---\nexpect:\n  output_token: 5\n---\nx', `${P}:3: unknown key 'output_token' in expect (did you mean 'output_tokens'?); expect takes output_tokens`],
    ['tools that are not a list of names', '---\ntools: weather\n---\nx', `${P}:2: 'tools' must be a list of tool names or files, e.g. tools: [search-issues]`],
    ['a bad expected token count', '---\nexpect: {output_tokens: -1}\n---\nx', `${P}:2: expect.output_tokens must be a whole number from 1 to 10000000, got -1`],
    ['a body syntax error, at its file line', '---\ndescription: d\n---\nfine\n\nbad {{ two words }}', `${P}:6: '{{ two words }}' is not a variable name or {{file:path}} (write \\{{ for a literal {{)`],
    ['a syntax error in a block system prompt', '---\nsystem: |\n  ok\n  {{oops\n---\nx', `${P}:4: '{{' is not closed by '}}' on the same line (write \\{{ for a literal {{)`],
    ['a syntax error in a default', '---\nvars:\n  a: "{{ b c }}"\n---\nx', `${P}:3: '{{ b c }}' is not a variable name or {{file:path}} (write \\{{ for a literal {{)`],
  ];
  it.each(errors)('rejects %s', (_title, text, message) => {
    expect(() => parseTemplate(text, P)).toThrowError(usage(message));
  });
});
