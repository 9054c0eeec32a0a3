/**
 * One prompt, end to end, shared by `gpt chat` and `gpt run`: key → provider → stream to stdout
 * (or JSON) → usage (reported or counted) → cost → footer on stderr → usage log.
 */
import { costOf } from '../accounting/cost.js';
import { lookupModel } from '../accounting/models.js';
import { countedUsage, loadCounter } from '../accounting/tokenizer.js';
import { type Cost, GptError, type ChatMessage, type GenerationOptions, type Usage, redact } from '../domain/index.js';
import type { ModelInfo } from '../accounting/types.js';
import { appendUsageRecord, usageLogPath } from '../accounting/usage-log.js';
import { clearTextWarning, resolveApiKey } from '../config/key.js';
import type { ResolvedConfig } from '../config/types.js';
import { createProvider } from './provider.js';
import { footerLine } from '../ui/footer.js';
import { claimStdoutFailure, isClosedPipe, writeErrorReason, writeFailure } from '../ui/stdout.js';
import { colorEnabled, escapeControls, isInteractive, style } from '../ui/term.js';
import { type NamedSchema, validateAnswer } from './schema.js';

export interface PromptJob {
  command: 'chat' | 'run';
  config: ResolvedConfig;
  /** Global flags: json, quiet, verbose, color, raw, validate, maxCost. */
  flags: Record<string, unknown>;
  model: string;
  messages: ChatMessage[];
  options: GenerationOptions;
  template?: string;
  expectedOutputTokens?: number;
  /** Interactive sessions keep going after an interrupted answer. */
  signal?: AbortSignal;
}

export interface PromptResult {
  text: string;
  model: string;
  usage: Usage;
  cost: Cost;
  finishReason: string;
}

export interface Output {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

export function warn(out: Output, flags: Record<string, unknown>, message: string): void {
  const s = style(colorEnabled(out.stderr, flags));
  out.stderr.write(`${s.yellow('gpt: warning:')} ${escapeControls(redact(message))}\n`);
}

function zeroUsage(): Usage {
  return { input_tokens: 0, cached_input_tokens: 0, output_tokens: 0, reasoning_tokens: 0, total_tokens: 0, estimated: true };
}

function costFor(info: ModelInfo, usage: Usage, providerCost: number | undefined): Cost {
  if (providerCost !== undefined) {
    const base = costOf(usage, info.price);
    return { ...base, total_usd: providerCost, priced: true, source: 'provider' };
  }
  return costOf(usage, info.price);
}

export async function runPrompt(job: PromptJob, out: Output = { stdout: process.stdout, stderr: process.stderr }): Promise<PromptResult> {
  const { config, flags, options } = job;
  const json = Boolean(flags.json);
  const quiet = Boolean(flags.quiet);
  const info = lookupModel(job.model, config.pricing);
  const maxCost = (flags.maxCost as number | undefined) ?? config.budget.maxCostPerRun;

  const { key } = resolveApiKey(config);
  const clearText = clearTextWarning(config.profile.baseUrl, key);
  if (clearText) warn(out, flags, clearText);

  const promptChars = job.messages.reduce((n, m) => n + m.content.length, 0);
  const window = info.contextWindow;
  let countedInput: number | undefined;
  // Counting costs ~0.3 s per MB: do it only where it can change the outcome (a budget, or a prompt
  // near the context window); far over the window, a 4-chars-per-token estimate is enough to warn.
  if (window !== null && maxCost === undefined && promptChars / 4 > 2 * window) {
    warn(out, flags, `the prompt is about ${Math.round(promptChars / 4).toLocaleString('en-US')} tokens (estimated), over ${job.model}'s context window of ${window.toLocaleString('en-US')}; the API will probably refuse it`);
  } else if (maxCost !== undefined || (window !== null && promptChars > window)) {
    const counter = await loadCounter(job.model);
    const inputTokens = counter.countChat(job.messages);
    countedInput = inputTokens;
    if (window !== null && inputTokens > window) {
      warn(out, flags, `the prompt is ${inputTokens.toLocaleString('en-US')} tokens, over ${job.model}'s context window of ${window.toLocaleString('en-US')}; the API will probably refuse it`);
    }
    if (maxCost !== undefined && info.price) {
      const inputCost = costOf({ ...zeroUsage(), input_tokens: inputTokens, total_tokens: inputTokens }, info.price).total_usd;
      if (inputCost > maxCost) {
        throw new GptError('budget', `the prompt alone would cost $${inputCost.toFixed(6)} on ${job.model}, over --max-cost $${maxCost}; nothing was sent`);
      }
    }
  }
  if (!info.price) warn(out, flags, `no price known for model '${job.model}': cost will show as unknown (add pricing.${job.model} to your config)`);

  const log = flags.verbose ? (line: string) => out.stderr.write(`${escapeControls(redact(line))}\n`) : undefined;
  const provider = createProvider(config, { apiKey: key, log });

  const controller = new AbortController();
  const onSigint = () => controller.abort();
  // A reader that closed stdout stops the answer (nobody reads the rest); accounting still runs.
  let stdoutFailure: NodeJS.ErrnoException | undefined;
  const releaseStdout = claimStdoutFailure((error) => {
    stdoutFailure ??= error;
    controller.abort();
  });
  process.on('SIGINT', onSigint); // not once: ora's signal-exit re-raises SIGINT when it sees no other listener
  job.signal?.addEventListener('abort', onSigint, { once: true });

  const interactive = isInteractive(out.stderr) && !quiet && !json;
  let spinner: { stop(): void } | undefined;
  if (interactive) {
    const { default: ora } = await import('ora');
    spinner = ora({ text: job.model, stream: out.stderr, discardStdin: false }).start();
  }
  const stopSpinner = () => {
    spinner?.stop();
    spinner = undefined;
  };

  const started = performance.now();
  let firstTokenAt: number | undefined;
  let lastTokenAt: number | undefined;
  let text = '';
  let reportedModel = job.model;
  let usage: Usage | undefined;
  let providerCost: number | undefined;
  let finishReason = 'unknown';
  let failure: unknown;
  // Markdown only for a person at a colour terminal; pipes and files get the bytes as sent.
  const markdown = !json && !flags.raw && out.stdout.isTTY && colorEnabled(out.stdout, flags) ? new (await import('../ui/markdown.js')).MarkdownStream() : undefined;
  // One stdout write per event-loop turn, not per token: a network read carries many events.
  let pending = '';
  let flushScheduled = false;
  const flush = () => {
    flushScheduled = false;
    if (pending !== '' && !stdoutFailure) out.stdout.write(pending);
    pending = '';
  };
  const write = (chunk: string) => {
    if (json || stdoutFailure) return;
    pending += markdown ? markdown.write(chunk) : chunk;
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flush);
    }
  };

  let spendCounter: Awaited<ReturnType<typeof loadCounter>> | undefined;
  let outputSoFar = 0;
  let inputForBudget = 0;
  if (maxCost !== undefined && info.price) {
    spendCounter = await loadCounter(job.model);
    inputForBudget = countedInput ?? spendCounter.countChat(job.messages);
  }

  try {
    for await (const event of provider.stream({
      model: job.model,
      messages: job.messages,
      options,
      signal: controller.signal,
      expectedOutputTokens: job.expectedOutputTokens,
    })) {
      switch (event.type) {
        case 'text':
          if (firstTokenAt === undefined) {
            firstTokenAt = performance.now();
            stopSpinner();
          }
          lastTokenAt = performance.now();
          text += event.text;
          write(event.text);
          if (spendCounter && maxCost !== undefined) {
            outputSoFar += spendCounter.count(event.text);
            const spent = costOf({ ...zeroUsage(), input_tokens: inputForBudget, output_tokens: outputSoFar, total_tokens: inputForBudget + outputSoFar }, info.price).total_usd;
            if (spent > maxCost) {
              controller.abort();
              throw new GptError('budget', `stopped: the answer reached ~$${spent.toFixed(6)}, over --max-cost $${maxCost}`);
            }
          }
          break;
        case 'model':
          reportedModel = event.model;
          break;
        case 'usage':
          usage = event.usage;
          providerCost = event.providerCostUsd;
          break;
        case 'finish':
          finishReason = event.reason;
          break;
        case 'retry':
          if (!quiet) warn(out, flags, `${event.reason}; retrying in ${(event.delayMs / 1000).toFixed(1)}s (attempt ${event.attempt})`);
          break;
        case 'warning':
          warn(out, flags, event.message);
          break;
        default:
          break;
      }
    }
  } catch (error) {
    failure = error instanceof GptError && controller.signal.aborted && error.kind !== 'budget' ? new GptError('interrupted', 'interrupted') : error;
  } finally {
    flush();
    stopSpinner();
    process.removeListener('SIGINT', onSigint);
  }
  // Writes are synchronous for files and pipes, but their errors arrive on the next tick.
  await new Promise(setImmediate);
  if (stdoutFailure) failure = isClosedPipe(stdoutFailure) ? undefined : writeFailure('to stdout', stdoutFailure);

  const elapsedMs = performance.now() - started;
  if (markdown && !stdoutFailure) out.stdout.write(markdown.end());
  if (!json && !stdoutFailure && text !== '' && out.stdout.isTTY && !text.endsWith('\n')) out.stdout.write('\n');

  // Nothing reached the model when the failure came before any answer: then there is nothing to account.
  const answered = text !== '' || usage !== undefined;
  if (!usage && (answered || failure === undefined)) {
    usage = countedUsage(await loadCounter(job.model), job.messages, text, true, countedInput);
  }
  const finalUsage = usage ?? zeroUsage();
  const cost = costFor(info, finalUsage, providerCost);
  const result: PromptResult = { text, model: reportedModel, usage: finalUsage, cost, finishReason };

  if (usage && !config.profile.simulate) {
    try {
      await appendUsageRecord(config.stateDir, {
        ts: new Date().toISOString(),
        command: job.command,
        profile: config.profileName,
        model: reportedModel,
        requested_model: job.model,
        ...(job.template ? { template: job.template } : {}),
        usage: finalUsage,
        prices: info.price,
        cost,
        latency_ms: Math.round(elapsedMs),
      });
    } catch (error) {
      // The answer is paid for and shown: a log that cannot be written is worth a warning, never a failure.
      warn(out, flags, `could not write the usage log ${usageLogPath(config.stateDir)}: ${writeErrorReason(error as NodeJS.ErrnoException)}`);
    }
  }

  if (usage && !quiet) {
    const generationMs = firstTokenAt !== undefined && lastTokenAt !== undefined ? lastTokenAt - firstTokenAt : undefined;
    const line = footerLine({ model: reportedModel, usage: finalUsage, cost, elapsedMs, generationMs });
    out.stderr.write(`${style(colorEnabled(out.stderr, flags)).dim(line)}\n`);
  }

  if (json && !stdoutFailure && (failure === undefined || text !== '')) {
    const body = {
      model: reportedModel,
      profile: config.profileName,
      text,
      finish_reason: failure === undefined ? finishReason : 'error',
      usage: finalUsage,
      cost: { input_usd: cost.input_usd, cached_input_usd: cost.cached_input_usd, output_usd: cost.output_usd, total_usd: cost.total_usd, priced: cost.priced, ...(cost.source ? { source: cost.source } : {}) },
      latency: {
        first_token_ms: firstTokenAt !== undefined ? Math.round(firstTokenAt - started) : null,
        total_ms: Math.round(elapsedMs),
      },
    };
    out.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
  }

  releaseStdout();
  if (failure !== undefined) throw failure;
  if (stdoutFailure) return result; // the reader left: nothing to warn or validate for
  if (finishReason === 'length') warn(out, flags, 'the answer was cut off at the output token limit (--max-output-tokens)');
  if (options.schema && flags.validate !== false) await checkStructured(text, options.schema);
  return result;
}

async function checkStructured(text: string, schema: NamedSchema): Promise<void> {
  const problems = await validateAnswer(text, schema);
  if (problems.length > 0) {
    throw new GptError('api', `the answer does not match schema ${schema.name}: ${problems.slice(0, 5).join('; ')} (use --no-validate to accept it anyway)`, { code: 'schema_validation' });
  }
}
