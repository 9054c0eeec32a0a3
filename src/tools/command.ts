/** Runs a file tool: argv without a shell, the arguments as JSON on stdin, stdout the result, in its own process group. */
import { spawn } from 'node:child_process';
import type { ToolFile, ToolResult } from './types.js';

/** Output kept from a tool, in bytes; the loop truncates further by tokens. */
const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;

/** Only the listed variables (and PATH, to find the program) reach the tool. */
export function toolEnv(names: string[], env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ['PATH', ...names]) if (env[name] !== undefined) out[name] = env[name]!;
  return out;
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Never throws: a tool that cannot start, fails, or runs out of time is an error result for the model. */
export function runToolCommand(tool: ToolFile, args: Record<string, unknown>, signal?: AbortSignal, env: NodeJS.ProcessEnv = process.env): Promise<ToolResult> {
  return new Promise((done) => {
    const [program, ...rest] = tool.command;
    const child = spawn(program!, rest, { cwd: tool.cwd, env: toolEnv(tool.env, env), stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let ended: ToolResult | undefined;
    const finish = (result: ToolResult) => {
      if (ended) return;
      ended = result;
      clearTimeout(timer);
      signal?.removeEventListener('abort', stop);
      killGroup(child.pid); // what the tool left running in its group goes with it
      done(result);
    };
    const stop = () => finish({ ok: false, output: 'the call was interrupted' });
    const timer = setTimeout(() => finish({ ok: false, output: `the tool timed out after ${tool.timeoutSeconds}s` }), tool.timeoutSeconds * 1000);
    signal?.addEventListener('abort', stop, { once: true });
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_OUTPUT_BYTES) out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (err.length < 64) err.push(chunk);
    });
    child.on('error', (error: NodeJS.ErrnoException) => finish({ ok: false, output: `the tool could not start: ${error.code === 'ENOENT' ? `no such program ${program}` : error.message}` }));
    child.on('close', (code, sig) => {
      const stdout = Buffer.concat(out).toString('utf8');
      if (code === 0) return finish({ ok: true, output: stdout });
      const stderr = Buffer.concat(err).toString('utf8').trim().slice(-2000);
      const why = code !== null ? `exit ${code}` : `killed by ${sig}`;
      finish({ ok: false, output: `the tool failed (${why})${stderr ? `: ${stderr}` : ''}${stdout ? `\n${stdout}` : ''}` });
    });
    child.stdin.on('error', () => {}); // a tool that does not read its stdin
    child.stdin.end(JSON.stringify(args));
  });
}
