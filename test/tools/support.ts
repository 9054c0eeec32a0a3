/** Tool files for the tool tests: small node programs run as a user's tool would be (argv, JSON on stdin). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

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
