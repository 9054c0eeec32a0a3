/**
 * An MCP stdio client transport whose server runs in its own process group, so closing it (exit, Ctrl-C,
 * an error) takes whatever the server started with it. The SDK's StdioClientTransport spawns the server in
 * ours, where only the server itself could be signalled; framing is the SDK's own (ReadBuffer).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

export interface StdioServer {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
}

export class GroupStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  private child?: ChildProcess;
  private readonly buffer = new ReadBuffer();
  private stderrTail = '';

  constructor(private readonly server: StdioServer) {}

  /** The last lines the server wrote on stderr, for an error line. */
  get stderr(): string {
    return this.stderrTail.trim().split('\n').slice(-3).join(' | ');
  }

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.server.command, this.server.args, { env: this.server.env, cwd: this.server.cwd, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
      this.child = child;
      // However gpt ends (an uncaught error included), the server's group goes with it.
      const onExit = () => killGroup(child.pid);
      process.once('exit', onExit);
      child.once('close', () => process.removeListener('exit', onExit));
      child.on('error', (error) => {
        reject(error);
        this.onerror?.(error);
      });
      child.on('spawn', () => resolve());
      child.on('close', () => {
        this.child = undefined;
        this.onclose?.();
      });
      child.stdout!.on('data', (chunk: Buffer) => {
        try {
          this.buffer.append(chunk);
          for (let message = this.buffer.readMessage(); message; message = this.buffer.readMessage()) this.onmessage?.(message);
        } catch (error) {
          this.onerror?.(error as Error);
        }
      });
      child.stderr!.on('data', (chunk: Buffer) => {
        this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-2000);
      });
      child.stdin!.on('error', (error) => this.onerror?.(error));
    });
  }

  send(message: JSONRPCMessage): Promise<void> {
    return new Promise((resolve) => {
      const stdin = this.child?.stdin;
      if (!stdin || stdin.destroyed) return resolve();
      if (stdin.write(serializeMessage(message))) resolve();
      else stdin.once('drain', resolve);
    });
  }

  /** Kills the server's whole process group at once: nothing it started outlives gpt. */
  async close(): Promise<void> {
    const child = this.child;
    this.buffer.clear();
    if (!child || child.pid === undefined) return;
    child.stdin?.end();
    killGroup(child.pid);
  }
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
