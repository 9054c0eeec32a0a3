/** What the tools room speaks: a tool the model may call, where it came from, and what a call returns. */
import type { ToolSpec } from '../domain/index.js';

/** What a call gives back to the model: its text, and whether it is an error. */
export interface ToolResult {
  ok: boolean;
  output: string;
}

export interface Tool extends ToolSpec {
  /** The tool file, or `mcp:<server>`. */
  source: string;
  /** Runs the call with arguments already checked against `parameters`. */
  invoke(args: Record<string, unknown>, signal?: AbortSignal): Promise<ToolResult>;
}

/** A tool file, read and checked: how to run it. */
export interface ToolFile extends ToolSpec {
  path: string;
  /** argv: no shell; the arguments go as JSON on stdin. */
  command: string[];
  timeoutSeconds: number;
  /** Absolute; the tool file's folder when not given. */
  cwd: string;
  /** Names of the environment variables passed on (PATH always). */
  env: string[];
}

/** Where tools are looked up by name (SPEC: tools), and what is trusted among them. */
export interface ToolWhere {
  cwd: string;
  /** `tools.paths` from config (absolute), searched after ./tools. */
  paths: string[];
  /** `$XDG_CONFIG_HOME/gpt`; its `tools/` folder is searched last. */
  configDir: string;
  /** Directories trusted with `gpt config trust <dir>` (canonical). */
  trustedDirs: string[];
  /** `tools.paths` entries an untrusted project config added. */
  untrustedPaths: string[];
}

export const DEFAULT_TOOL_TIMEOUT_SECONDS = 30;
