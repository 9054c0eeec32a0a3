/**
 * The offline provider: deterministic synthetic text whose length follows --max-output-tokens
 * (or the template's expect.output_tokens), streamed at a realistic pace, with usage counted by
 * the real tokenizer — so templates, batches and accounting run in CI with no key and no network.
 */
import { loadCounter } from '../accounting/tokenizer.js';
import { type Clock, realClock } from './http.js';
import type { Provider, ProviderEvent, ProviderRequest } from './types.js';

export const SIMULATE_DEFAULT_OUTPUT_TOKENS = 120;

const WORDS = (
  'the model answers this prompt with simulated text so that every part of the pipeline can run ' +
  'offline tokens costs budgets templates and batches are counted exactly as they would be for a ' +
  'real request while nothing leaves the machine and no key is needed for any of it at all today'
).split(' ');

/** FNV-1a: a stable seed from the prompt, so the same prompt always gets the same answer. */
function seedOf(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}

/** Words of about one token each, in sentences, picked by a small deterministic generator. */
export function simulatedPieces(prompt: string, count: number): string[] {
  let state = seedOf(prompt) || 1;
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
    if (end || i === count - 1) sentence = 0;
    pieces.push(`${i === 0 ? '' : ' '}${word}${end || i === count - 1 ? '.' : ''}`);
  }
  return pieces;
}

export function createSimulateProvider(settings: { tokensPerSecond?: number; clock?: Clock } = {}): Provider {
  const clock = settings.clock ?? realClock;
  const tps = settings.tokensPerSecond ?? 400;
  return {
    async *stream(request: ProviderRequest): AsyncGenerator<ProviderEvent> {
      const counter = await loadCounter(request.model);
      const cap = request.options.maxOutputTokens;
      const target = Math.min(request.expectedOutputTokens ?? cap ?? SIMULATE_DEFAULT_OUTPUT_TOKENS, cap ?? Infinity);
      const prompt = request.messages.map((m) => m.content).join('\n');
      // Punctuation makes a few pieces two tokens: trim until the real count fits the target.
      let pieces = simulatedPieces(prompt, target);
      while (pieces.length > 0 && counter.count(pieces.join('')) > target) {
        const over = counter.count(pieces.join('')) - target;
        pieces = simulatedPieces(prompt, Math.max(0, pieces.length - Math.max(1, over)));
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
      const input = counter.countChat(request.messages);
      const output = counter.count(pieces.join(''));
      yield {
        type: 'usage',
        usage: { input_tokens: input, cached_input_tokens: 0, output_tokens: output, reasoning_tokens: 0, total_tokens: input + output, estimated: false },
      };
      yield { type: 'finish', reason: cap !== undefined && target >= cap ? 'length' : 'stop' };
    },
  };
}
