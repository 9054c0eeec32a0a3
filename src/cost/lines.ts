/** A batch line through a template, as `gpt batch --template` renders it. */
import type { BatchItem } from '../batch/types.js';
import type { ChatMessage } from '../providers/types.js';
import { describeVariables, renderTemplate, variablesIn, type Template } from '../templates/index.js';

/**
 * The renderer for one template, as `gpt batch` fills it (commands/batch.ts compileTemplate): a line's fields the
 * template does not use (`id`, `model`, `temperature`, an unused `input`…) are ignored, so only a variable the
 * template needs and the line lacks fails the line. The schema is dropped: it shapes the answer, not the prompt, and
 * checking it once per line would dominate a large file.
 */
export function templateLineRenderer(template: Template): (item: BatchItem) => Promise<ChatMessage[]> {
  const known = new Set(describeVariables(template).map((v) => v.name));
  for (const spec of Object.values(template.vars)) if (spec.default) for (const name of variablesIn(spec.default)) known.add(name);
  const plain: Template = { ...template, schema: undefined, schemaFile: undefined };
  return async (item) => {
    const vars: Record<string, string> = {};
    for (const [name, value] of Object.entries(item.vars ?? {})) if (known.has(name)) vars[name] = value;
    return (await renderTemplate(plain, vars, undefined)).messages;
  };
}
