/**
 * The tools of one chat or run: `-T` files and names, a template's `tools:`, `--mcp` servers (a command, or the
 * name of a configured `mcp.servers` entry), made into one toolbox — every name once, nothing untrusted, all
 * found or started before any request — and what the tool loop needs to run them.
 */
import type { ResolvedConfig } from '../../config/types.js';
import { DEFAULT_MAX_RESULT_TOKENS, DEFAULT_MAX_TOOL_ROUNDS, type ToolLoopDeps, type ToolLoopSpec } from '../../core/tool-loop.js';
import { GptError, type ToolSpec } from '../../domain/index.js';
import type { Tool, ToolWhere } from '../../tools/types.js';
import { approver } from '../../ui/approval.js';

export interface ToolFlags {
  /** -T/--tool: files or names (repeatable). */
  tools: string[];
  /** --mcp: a server command line, or a configured server's name (repeatable). */
  mcp: string[];
  /** --yes: run tool calls without asking. */
  yes: boolean;
  maxToolRounds?: number;
}

/** The tools in play and how to close their servers. */
export interface Toolbox {
  loop: ToolLoopSpec;
  extras: Pick<ToolLoopDeps, 'approve' | 'checkArguments'>;
  close(): Promise<void>;
}

export const hasTools = (flags: ToolFlags, templateTools: string[] = []) => flags.tools.length + flags.mcp.length + templateTools.length > 0;

export function toolWhere(config: ResolvedConfig, cwd: string): ToolWhere {
  return { cwd, paths: config.tools?.paths ?? [], configDir: config.configDir, trustedDirs: config.trust.dirs, untrustedPaths: config.tools?.untrustedPaths ?? [] };
}

export interface TemplateTools {
  names: string[];
  /** The template's file, when it comes from an untrusted folder: its tools are refused. */
  untrusted?: { path: string; trust: string };
}

/** A template from an untrusted folder may not bring tools: they would run code the user has not chosen. */
function refuseUntrustedTemplate(template: TemplateTools | undefined): void {
  if (template?.untrusted && template.names.length > 0) {
    throw new GptError('config', `${template.untrusted.path} is an untrusted template and lists tools (${template.names.join(', ')}): after reading it, trust it with: gpt config trust ${template.untrusted.trust}`);
  }
}

/** Finds and starts everything before a request is sent; on any failure what was started is closed again. */
export async function openToolbox(flags: ToolFlags, config: ResolvedConfig, cwd: string, template?: TemplateTools): Promise<Toolbox> {
  refuseUntrustedTemplate(template);
  const [{ findTool }, { runToolCommand }, { argumentChecker }] = await Promise.all([import('../../tools/find.js'), import('../../tools/command.js'), import('../../tools/schema.js')]);
  const where = toolWhere(config, cwd);
  const tools: Tool[] = [];
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    await Promise.all(closers.map((c) => c()));
  };
  try {
    const refs = [...flags.tools.map((ref) => ({ ref, origin: '-T' })), ...(template?.names ?? []).map((ref) => ({ ref, origin: 'tools:' }))];
    for (const { ref, origin } of refs) {
      const file = await findTool(ref, where, origin);
      tools.push({ ...file, source: file.path, invoke: (args, signal) => runToolCommand(file, args, signal) });
    }
    for (const line of flags.mcp) {
      const connection = await startServer(line, config);
      closers.push(connection.close);
      tools.push(...connection.tools);
    }
    checkUnique(tools);
  } catch (error) {
    await close();
    throw error;
  }
  return {
    loop: { tools, maxRounds: flags.maxToolRounds ?? DEFAULT_MAX_TOOL_ROUNDS, maxResultTokens: config.tools?.maxResultTokens ?? DEFAULT_MAX_RESULT_TOKENS },
    extras: {
      approve: approver({ yes: flags.yes, neverAsk: config.tools?.neverAsk ?? [], input: process.stdin, output: process.stderr }),
      checkArguments: await argumentChecker(),
    },
    close,
  };
}

/** `--mcp fs` starts the configured server `fs`; anything else is a command line. */
async function startServer(line: string, config: ResolvedConfig) {
  const { connectMcp, splitCommand } = await import('../../tools/mcp.js');
  const configured = config.mcpServers?.find((s) => s.name === line);
  if (configured) {
    if (configured.untrusted) {
      throw new GptError('config', `MCP server ${configured.name} comes from untrusted ${configured.untrusted} and would run code: after reading it, trust it with: gpt config trust ${configured.untrusted}`);
    }
    return connectMcp(configured);
  }
  const [command, ...args] = splitCommand(line);
  if (!command) throw new GptError('usage', '--mcp needs a server command or the name of a configured server');
  return connectMcp({ name: command, command, args });
}

function checkUnique(tools: Tool[]): void {
  const seen = new Map<string, string>();
  for (const tool of tools) {
    const first = seen.get(tool.name);
    if (first !== undefined) throw new GptError('usage', `two tools are named ${tool.name}: ${first} and ${tool.source}`);
    seen.set(tool.name, tool.source);
  }
}

/** For `--dry-run`: the tool files' specs as they would be sent (found and checked, trust included; nothing runs, no server starts). */
export async function dryRunTools(flags: ToolFlags, config: ResolvedConfig, cwd: string, template?: TemplateTools): Promise<{ tools: ToolSpec[]; warnings: string[] }> {
  refuseUntrustedTemplate(template);
  const { findTool } = await import('../../tools/find.js');
  const where = toolWhere(config, cwd);
  const tools: ToolSpec[] = [];
  for (const ref of [...flags.tools, ...(template?.names ?? [])]) {
    const { name, description, parameters } = await findTool(ref, where, flags.tools.includes(ref) ? '-T' : 'tools:');
    tools.push({ name, description, parameters });
  }
  return { tools, warnings: flags.mcp.length > 0 ? ['a dry run starts no MCP server: the request shown lacks their tools'] : [] };
}
