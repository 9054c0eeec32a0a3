/** The flags `gpt chat` and `gpt run` share, read once from commander's options into typed values. */
import { flagOptions } from '../../config/load.js';
import type { PromptDisplay } from './runner.js';
import type { ToolFlags } from './tools.js';
import type { GenerationOptions, ImageDetail } from '../../domain/index.js';

/** What config loading reads from the command line (--config, --profile, --model, --base-url). */
export type ConfigFlags = { config?: string; profile?: string; model?: string; baseUrl?: string };

export interface PromptFlags {
  config: ConfigFlags;
  /** Generation options given as flags: the highest layer, over front matter and config defaults. */
  generation: GenerationOptions;
  display: PromptDisplay;
  /** --max-cost in USD. */
  maxCost?: number;
  /** --schema FILE, read relative to the working directory. */
  schemaFile?: string;
  /** -T, --mcp, --yes, --max-tool-rounds. */
  tools: ToolFlags;
  /** -a/--attach PATH|URL|- (repeatable), in order. */
  attach: string[];
  /** --detail low|high|auto for attached images. */
  detail?: ImageDetail;
  /** --chunk: map-reduce over input too long for one request. */
  chunk: boolean;
  /** --chunk-tokens N: tokens per piece. */
  chunkTokens?: number;
}

export const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
export const texts = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);
const number = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);

/** Keeps only the keys that are set, so an absent flag never hides a value from a lower layer. */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Commander's options for chat and run (values already checked by program.ts's parsers) as PromptFlags. */
export function readPromptFlags(flags: Record<string, unknown>): PromptFlags {
  return {
    config: defined({ config: text(flags.config), profile: text(flags.profile), model: text(flags.model), baseUrl: text(flags.baseUrl) }),
    generation: flagOptions(flags),
    display: {
      json: flags.json === true,
      quiet: flags.quiet === true,
      raw: flags.raw === true,
      verbose: flags.verbose === true,
      color: flags.color !== false,
    },
    attach: texts(flags.attach),
    chunk: flags.chunk === true,
    ...defined({ chunkTokens: number(flags.chunkTokens) }),
    ...defined({ maxCost: number(flags.maxCost), schemaFile: text(flags.schema), detail: text(flags.detail) as ImageDetail | undefined }),
    tools: { tools: texts(flags.tool), mcp: texts(flags.mcp), yes: flags.yes === true, ...defined({ maxToolRounds: number(flags.maxToolRounds) }) },
  };
}
