/** Tool files for the tool tests: small node programs run as a user's tool would be (argv, JSON on stdin). */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { type CliOptions, type CliResult, makeHome } from '../support/cli.js';

/** A weather tool that answers `rain in <city>`; it also leaves a marker file each time it runs. */
export function weatherTool(dir: string, extra: Record<string, unknown> = {}, name = 'weather'): string {
  mkdirSync(dir, { recursive: true });
  const marker = join(dir, `${name}.ran`);
  const program = `let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{require('fs').appendFileSync(${JSON.stringify(marker)},s+'\\n');const a=JSON.parse(s);process.stdout.write('rain in '+a.city)})`;
  const tool = {
    name,
    description: 'The weather forecast for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
    command: [process.execPath, '-e', program],
    ...extra,
  };
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(tool));
  return file;
}

/** A tool running `program` (JavaScript) with node. */
export function scriptTool(dir: string, name: string, program: string, extra: Record<string, unknown> = {}): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ name, description: `the ${name} tool`, parameters: { type: 'object', properties: {} }, command: [process.execPath, '-e', program], ...extra }));
  return file;
}

/** The key the tool tests run with (they check it never reaches a tool or a log). */
export const TOOL_KEY = 'sk-test-TOOLSECRET0123456789';

/** A fresh home per call, removed after each test, and `gpt` run in it (by `run`: in-process or a child) against `server`. */
export function toolKit(run: (args: string[], options: CliOptions) => Promise<CliResult>, server: { url: string }) {
  const homes: string[] = [];
  afterEach(() => {
    for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
  });
  return {
    newHome(): string {
      const home = makeHome();
      homes.push(home);
      return home;
    },
    gpt: (home: string, args: string[], options: CliOptions = {}) => run(args, { home, ...options, env: { OPENAI_API_KEY: TOOL_KEY, OPENAI_BASE_URL: server.url, ...options.env } }),
  };
}
