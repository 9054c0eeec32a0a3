/**
 * The offline provider: deterministic synthetic text whose length follows --max-output-tokens
 * (or the template's expect.output_tokens), streamed at a realistic pace, with usage counted by
 * the real tokenizer — so templates, batches and accounting run in CI with no key and no network.
 */
import { type Clock, type TextCounter, type ToolCall, countedUsage, fnv1a32, systemClock } from '../domain/index.js';
import type { Provider, ProviderEvent, ProviderRequest } from './types.js';

export const SIMULATE_DEFAULT_OUTPUT_TOKENS = 120;

const WORDS = (
  'the model answers this prompt with simulated text so that every part of the pipeline can run ' +
  'offline tokens costs budgets templates and batches are counted exactly as they would be for a ' +
  'real request while nothing leaves the machine and no key is needed for any of it at all today'
).split(' ');

/** Words of about one token each, in sentences, picked by a small deterministic generator. */
export function simulatedPieces(prompt: string, count: number): string[] {
  // FNV-1a of the prompt: the same prompt always gets the same answer.
  let state = fnv1a32(prompt) || 1;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x100000000;
  };
  const pieces: string[] = [];
  let sentence = 0;
  for (let i = 0; i < count; i++) {
    let word = WORDS[Math.floor(next() * WORDS.length)]!;
    if (sentence === 0) word = word[0]!.toUpperCase() + word.slice(1);
    sentence++;
    const end = sentence >= 8 && (next() < 0.3 || sentence >= 14);
    // A closing period only when there is room for it: "Word." is two tokens.
    const stop = end || (i === count - 1 && count >= 3);
    if (stop) sentence = 0;
    pieces.push(`${i === 0 ? '' : ' '}${word}${stop ? '.' : ''}`);
  }
  return pieces;
}

type Schema = Record<string, unknown>;

/** A JSON value that satisfies `schema`, so structured-output templates validate offline too. */
export function sampleForSchema(schema: Schema, word: () => string, depth = 0): unknown {
  if (depth > 8) return null;
  if (schema.const !== undefined) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  const variants = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (Array.isArray(variants) && variants.length > 0) return sampleForSchema(variants[0]!, word, depth + 1);
  const type = Array.isArray(schema.type) ? (schema.type as string[]).find((t) => t !== 'null') ?? 'null' : schema.type;
  switch (type) {
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      const out: Record<string, unknown> = {};
      for (const [name, sub] of Object.entries(properties)) out[name] = sampleForSchema(sub, word, depth + 1);
      return out;
    }
    case 'array': {
      const min = typeof schema.minItems === 'number' ? schema.minItems : 1;
      const items = (schema.items ?? {}) as Schema;
      return Array.from({ length: Math.max(1, min) }, () => sampleForSchema(items, word, depth + 1));
    }
    case 'integer':
      return typeof schema.minimum === 'number' ? Math.ceil(schema.minimum) : 1;
    case 'number':
      return typeof schema.minimum === 'number' ? schema.minimum : 1.5;
    case 'boolean':
      return true;
    case 'null':
      return null;
    default: {
      if (schema.format === 'date') return '2026-01-01';
      if (schema.format === 'date-time') return '2026-01-01T00:00:00Z';
      if (schema.format === 'email') return 'someone@example.com';
      const min = typeof schema.minLength === 'number' ? schema.minLength : 1;
      let text = word();
      while (text.length < min) text += ` ${word()}`;
      return typeof schema.maxLength === 'number' ? text.slice(0, schema.maxLength) : text;
    }
  }
}

/** `counterFor` counts with the model's tokenizer (injected: providers do not depend on accounting). */
export function createSimulateProvider(settings: { counterFor: (model: string) => Promise<TextCounter>; tokensPerSecond?: number; clock?: Clock }): Provider {
  const clock = settings.clock ?? systemClock;
  const tps = settings.tokensPerSecond ?? 400;
  return {
    async *stream(request: ProviderRequest): AsyncGenerator<ProviderEvent> {
      const counter = await settings.counterFor(request.model);
      const cap = request.options.maxOutputTokens;
      const target = Math.min(request.expectedOutputTokens ?? cap ?? SIMULATE_DEFAULT_OUTPUT_TOKENS, cap ?? Infinity);
      const prompt = request.messages.map((m) => m.content).join('\n');
      const call = simulatedCall(request, prompt);
      if (call) {
        yield* callEvents(request, call, counter);
        return;
      }
      // Punctuation makes a few pieces two tokens: trim until the real count fits the target.
      let pieces: string[];
      if (request.options.schema) {
        // Structured output: a valid instance of the schema, streamed in small pieces.
        const words = simulatedPieces(prompt, 64).map((w) => w.trim().replace(/\.$/, '').toLowerCase());
        let i = 0;
        const json = JSON.stringify(sampleForSchema(request.options.schema.schema, () => words[i++ % words.length]!));
        pieces = json.match(/.{1,6}/gsu) ?? [];
      } else {
        pieces = simulatedPieces(prompt, target);
        while (pieces.length > 0 && counter.count(pieces.join('')) > target) {
          const over = counter.count(pieces.join('')) - target;
          pieces = simulatedPieces(prompt, Math.max(0, pieces.length - Math.max(1, over)));
        }
      }
      yield { type: 'start' };
      yield { type: 'model', model: request.model };
      const stream = request.options.stream !== false;
      const delay = tps > 0 ? 1000 / tps : 0;
      if (stream) {
        for (const piece of pieces) {
          if (delay > 0) await clock.sleep(delay, request.signal);
          yield { type: 'text', text: piece };
        }
      } else {
        if (delay > 0) await clock.sleep(delay * pieces.length, request.signal);
        if (pieces.length > 0) yield { type: 'text', text: pieces.join('') };
      }
      // Counted by the real tokenizer, which is what this provider stands in for: not an estimate.
      yield { type: 'usage', usage: countedUsage(counter, request.messages, pieces.join(''), false) };
      yield { type: 'finish', reason: cap !== undefined && target >= cap ? 'length' : 'stop' };
    },
  };
}

/** With tools offered and no tool result yet, the answer is a call to the first tool, arguments from its schema. */
function simulatedCall(request: ProviderRequest, prompt: string): ToolCall | undefined {
  const tool = request.tools?.[0];
  if (!tool || request.messages.some((m) => m.role === 'tool')) return undefined;
  const words = simulatedPieces(prompt, 16).map((w) => w.trim().replace(/\.$/, '').toLowerCase());
  let i = 0;
  const args = sampleForSchema(tool.parameters, () => words[i++ % words.length]!);
  return { id: `call_sim_${fnv1a32(prompt).toString(16)}`, name: tool.name, arguments: JSON.stringify(args ?? {}) };
}

async function* callEvents(request: ProviderRequest, call: ToolCall, counter: TextCounter): AsyncGenerator<ProviderEvent> {
  yield { type: 'start' };
  yield { type: 'model', model: request.model };
  yield { type: 'tool_calls', calls: [call] };
  yield { type: 'usage', usage: countedUsage(counter, request.messages, `${call.name}${call.arguments}`, false) };
  yield { type: 'finish', reason: 'tool_calls' };
}
