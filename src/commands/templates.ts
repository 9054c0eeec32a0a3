/** `gpt templates`: lists the templates on the search path with their variables (a table, or JSON with --json). */
import { loadConfig } from '../config/load.js';
import { GptError } from '../errors.js';
import { describeVariables, listTemplates, templateDirs, type TemplateWhere, type VariableInfo } from '../templates/index.js';

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

const processIo: Io = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

export async function run(_positional: unknown[], options: Record<string, unknown>): Promise<number> {
  const config = await loadConfig(options);
  const where = { cwd: process.cwd(), templatePaths: config.templatePaths, configDir: config.configDir };
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
    const templates = found.map(({ template, foundIn }) => ({
      name: template.name,
      description: template.description ?? null,
      path: template.path,
      found_in: foundIn,
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
    const whereWidth = Math.max(8, ...found.map((f) => f.foundIn.length));
    const row = (name: string, foundIn: string, text: string) => `${name.padEnd(nameWidth)}  ${foundIn.padEnd(whereWidth)}  ${text}`.trimEnd();
    const lines = [row('NAME', 'FOUND IN', 'DESCRIPTION / VARIABLES')];
    for (const { template, foundIn } of found) {
      lines.push(row(template.name, foundIn, template.description?.split('\n')[0] ?? ''));
      // Required ones first: they are what a user must pass.
      const vars = describeVariables(template).sort((a, b) => Number(b.required) - Number(a.required));
      lines.push(row('', '', `vars: ${vars.length ? vars.map(describeVar).join('; ') : 'none'}`));
    }
    io.out(`${lines.join('\n')}\n`);
  }

  for (const message of broken) io.err(`gpt: ${message}\n`);
  return broken.length ? 2 : 0;
}
