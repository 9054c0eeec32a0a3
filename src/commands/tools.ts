/** `gpt tools`: the tools on the search path and those of configured MCP servers, with their schemas (a list, or JSON with --json). */
import { loadConfig } from '../config/load.js';
import type { McpServerConfig } from '../config/types.js';
import { escapeControls } from '../domain/index.js';
import { listToolFiles } from '../tools/find.js';
import { toolWhere } from './prompt/tools.js';

interface Listed {
  name: string;
  description: string;
  source: string;
  trusted: boolean;
  parameters: Record<string, unknown> | null;
  error?: string;
}

export async function run(_positional: unknown[], options: Record<string, unknown>): Promise<number> {
  const cwd = process.cwd();
  const config = await loadConfig(options, process.env, cwd, { sendsNothing: true });
  const listed: Listed[] = [];
  for (const found of await listToolFiles(toolWhere(config, cwd))) {
    const { tool } = found;
    listed.push({ name: tool?.name ?? '', description: tool?.description ?? '', source: found.file, trusted: !found.untrusted, parameters: tool?.parameters ?? null, ...(found.error ? { error: found.error } : {}) });
  }
  for (const server of config.mcpServers ?? []) listed.push(...(await serverTools(server)));
  if (options.json === true) {
    process.stdout.write(`${JSON.stringify(listed, null, 2)}\n`);
    return listed.some((t) => t.error) ? 2 : 0;
  }
  if (listed.length === 0) process.stderr.write('no tools found (./tools, tools.paths, ~/.config/gpt/tools, mcp.servers)\n');
  for (const tool of listed) {
    if (tool.error) {
      process.stderr.write(`gpt: ${escapeControls(tool.error)}\n`);
      continue;
    }
    const flag = tool.trusted ? '' : ' (untrusted: gpt config trust to use it)';
    process.stdout.write(`${escapeControls(tool.name)}  ${escapeControls(tool.description)}\n  ${escapeControls(tool.source)}${flag}\n  ${escapeControls(JSON.stringify(tool.parameters))}\n`);
  }
  return listed.some((t) => t.error) ? 2 : 0;
}

/** A trusted server is started to list its tools, then closed; an untrusted one is only named. */
async function serverTools(server: McpServerConfig): Promise<Listed[]> {
  const source = `mcp:${server.name}`;
  if (server.untrusted) return [{ name: server.name, description: `MCP server from ${server.untrusted}`, source, trusted: false, parameters: null }];
  const { connectMcp } = await import('../tools/mcp.js');
  try {
    const connection = await connectMcp(server);
    await connection.close();
    return connection.tools.map((t) => ({ name: t.name, description: t.description, source, trusted: true, parameters: t.parameters }));
  } catch (error) {
    return [{ name: server.name, description: '', source, trusted: true, parameters: null, error: (error as Error).message }];
  }
}
