/**
 * Every command and flag, declared cheaply (commander only); a command's module is loaded only
 * when it runs, so `gpt --version` and `gpt --help` stay near Node's own start-up.
 */
import { Argument, Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { API_SHAPES, EFFORTS, GptError, OPTION_SPECS, checkValue, closest, exitCodeFor, redact, type OptionName, type OptionSpec, escapeControls } from './domain/index.js';
import { HELP_WIDTH, addHelpTexts, overview } from './commands/help-text.js';
import { VERSION } from './version.js';

export type CommandOptions = Record<string, unknown>;

/** A commander parser checking a flag's value against a spec (domain/options: one table for every entry point). */
function checked(flag: string, spec: OptionSpec) {
  return (raw: string): number => {
    const result = checkValue(spec, raw, true);
    if (!result.ok) throw new InvalidArgumentError(`${flag} takes ${result.expected}, not '${raw}'`);
    return result.value as number;
  };
}

const numberIn = (flag: string, min: number, max: number, integer = false) => checked(flag, { kind: integer ? 'integer' : 'number', min, max });
const option = (flag: string, name: OptionName) => checked(flag, OPTION_SPECS[name]);

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** --chunk and --chunk-tokens (chat, run, cost): map-reduce over input too long for one request. */
function addChunkOptions(cmd: Command): Command {
  return cmd
    .option('--chunk', 'split input too long for one request, answer each piece, then combine the answers')
    .option('--chunk-tokens <n>', 'with --chunk: tokens per piece (default: what fits the window)', numberIn('--chunk-tokens', 1, 1e9, true));
}

/** -a/--attach and --detail (chat, run, cost): images, PDFs and text files sent with the prompt. */
function addAttachOptions(cmd: Command): Command {
  return cmd
    .option('-a, --attach <path|url|->', 'attach an image, PDF or text file (repeatable)', collect)
    .addOption(new Option('--detail <level>', 'image detail (sets image tokens)').choices(['low', 'high', 'auto']));
}

function addGenerationOptions(cmd: Command): Command {
  return cmd
    .option('-s, --system <text>', 'system prompt')
    .option('--temperature <n>', 'sampling temperature (0-2)', option('--temperature', 'temperature'))
    .option('--top-p <n>', 'nucleus sampling (0-1)', option('--top-p', 'topP'))
    .option('--max-output-tokens <n>', 'cap on generated tokens', option('--max-output-tokens', 'maxOutputTokens'))
    .addOption(new Option('--effort <level>', 'reasoning effort').choices(EFFORTS))
    .option('--stop <seq>', 'stop sequence (repeatable)', collect)
    .option('--seed <n>', 'sampling seed', option('--seed', 'seed'))
    .option('--presence-penalty <n>', 'presence penalty (-2 to 2)', option('--presence-penalty', 'presencePenalty'))
    .option('--frequency-penalty <n>', 'frequency penalty (-2 to 2)', option('--frequency-penalty', 'frequencyPenalty'))
    .option('--schema <file>', 'JSON schema file for structured output (validated)')
    .addOption(new Option('--api <shape>', 'endpoint shape').choices(API_SHAPES))
    // Declaring --stream too keeps `stream` undefined unless given, so config defaults can apply.
    .addOption(new Option('--stream', 'stream tokens as they arrive (the default)').hideHelp())
    .option('--no-stream', 'wait for the whole answer instead of streaming')
    .option('--max-cost <usd>', 'refuse or stop before spending more than this', numberIn('--max-cost', 0, 1e9))
    .option('--timeout <seconds>', 'time to first byte and longest silence between stream events (default: 600)', option('--timeout', 'timeoutSeconds'))
    .option('--retries <n>', 'retries on 408/409/429/5xx and connection errors (default: 2)', option('--retries', 'retries'));
}

/** Tool calling (chat and run): tools from files or names, MCP servers, approval and the round limit. */
function addToolOptions(cmd: Command): Command {
  return cmd
    .option('-T, --tool <file|name>', 'offer a function tool to the model (repeatable)', collect)
    .option('--mcp <command|name>', 'offer the tools of an MCP server: a command, or a configured mcp.servers name (repeatable)', collect)
    .option('--yes', 'run tool calls without asking')
    .option('--max-tool-rounds <n>', 'stop a tool loop after this many requests (default 8)', numberIn('--max-tool-rounds', 1, 1000, true));
}

/** A command's module; completion also gets the root program, to describe every command and flag. */
type CommandModule = { run: (positional: unknown[], options: CommandOptions, program: Command) => Promise<number | void> };

/** Each command's module, loaded only when that command runs (esbuild makes each a chunk). */
const COMMANDS: Record<string, () => Promise<CommandModule>> = {
  chat: () => import('./commands/chat.js'),
  run: () => import('./commands/run.js'),
  batch: () => import('./commands/batch.js'),
  cost: () => import('./commands/cost.js'),
  models: () => import('./commands/models.js'),
  templates: () => import('./commands/templates.js'),
  tools: () => import('./commands/tools.js'),
  config: () => import('./commands/config.js'),
  completion: () => import('./commands/completion.js'),
  history: () => import('./commands/history.js'),
};

/** `src/commands/<name>.ts` exports `run(positional, options)`; its return value is the exit code. */
function lazy(name: keyof typeof COMMANDS) {
  return async (...args: unknown[]) => {
    const cmd = args.at(-1) as Command;
    const positional = args.slice(0, -2);
    const options = cmd.optsWithGlobals() as CommandOptions;
    const mod = await COMMANDS[name]!();
    let root = cmd;
    while (root.parent) root = root.parent;
    const code = await mod.run(positional, options, root);
    if (typeof code === 'number') process.exitCode = code;
  };
}

export function buildProgram(): Command {
  const program = new Command('gpt')
    .description('Prompt large language models from the terminal, pipelines and CI — with exact token and cost accounting.')
    .version(VERSION, '--version', 'print the version')
    .option('-p, --profile <name>', 'provider profile (openai, cometapi, openrouter, ollama, simulate, or from config)')
    .option('-m, --model <id>', 'model id')
    .option('--base-url <url>', 'API base URL, e.g. http://localhost:11434/v1')
    .option('--config <file>', 'use this config file instead of searching')
    .option('--json', 'print JSON on stdout')
    .option('-q, --quiet', 'no usage footer, no progress')
    .option('--no-color', 'no colour, and the answer printed raw instead of rendered (like NO_COLOR)')
    .option('-v, --verbose', 'log requests and responses to stderr (keys redacted)')
    .showSuggestionAfterError(true)
    .exitOverride()
    // Help is 80 columns wide even on a wider terminal (as a pipe gets it; bin/gpt.js prints it from the build
    // for both); a narrower terminal still gets it wrapped to its width.
    .configureOutput({ outputError: (str, write) => write(str), getOutHelpWidth: () => Math.min(HELP_WIDTH, process.stdout.isTTY ? process.stdout.columns || HELP_WIDTH : HELP_WIDTH) });
  // Generation flags before the command too (`gpt --timeout 2 chat hi`): the commands read them with optsWithGlobals.
  for (const flag of addGenerationOptions(new Command()).options) program.addOption(flag.hideHelp());
  for (const add of [addChat, addRun, addBatch, addCost, addSmallCommands]) add(program);
  program.allowExcessArguments().action((_options: unknown, cmd: Command) => overviewOrUnknown(cmd));
  addHelpTexts(program);
  return program;
}

/** `gpt` alone: a short overview on stdout; `gpt chta`: the nearest command. */
function overviewOrUnknown(program: Command): void {
  const [word] = program.args;
  if (word === undefined) return void process.stdout.write(overview(VERSION));
  const near = closest(word, program.commands.map((c) => c.name()));
  program.error(`error: unknown command '${word}'${near ? `\n(Did you mean ${near}?)` : ''}\nRun gpt --help to see the commands.`, { code: 'commander.unknownCommand' });
}

/** `gpt chat`: one-shot or interactive. */
function addChat(program: Command): void {
  addToolOptions(addGenerationOptions(
    addChunkOptions(addAttachOptions(program
      .command('chat')))
      .description('one-shot query (message and/or piped stdin), or an interactive session on a TTY')
      .argument('[message...]', 'the message; piped stdin is appended to it')
      .option('--no-validate', 'do not validate structured output (--schema) against the schema')
      .option('--raw', 'print the answer as it comes, without Markdown rendering')
      .option('-c, --continue', 'add a turn to the last conversation (no message on a terminal: reopen it interactively)')
      .option('--cid <id>', 'continue the conversation with this id or unique id prefix')
      .option('-i, --interactive', 'a session even when stdin is piped (one line = one turn)')
      .option('--compact', 'with -c/--cid: compact older turns before sending')
      // Declaring --save too keeps `save` undefined unless given, so config conversations.save can apply.
      .addOption(new Option('--save', 'save the conversation (the default)').hideHelp())
      .option('--no-save', 'do not store this conversation or turn'),
  )).action(lazy('chat'));
}

/** `gpt run <template>`. */
function addRun(program: Command): void {
  addToolOptions(addGenerationOptions(
    addChunkOptions(addAttachOptions(program
      .command('run')))
      .description('render a prompt template and run it once')
      .argument('<template>', 'template name (from prompts/ and template paths) or file path')
      .option('--var <k=v>', 'template variable; k=@file reads a file (repeatable)', collect)
      .option('--vars <file.json>', 'template variables from a JSON object')
      .option('--dry-run', 'print the request that would be sent, its tokens and cost; send nothing')
      .option('--no-validate', 'do not validate structured output against the schema')
      .option('--raw', 'print the answer as it comes, without Markdown rendering')
      .option('--save-conversation', 'store the run as a conversation (gpt chat -c can continue it)'),
  )).action(lazy('run'));
}

/** `gpt batch <input>`: live or through the Batch API. */
function addBatch(program: Command): void {
  addGenerationOptions(
    program
      .command('batch')
      .description('run many prompts from a JSONL or CSV file: concurrent, rate-limited, resumable, budgeted')
      .argument('[input...]', 'input file (JSONL or CSV, - for stdin); with --merge, the output files to merge')
      .option('-t, --template <name>', 'template rendered with each line as variables')
      .option('-o, --out <file.jsonl>', 'output file, also the checkpoint (default: stdout)')
      .option('--concurrency <n>', 'requests in flight (default: 8)', numberIn('--concurrency', 1, 10_000, true))
      .option('--rpm <n>', 'requests per minute limit', numberIn('--rpm', 1, 1e9, true))
      .option('--tpm <n>', 'tokens per minute limit', numberIn('--tpm', 1, 1e12, true))
      .option('--resume', 'skip ids already ok in --out; retry the rest')
      .option('--fail-fast', 'stop at the first failed line')
      .option('--shard <K/N>', 'run only shard K of N (stable hash of the id)')
      .addOption(new Option('--mode <mode>', 'live requests or the provider Batch API').choices(['live', 'openai-batch']).default('live', 'live'))
      .option('--merge', 'merge shard outputs given as arguments into --out, checking completeness against --input')
      .option('--input <file>', 'with --merge: the original input to check completeness against')
      .option('--poll-interval <seconds>', 'openai-batch: seconds between status polls', numberIn('--poll-interval', 0.01, 3600))
      .option('--no-validate', 'do not validate structured output against the schema'),
  ).action(lazy('batch'));
}

/** `gpt cost [target]`: estimates, projections, the budget gate and --log. */
function addCost(program: Command): void {
  addChunkOptions(addAttachOptions(program
    .command('cost')))
    .description('estimate tokens and cost without calling any API; --log summarises real spend')
    .argument('[target]', 'a message, a template name or path, a batch file (.jsonl/.csv), or - for stdin')
    .option('--var <k=v>', 'template variable (repeatable)', collect)
    .option('--vars <file.json>', 'template variables from a JSON object')
    .option('-t, --template <name>', 'template applied to each line of a batch file')
    .option('-s, --system <text>', 'system prompt to count')
    .option('--all', 'every priced model, cheapest first')
    .option('--output-tokens <n>', 'assumed output tokens per run', numberIn('--output-tokens', 0, 1e9, true))
    .option('--max-output-tokens <n>', 'cap on output tokens (used as the estimate when nothing better is known)', numberIn('--max-output-tokens', 1, 1e9, true))
    .addOption(new Option('--effort <level>', 'reasoning effort (adds an assumed reasoning budget)').choices(EFFORTS))
    .option('--reasoning-tokens <n>', 'assumed reasoning tokens per request, billed as output (instead of the --effort multiplier)', numberIn('--reasoning-tokens', 0, 1e9, true))
    .option('--runs <n>', 'number of runs to project', numberIn('--runs', 0, 1e12, true))
    .option('--per-day <n>', 'runs per day', numberIn('--per-day', 0, 1e12))
    .option('--days <n>', 'days to project, with --per-day (default: 30)', numberIn('--days', 0, 1e6))
    .option('--cache-hit <f>', 'fraction of input priced at the cached rate (0-1)', numberIn('--cache-hit', 0, 1))
    .addOption(new Option('--mode <mode>', 'price live or at the Batch API discount').choices(['live', 'openai-batch']).default('live', 'live'))
    .option('--budget <usd>', 'exit 6 when the projected total is over this', numberIn('--budget', 0, 1e12))
    .option('--allow-skipped', 'with --budget: pass even when some batch lines could not be counted')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'markdown', 'csv', 'json']))
    .option('--log', 'summarise real spend from the usage log')
    .option('--since <when>', 'with --log: 7d, 24h, or a date (2026-01-01)')
    .option('--until <when>', 'with --log: end of the window')
    .addOption(new Option('--by <key>', 'with --log: group by').choices(['day', 'model', 'profile', 'template']).default('day', 'day'))
    .action(lazy('cost'));
}

/** models, templates, config and completion. */
function addSmallCommands(program: Command): void {
  program
    .command('models')
    .description('list known models with prices, context window and tokenizer, fitted to the terminal width')
    .option('--wide', 'every column, however wide')
    .action(lazy('models'));

  program.command('templates').description('list the templates on the search path, with their variables').action(lazy('templates'));

  program.command('tools').description('list the tools found (files and configured MCP servers) with their schemas').action(lazy('tools'));

  program
    .command('config')
    .description('show the effective configuration and where each value came from; `config trust [file]`')
    .argument('[action]', 'trust | untrust | path')
    .argument('[file]', 'the project config file to trust')
    .action(lazy('config'));

  program
    .command('history')
    .description('recent conversations; `history show <id>`, `history rm <id>`')
    .argument('[action]', 'show | rm')
    .argument('[id]', 'conversation id or unique id prefix')
    .option('-n, --limit <n>', 'how many to list (default: 20)', numberIn('-n', 1, 1e6, true))
    .option('--search <text>', 'only conversations whose title or content contains this')
    .option('--all', 'with rm: every conversation')
    .option('--yes', 'with rm: do not ask')
    .action(lazy('history'));

  program
    .command('completion')
    .description('print a shell completion script')
    .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(['bash', 'zsh', 'fish']))
    .action(lazy('completion'));
}

/** Error text often quotes a server: keys masked, control characters shown rather than sent to the terminal. */
const shown = (text: string) => escapeControls(redact(text));

/** The one place an error becomes a message on stderr and an exit code. */
export function reportError(error: unknown, verbose: boolean): number {
  if (error instanceof GptError) {
    process.stderr.write(`gpt: ${shown(error.message)}\n`);
    return error.exitCode;
  }
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
    return exitCodeFor('usage');
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`gpt: internal error: ${shown(message)}\n`);
  if (verbose && error instanceof Error && error.stack) process.stderr.write(`${shown(error.stack)}\n`);
  else process.stderr.write('gpt: this is a bug; run again with --verbose and report it\n');
  return exitCodeFor('internal');
}
