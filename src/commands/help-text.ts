/**
 * Help that teaches: each command's examples, and `gpt --help`'s environment, profiles and exit codes.
 * Plain strings only (program.ts loads this on every start-up, so it imports nothing heavy).
 */
import { type Command, Help } from 'commander';
import { BUILTIN_PROFILES, DEFAULT_PROFILE, KEY_ENV_ALIASES } from '../config/builtins.js';
import { type ErrorKind, exitCodeFor } from '../domain/index.js';

/** Two to four real command lines per command, each with what it does. */
export const EXAMPLES: Record<string, Array<[command: string, what: string]>> = {
  chat: [
    ['gpt chat "What is a monad, in one paragraph?"', 'ask once; the answer streams to stdout'],
    ['git diff | gpt chat "Review this diff"', 'piped stdin is appended to the message'],
    ['gpt chat -m gpt-5.2 --effort low --max-cost 0.01 --json "Name 3 primes"', 'one JSON object, never over 1 cent'],
    ['gpt --base-url http://127.0.0.1:8000/v1 -m my-model chat hi', 'a local server: no key needed'],
  ],
  run: [
    ['gpt run summarize < article.md', 'a shipped template, the file as {{input}}'],
    ['gpt run translate --var lang=French < notes.txt', 'set a template variable'],
    ['gpt run extract-json --dry-run < invoice.txt', 'show the request, its tokens and cost; send nothing'],
  ],
  batch: [
    ['gpt batch tickets.jsonl --template classify --out labels.jsonl', 'one request per line, 8 at a time'],
    ['gpt batch tickets.jsonl --template classify --out labels.jsonl --resume', 'after a stop: only the lines not yet ok'],
    ['gpt batch docs.csv --template summarize --out out.jsonl --max-cost 5', 'stop before spending more than $5'],
  ],
  cost: [
    ['gpt cost "Explain quicksort" --all', 'every priced model, cheapest first'],
    ['gpt cost tickets.jsonl --template classify --budget 20', 'a CI gate: exit 6 when over $20'],
    ['gpt cost --log --since 7d --by model', 'what was really spent this week'],
  ],
  models: [
    ['gpt models', 'prices per 1M tokens, fitted to the terminal'],
    ['gpt models --wide', 'every column'],
    ['gpt models --json', 'the table as JSON'],
  ],
  templates: [
    ['gpt templates', 'names, descriptions and variables'],
    ['gpt templates --json', 'the same as JSON'],
  ],
  config: [
    ['gpt config', 'each setting and where it came from (keys masked)'],
    ['gpt config path', 'the config and state files gpt reads and writes'],
    ['gpt config trust .gptrc.json', "trust a project's config after reading it"],
  ],
  history: [
    ['gpt history', 'recent conversations: id, when, title, model, turns, tokens, USD'],
    ['gpt history show 01JD3', 'one conversation as Markdown (--json: its records)'],
    ['gpt history --search invoice -n 5', 'the five newest that mention invoice'],
    ['gpt history rm 01JD3', 'delete one (--all --yes: every one)'],
  ],
  tools: [
    ['gpt tools', 'the tool files and configured MCP servers found, with their schemas'],
    ['gpt tools --json', 'the same as JSON'],
  ],
  completion: [
    ['eval "$(gpt completion bash)"', 'in ~/.bashrc'],
    ['gpt completion fish > ~/.config/fish/completions/gpt.fish', 'fish'],
  ],
};

const ROOT_EXAMPLES: Array<[string, string]> = [
  ['gpt chat "What is a monad?"', 'ask once'],
  ['gpt -p simulate chat hello', 'the whole pipeline offline: no key, no network'],
  ['gpt run summarize < article.md', 'a prompt template'],
  ['gpt cost tickets.jsonl --template classify --all', 'what a batch would cost on each model'],
];

/** Every environment variable gpt reads (config/load.ts, config/key.ts, ui/term.ts). */
const ENVIRONMENT: Array<[string, string]> = [
  ['OPENAI_API_KEY', 'key for the openai profile (not needed for a loopback --base-url)'],
  ['OPENAI_BASE_URL', 'base URL for the openai profile (OPENAI_API_BASE also read)'],
  ['GPT_PROFILE', 'profile to use when -p is not given'],
  ['GPT_MODEL', 'model to use when -m is not given'],
  ['COMETAPI_KEY', 'key for the cometapi profile (COMETAPI_API_KEY also read)'],
  ['OPENROUTER_API_KEY', 'key for the openrouter profile'],
  ['XDG_CONFIG_HOME', 'config dir: $XDG_CONFIG_HOME/gpt (default: ~/.config/gpt)'],
  ['XDG_STATE_HOME', 'usage log and trust store (default: ~/.local/state/gpt)'],
  ['NO_COLOR, FORCE_COLOR', 'turn colour (and Markdown rendering) off, or force colour on'],
];

/** What each exit code means; typed by ErrorKind so a new kind cannot be left out. */
const EXIT_MEANINGS: Record<ErrorKind, string> = {
  internal: 'internal error (a bug)',
  usage: 'usage: bad flag or argument, unknown template, unreadable input file',
  config: 'configuration: invalid config, unknown profile, no API key',
  auth: 'the API refused the key (401, 403)',
  rate_limit: 'rate limit or quota, still refused after retries (429)',
  budget: 'budget: --max-cost, or gpt cost --budget over (or unchecked)',
  api: 'other API or network failure after retries',
  batch_failed: 'batch finished, but some lines failed',
  output: 'could not write the output (disk full, closed file)',
  interrupted: 'interrupted (Ctrl-C); partial answer and accounting kept',
};

/** Laid out as commander lays out options: the right column wrapped within 80 columns (the static help's width). */
export const HELP_WIDTH = 80;
const layout = Object.assign(new Help(), { helpWidth: HELP_WIDTH });

const rows = (pairs: Array<[string, string]>): string => {
  const width = Math.max(...pairs.map(([left]) => left.length));
  return pairs.map(([left, right]) => layout.formatItem(left, width, right, layout)).join('\n');
};

/** The `Examples:` block a command's help ends with: each line, then what it does. */
export function examplesBlock(pairs: Array<[string, string]>): string {
  return `\nExamples:\n${pairs.map(([command, what]) => `  $ ${command}\n      ${what}`).join('\n')}\n`;
}

function profilesBlock(): string {
  const pairs = Object.entries(BUILTIN_PROFILES).map(([name, p]): [string, string] => {
    const key = p.simulate ? 'offline, no key' : p.apiKeyEnv ? [p.apiKeyEnv, ...(KEY_ENV_ALIASES[name] ?? [])].join(' or ') : 'no key';
    const where = p.simulate ? 'simulated answers' : p.baseUrl;
    return [`${name}${name === DEFAULT_PROFILE ? ' (default)' : ''}`, `${where} · ${key} · model ${p.model}`];
  });
  return `${rows(pairs)}\n  (more in config: profiles.<name>; see gpt config)`;
}

function exitCodesBlock(): string {
  const kinds = Object.keys(EXIT_MEANINGS) as ErrorKind[];
  const pairs: Array<[string, string]> = [['0', 'success'], ...kinds.map((k): [string, string] => [String(exitCodeFor(k)), EXIT_MEANINGS[k]])];
  return rows(pairs.sort((a, b) => Number(a[0]) - Number(b[0])));
}

/** `gpt --help`'s closing sections. */
export function rootHelpAfter(): string {
  return [
    examplesBlock(ROOT_EXAMPLES),
    layout.boxWrap('Generation flags (-s, --temperature, --max-cost, --timeout, ...) may come before or after the command.', HELP_WIDTH),
    '',
    `Environment:\n${rows(ENVIRONMENT)}`,
    '',
    `Profiles (-p NAME or GPT_PROFILE):\n${profilesBlock()}`,
    '',
    `Exit codes:\n${exitCodesBlock()}`,
    '',
  ].join('\n');
}

/** What `gpt` alone prints on stdout: where to start. */
export function overview(version: string): string {
  return `${layout.boxWrap(`gpt ${version} — prompt language models from the terminal, pipelines and CI, with exact token and cost accounting.`, HELP_WIDTH)}

${rows([
  ['gpt chat "question"', 'ask once (piped stdin is appended); alone on a terminal: a session'],
  ['gpt run <template>', 'run a prompt template (gpt templates lists them)'],
  ['gpt batch <file> -t <tpl>', 'many prompts from a JSONL or CSV file'],
  ['gpt cost [target]', 'estimate tokens and cost; sends nothing'],
  ['gpt models', 'known models and prices'],
  ['gpt config', 'the effective configuration'],
])}

First run: export OPENAI_API_KEY=sk-...
      or try it offline: gpt -p simulate chat hello
More: gpt --help, gpt <command> --help
`;
}

/** Adds each command's examples and the root's closing sections to the help. */
export function addHelpTexts(program: Command): void {
  program.addHelpText('after', rootHelpAfter);
  for (const cmd of program.commands) {
    const examples = EXAMPLES[cmd.name()];
    if (examples) cmd.addHelpText('after', examplesBlock(examples));
  }
}
