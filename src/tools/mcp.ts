/**
 * MCP servers as tool sources, with the official SDK client: started (stdio, in their own process group, or
 * streamable HTTP), their tools listed once, called, and closed on exit, Ctrl-C and errors.
 */
import { getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { GptError, escapeControls } from '../domain/index.js';
import { GroupStdioTransport } from './mcp-stdio.js';
import type { Tool, ToolResult } from './types.js';

export interface McpServerSpec {
  name: string;
  command?: string;
  args?: string[];
  env?: Record<string, string>;
  url?: string;
}

export interface McpConnection {
  name: string;
  tools: Tool[];
  close(): Promise<void>;
}

const START_TIMEOUT_MS = 20_000;
const CALL_TIMEOUT_MS = 60_000;

/** `--mcp "<command>"`: the command line split on spaces (quotes keep spaces), no shell. */
export function splitCommand(line: string): string[] {
  const words: string[] = [];
  for (const match of line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) words.push(match[1] ?? match[2] ?? match[3]!);
  return words;
}

async function transportFor(server: McpServerSpec): Promise<Transport> {
  if (server.url) {
    const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
    return new StreamableHTTPClientTransport(new URL(server.url));
  }
  // A server gets a plain environment (HOME, PATH, USER…) plus what its config lists: never our keys.
  return new GroupStdioTransport({ command: server.command!, args: server.args ?? [], env: { ...getDefaultEnvironment(), ...server.env } });
}

/** Starts a server and lists its tools; a server that cannot start is one usage error line (exit 2), nothing left running. */
export async function connectMcp(server: McpServerSpec): Promise<McpConnection> {
  const transport = await transportFor(server);
  const client = new Client({ name: 'gpt', version: '1' });
  const close = async () => {
    await client.close().catch(() => undefined);
    await transport.close().catch(() => undefined);
  };
  try {
    await client.connect(transport, { timeout: START_TIMEOUT_MS });
    const listed = await client.listTools(undefined, { timeout: START_TIMEOUT_MS });
    const tools = listed.tools.map((t): Tool => ({
      // The APIs take names of letters, digits, _ and - only: `files.read` is offered as `files_read`.
      name: t.name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64),
      description: t.description ?? '',
      parameters: t.inputSchema as Record<string, unknown>,
      source: `mcp:${server.name}`,
      invoke: (args, signal) => callMcp(client, t.name, args, signal),
    }));
    return { name: server.name, tools, close };
  } catch (error) {
    await close();
    const said = transport instanceof GroupStdioTransport && transport.stderr ? ` (${transport.stderr})` : '';
    throw new GptError('usage', `MCP server ${server.name} failed to start: ${escapeControls((error as Error).message.split('\n')[0]!)}${escapeControls(said)}`);
  }
}

/** A call's content as text; a server error, a crash or a timeout is an error result for the model, not a crash of ours. */
async function callMcp(client: Client, name: string, args: Record<string, unknown>, signal?: AbortSignal): Promise<ToolResult> {
  try {
    const result = await client.callTool({ name, arguments: args }, undefined, { timeout: CALL_TIMEOUT_MS, ...(signal ? { signal } : {}) });
    const content = Array.isArray(result.content) ? (result.content as Array<Record<string, unknown>>) : [];
    const text = content.map((part) => (part.type === 'text' && typeof part.text === 'string' ? part.text : JSON.stringify(part))).join('\n');
    return { ok: result.isError !== true, output: text };
  } catch (error) {
    return { ok: false, output: `the MCP call failed: ${(error as Error).message}` };
  }
}
