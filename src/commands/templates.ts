/** `gpt templates`: lists the templates on the search path with their variables (a table, or JSON with --json). */
import { loadConfig } from '../config/load.js';
import { templateWhere } from '../core/template-request.js';
import { GptError } from '../domain/index.js';
import { describeVariables } from '../templates/render.js';
import { listTemplates, templateDirs, type ListedTemplate } from '../templates/find.js';
import type { TemplateWhere, VariableInfo } from '../templates/types.js';

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

const processIo: Io = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

export async function run(_positional: unknown[], options: Record<string, unknown>): Promise<number> {
  const config = await loadConfig(options, process.env, process.cwd(), { sendsNothing: true });
  const where = templateWhere(config, process.cwd());
  return listTemplatesCommand(where, { json: options.json === true });
}

const describeVar = (v: VariableInfo) =>
  v.required ? `${v.name} (required${v.name === 'input' ? ', piped stdin' : ''})` : `${v.name} = ${JSON.stringify(v.default)}`;

/** The command itself, given where to look; returns the exit code (2 when some template file is broken). */
export async function listTemplatesCommand(where: TemplateWhere, flags: { json: boolean }, io: Io = processIo): Promise<number> {
  const broken: string[] = [];
  const found = await listTemplates(where, (file, error) => {
    broken.push(error instanceof GptError ? error.message : `${file}: ${(error as Error).message}`);
  });

  if (flags.json) {
    const templates = found.map(({ template, foundIn, shadows }) => ({
      name: template.name,
      description: template.description ?? null,
      path: template.path,
      found_in: foundIn,
      trusted: template.confinedTo === undefined,
      shadows,
      vars: describeVariables(template).map((v) => ({
        name: v.name,
        required: v.required,
        default: v.default ?? null,
        description: v.description ?? null,
      })),
    }));
    io.out(`${JSON.stringify({ templates }, null, 2)}\n`);
  } else if (found.length === 0) {
    io.err(`no templates found (looked in: ${templateDirs(where).map((d) => d.label).join(', ')})\n`);
  } else {
    const nameWidth = Math.max(4, ...found.map((f) => f.template.name.length));
    const shown = (f: ListedTemplate) => (f.template.confinedTo ? `${f.foundIn} (untrusted)` : f.foundIn);
    const whereWidth = Math.max(8, ...found.map((f) => shown(f).length));
    const row = (name: string, foundIn: string, text: string) => `${name.padEnd(nameWidth)}  ${foundIn.padEnd(whereWidth)}  ${text}`.trimEnd();
    const lines = [row('NAME', 'FOUND IN', 'DESCRIPTION / VARIABLES')];
    for (const listed of found) {
      const { template, shadows } = listed;
      lines.push(row(template.name, shown(listed), template.description?.split('\n')[0] ?? ''));
      if (shadows.length > 0) lines.push(row('', '', `shadows the ${template.name} in ${shadows.join(', ')}`));
      // Required ones first: they are what a user must pass.
      const vars = describeVariables(template).sort((a, b) => Number(b.required) - Number(a.required));
      lines.push(row('', '', `vars: ${vars.length ? vars.map(describeVar).join('; ') : 'none'}`));
    }
    io.out(`${lines.join('\n')}\n`);
    const untrusted = [...new Set(found.flatMap((f) => (f.template.confinedTo ? [f.template.confinedTo.trust] : [])))];
    for (const dir of untrusted) io.err(`untrusted templates read only files in their own folder and cannot send prompts off this machine; after reading them: gpt config trust ${dir}\n`);
  }

  for (const message of broken) io.err(`gpt: ${message}\n`);
  return broken.length ? 2 : 0;
}
