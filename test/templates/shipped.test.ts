import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeVariables, renderTemplate } from '../../src/templates/render.js';
import { loadTemplate } from '../../src/templates/find.js';

const PROMPTS = resolve(import.meta.dirname, '../../prompts');
const shipped = readdirSync(PROMPTS).filter((f) => f.endsWith('.md')).sort();

/** Structured Outputs in strict mode: every object closes its properties and requires all of them. */
function strictProblems(schema: unknown, at = '$'): string[] {
  if (typeof schema !== 'object' || schema === null) return [];
  const s = schema as Record<string, unknown>;
  const problems: string[] = [];
  if (s.type === 'object' || (Array.isArray(s.type) && s.type.includes('object'))) {
    const keys = Object.keys((s.properties as object | undefined) ?? {});
    if (s.additionalProperties !== false) problems.push(`${at}: additionalProperties must be false`);
    if (JSON.stringify([...((s.required as string[] | undefined) ?? [])].sort()) !== JSON.stringify([...keys].sort())) problems.push(`${at}: required must list every property`);
  }
  for (const [key, value] of Object.entries(s.properties ?? {})) problems.push(...strictProblems(value, `${at}.${key}`));
  if (s.items) problems.push(...strictProblems(s.items, `${at}[]`));
  return problems;
}

describe('the templates shipped in prompts/', () => {
  it('include the ones the README promises', () => {
    expect(shipped).toEqual(expect.arrayContaining(
      ['summarize', 'explain', 'commit-message', 'review-diff', 'translate', 'extract-json', 'rewrite', 'release-notes', 'extract-invoice', 'classify'].map((n) => `${n}.md`),
    ));
  });

  it.each(shipped)('%s parses, documents itself and renders with sample values', async (file) => {
    const t = await loadTemplate(join(PROMPTS, file));
    expect(t.description, 'description').toMatch(/\S{3}/);
    expect(t.expect.output_tokens, 'expect.output_tokens').toBeGreaterThan(0);
    for (const [name, spec] of Object.entries(t.vars)) expect(spec.description, `vars.${name}.description`).toBeTruthy();

    const vars: Record<string, string> = {};
    for (const v of describeVariables(t)) if (v.required && v.name !== 'input') vars[v.name] = `SAMPLE_${v.name.toUpperCase()}`;
    const input = 'SAMPLE INPUT: diff --git a/x b/x\n+hello {{not a placeholder}}\n';
    const { messages, options } = await renderTemplate(t, vars, input);

    const text = messages.map((m) => m.content).join('\n');
    expect(messages.at(-1)!.role).toBe('user');
    expect(text).toContain('SAMPLE INPUT');
    expect(text).toContain('{{not a placeholder}}');
    for (const value of Object.values(vars)) expect(text).toContain(value);
    // Nothing left unrendered: no placeholder survives outside the sample input.
    expect(text.replace('{{not a placeholder}}', '')).not.toMatch(/\{\{|\}\}/);
    if (t.schema) expect(strictProblems(t.schema.schema), 'strict schema').toEqual([]);
    expect(options.schema).toEqual(t.schema);
  });

  it('classify (the README batch example) takes each line\'s text and offers the labels', async () => {
    const t = await loadTemplate(join(PROMPTS, 'classify.md'));
    const line = await renderTemplate(t, { text: 'The app crashes on upload' }, undefined);
    const piped = await renderTemplate(t, {}, 'The app crashes on upload');
    expect(line.messages).toEqual(piped.messages);
    const text = line.messages.at(-1)!.content as string;
    expect(text).toContain('<text>\nThe app crashes on upload\n</text>');
    expect(text).toContain('Labels: bug, feature request, question, billing, other');
    expect(t.schema?.schema).toMatchObject({ required: ['label', 'confidence', 'reason'] });
  });

  it('translate takes text from --var text or from stdin', async () => {
    const t = await loadTemplate(join(PROMPTS, 'translate.md'));
    const fromVar = await renderTemplate(t, { lang: 'French', text: 'Bonjour' }, undefined);
    const fromStdin = await renderTemplate(t, { lang: 'French' }, 'Bonjour');
    expect(fromVar.messages).toEqual(fromStdin.messages);
    expect(fromVar.messages.at(-1)!.content).toContain('<text>\nBonjour\n</text>');
  });

  it('review-diff has a default focus that --var focus replaces', async () => {
    const t = await loadTemplate(join(PROMPTS, 'review-diff.md'));
    const byDefault = await renderTemplate(t, {}, 'diff');
    const security = await renderTemplate(t, { focus: 'security' }, 'diff');
    expect(byDefault.messages.at(-1)!.content).toContain('Focus on: correctness, security, error handling and performance.');
    expect(security.messages.at(-1)!.content).toContain('Focus on: security.');
  });
});
