/** Where tools come from: files and names, trust, bad input, the environment a tool gets, timeouts, MCP servers, `gpt tools`. */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { useMockServer } from '../support/fixture.js';
import { TOOL_KEY, scriptTool, toolKit, weatherTool } from './support.js';

const KEY = TOOL_KEY;
const MCP_SERVER = resolve(import.meta.dirname, '../support/mcp-server.mjs');
const server = useMockServer();
const { newHome, gpt } = toolKit(runCli, server);

const bodies = () => server.requests.filter((r) => r.path.endsWith('/chat/completions')).map((r) => r.body as Record<string, any>);
const lastToolReply = () => bodies()[1]!.messages.at(-1);

describe('bad tool input fails in one line before any request', () => {
  it.each([
    ['bad YAML', 'name: x\nparameters: [\n', /t\.yaml: bad YAML on line \d+: /],
    ['a schema with a typo', 'name: x\ndescription: d\nparameters: {type: object, properties: {a: {type: strng}}}\ncommand: [echo]\n', /t\.yaml: invalid JSON schema: /],
    ['no command', 'name: x\ndescription: d\n', /t\.yaml: command must be a list/],
    ['an unknown key', 'name: x\ndescription: d\ncommand: [echo]\nshell: true\n', /t\.yaml: unknown key 'shell'/],
    ['a key in its env', 'name: x\ndescription: d\ncommand: [echo]\nenv: [OPENAI_API_KEY]\n', /t\.yaml: env: OPENAI_API_KEY looks like a secret/],
  ])('%s (exit 2)', async (_, yaml, message) => {
    const home = newHome();
    mkdirSync(join(home, '.config/gpt'), { recursive: true });
    writeFileSync(join(home, '.config/gpt/t.yaml'), yaml);
    const r = await gpt(home, ['chat', '-T', '.config/gpt/t.yaml', '--yes', 'hi']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(server.requests).toHaveLength(0);
  });

  it('an unknown name and two tools of one name (exit 2)', async () => {
    const home = newHome();
    const unknown = await gpt(home, ['chat', '-T', 'nosuch', 'hi']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^gpt: -T nosuch: no such tool \(searched .*tools.*\)$/m);
    const a = weatherTool(join(home, '.config/gpt/a'));
    const b = weatherTool(join(home, '.config/gpt/b'));
    const twice = await gpt(home, ['chat', '-T', a, '-T', b, 'hi']);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/two tools are named weather: .*a\/weather\.json and .*b\/weather\.json/);
    expect(server.requests).toHaveLength(0);
  });
});

describe('lookup by name and trust', () => {
  it('a name is found in ~/.config/gpt/tools; ./tools of an untrusted project is refused until trusted (exit 3)', async () => {
    const home = newHome();
    weatherTool(join(home, '.config/gpt/tools'));
    server.setDefault({ kind: 'answer', text: 'done' });
    const own = await gpt(home, ['chat', '-T', 'weather', '--yes', 'hi']);
    expect(own.code).toBe(0);

    const project = join(home, 'repo');
    const marker = join(project, 'tools', 'greet.ran');
    weatherTool(join(project, 'tools'), {}, 'greet');
    server.reset();
    const refused = await gpt(home, ['chat', '-T', 'greet', '--yes', 'hi'], { cwd: project });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/-T greet: .*tools\/greet\.json is in an untrusted project and would run code; after reading it, trust it with: gpt config trust .*repo/);
    expect(server.requests).toHaveLength(0);

    const byPath = await gpt(home, ['chat', '-T', 'tools/greet.json', '--yes', 'hi'], { cwd: project });
    expect(byPath.code).toBe(3);
    expect(byPath.stderr).toMatch(/-T tools\/greet\.json: .*greet\.json is not in a folder you trust and would run code; after reading it, trust it with: gpt config trust .*repo\/tools$/m);
    expect(server.requests).toHaveLength(0);

    expect((await gpt(home, ['config', 'trust', project], { cwd: project })).code).toBe(0);
    server.enqueue({ kind: 'answer', toolCalls: [{ name: 'greet', arguments: '{"city":"Lyon"}' }] });
    const trusted = await gpt(home, ['chat', '-T', 'greet', '--yes', 'hi'], { cwd: project });
    expect(trusted.code).toBe(0);
    expect(existsSync(marker)).toBe(true);
  });

  it('a template lists tools in front matter; an untrusted project template may not', async () => {
    const home = newHome();
    weatherTool(join(home, '.config/gpt/tools'));
    mkdirSync(join(home, '.config/gpt/prompts'), { recursive: true });
    writeFileSync(join(home, '.config/gpt/prompts/triage.md'), '---\ntools: [weather]\n---\nIs it raining in {{city}}?\n');
    server.enqueue({ kind: 'answer', toolCalls: [{ name: 'weather', arguments: '{"city":"Lyon"}' }] }, { kind: 'answer', text: 'It rains.' });
    const dry = await gpt(home, ['run', 'triage', '--var', 'city=Lyon', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout).tools).toEqual([expect.objectContaining({ type: 'function', function: expect.objectContaining({ name: 'weather' }) })]);
    expect(server.requests).toHaveLength(0);
    const r = await gpt(home, ['run', 'triage', '--var', 'city=Lyon', '--yes']);
    expect([r.code, r.stdout]).toEqual([0, 'It rains.']);
    expect(lastToolReply().content).toBe('rain in Lyon');

    const project = join(home, 'repo');
    mkdirSync(join(project, 'prompts'), { recursive: true });
    writeFileSync(join(project, 'prompts/evil.md'), '---\ntools: [weather]\n---\nhi\n');
    server.reset();
    const refused = await gpt(home, ['run', 'evil', '--yes'], { cwd: project });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/evil\.md is an untrusted template and lists tools \(weather\): after reading it, trust it with: gpt config trust/);
    expect(server.requests).toHaveLength(0);
  });
});

describe('running a tool file', () => {
  it('only listed environment variables (and PATH) reach the tool, never the key', async () => {
    const home = newHome();
    const tool = scriptTool(join(home, '.config/gpt'), 'env', 'process.stdout.write(JSON.stringify(process.env))', { env: ['GPT_TOOL_CITY'] });
    server.enqueue({ kind: 'answer', toolCalls: [{ name: 'env', arguments: '{}' }] }, { kind: 'answer', text: 'ok' });
    const r = await gpt(home, ['chat', '-T', tool, '--yes', 'hi'], { env: { GPT_TOOL_CITY: 'Lyon', OTHER: 'x' } });
    expect(r.code).toBe(0);
    const env = JSON.parse(lastToolReply().content);
    expect(Object.keys(env).sort()).toEqual(['GPT_TOOL_CITY', 'PATH']);
    expect(JSON.stringify(bodies())).not.toContain(KEY);
  });

  it('a tool past its timeout is killed with its process group; the model gets an error result', async () => {
    const home = newHome();
    const pidFile = join(home, 'child.pid');
    const program = `const c=require('child_process').spawn(process.execPath,['-e','setInterval(()=>{},1000)'],{stdio:'ignore'});require('fs').writeFileSync(${JSON.stringify(pidFile)},String(c.pid));setInterval(()=>{},1000)`;
    const tool = scriptTool(join(home, '.config/gpt'), 'hang', program, { timeout: 0.5 });
    server.enqueue({ kind: 'answer', toolCalls: [{ name: 'hang', arguments: '{}' }] }, { kind: 'answer', text: 'gave up' });
    const r = await gpt(home, ['chat', '-T', tool, '--yes', 'hi']);
    expect([r.code, r.stdout]).toEqual([0, 'gave up']);
    expect(lastToolReply().content).toBe('error: the tool timed out after 0.5s');
    expect(alive(Number(readFileSync(pidFile, 'utf8')))).toBe(false);
  });
});

/** Running, not gone and not a zombie (an orphan waits as a zombie where PID 1 does not reap, as in some containers). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

describe('MCP servers', () => {
  it('--mcp starts a real stdio server written with the SDK, lists and calls its tools, and closes its process group', async () => {
    const home = newHome();
    const pidFile = join(home, 'mcp-child.pid');
    server.enqueue({ kind: 'answer', toolCalls: [{ id: 'c1', name: 'add', chunks: ['{"a":2,', '"b":40}'] }, { id: 'c2', name: 'shout', arguments: '{"text":"hi"}' }] }, { kind: 'answer', text: '42' });
    const r = await gpt(home, ['chat', '--mcp', `${process.execPath} ${MCP_SERVER} spawn-child ${pidFile}`, '--yes', 'add']);
    expect([r.code, r.stdout]).toEqual([0, '42']);
    expect(bodies()[0]!.tools.map((t: any) => t.function.name)).toEqual(['add', 'shout', 'crash']);
    const replies = bodies()[1]!.messages.filter((m: any) => m.role === 'tool');
    expect(replies).toEqual([{ role: 'tool', tool_call_id: 'c1', content: '42' }, { role: 'tool', tool_call_id: 'c2', content: 'HI' }]);
    expect(alive(Number(readFileSync(pidFile, 'utf8')))).toBe(false);
  });

  it('Ctrl-C during the request closes the server and its process group (exit 130)', async () => {
    const home = newHome();
    const pidFile = join(home, 'mcp-child.pid');
    server.enqueue({ kind: 'stall-before-headers' });
    const r = await gpt(home, ['chat', '--mcp', `${process.execPath} ${MCP_SERVER} spawn-child ${pidFile}`, '--yes', 'hi'], {
      onSpawn: (child) => void server.waitForRequests(1, 15_000).then(() => child.kill('SIGINT')),
    });
    expect(r.code).toBe(130);
    expect(alive(Number(readFileSync(pidFile, 'utf8')))).toBe(false);
  });

  it('a configured server by name; a crash mid-call is an error result, not a crash of gpt', async () => {
    const home = newHome();
    mkdirSync(join(home, '.config/gpt'), { recursive: true });
    writeFileSync(join(home, '.config/gpt/config.yaml'), `mcp:\n  servers:\n    calc:\n      command: ${JSON.stringify(process.execPath)}\n      args: [${JSON.stringify(MCP_SERVER)}]\n`);
    server.enqueue({ kind: 'answer', toolCalls: [{ name: 'crash', arguments: '{}' }] }, { kind: 'answer', text: 'it broke' });
    const r = await gpt(home, ['chat', '--mcp', 'calc', '--yes', 'crash it']);
    expect([r.code, r.stdout]).toEqual([0, 'it broke']);
    expect(lastToolReply().content).toMatch(/^error: the MCP call failed: /);

    const listed = await gpt(home, ['tools', '--json']);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).map((t: any) => [t.name, t.source])).toEqual([['add', 'mcp:calc'], ['shout', 'mcp:calc'], ['crash', 'mcp:calc']]);
  });

  it('a configured streamable HTTP server (url)', async () => {
    const home = newHome();
    const http = spawn(process.execPath, [resolve(import.meta.dirname, '../support/mcp-http-server.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const url = await new Promise<string>((ok) => http.stdout.once('data', (chunk: Buffer) => ok(chunk.toString('utf8').trim())));
      mkdirSync(join(home, '.config/gpt'), { recursive: true });
      writeFileSync(join(home, '.config/gpt/config.yaml'), `mcp:\n  servers:\n    web:\n      url: ${url}\n`);
      server.enqueue({ kind: 'answer', toolCalls: [{ name: 'echo', arguments: '{"text":"hi"}' }] }, { kind: 'answer', text: 'ok' });
      const r = await gpt(home, ['chat', '--mcp', 'web', '--yes', 'echo']);
      expect([r.code, r.stdout]).toEqual([0, 'ok']);
      expect(lastToolReply().content).toBe('echo: hi');
    } finally {
      http.kill();
    }
  });

  it('a server that fails to start is one line, exit 2, before any request', async () => {
    const home = newHome();
    const r = await gpt(home, ['chat', '--mcp', `${process.execPath} -e process.exit(4)`, '--yes', 'hi']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^gpt: MCP server .* failed to start: /);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(server.requests).toHaveLength(0);
  });
});

describe('gpt tools', () => {
  it('lists tool files with their schemas and marks untrusted project tools', async () => {
    const home = newHome();
    weatherTool(join(home, '.config/gpt/tools'));
    weatherTool(join(home, 'repo/tools'), {}, 'local');
    const r = await gpt(home, ['tools', '--json'], { cwd: join(home, 'repo') });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([
      expect.objectContaining({ name: 'local', trusted: false }),
      expect.objectContaining({ name: 'weather', trusted: true, parameters: expect.objectContaining({ required: ['city'] }) }),
    ]);
  });
});
