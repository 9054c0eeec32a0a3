/** Shape checks on a 200 body or a stream event: an answer of the wrong shape fails in one line instead of printing nothing. */
import { GptError } from '../domain/index.js';

export type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** How a value's type reads in an error line: `missing`, `null`, `a list`, `a number`… */
export function typeOf(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** `name is a number, not a list`, or undefined when `value` is a list. */
export function notList(name: string, value: unknown): string | undefined {
  return Array.isArray(value) ? undefined : `${name} is ${typeOf(value)}, not a list`;
}

/** `name is null, not an object`, or undefined when `value` is an object. */
export function notObject(name: string, value: unknown): string | undefined {
  return isObject(value) ? undefined : `${name} is ${typeOf(value)}, not an object`;
}

const isPartList = (value: unknown): value is Json[] => Array.isArray(value) && value.every(isObject);

/**
 * Text fields may be absent or null (a refusal, a tool call), a string, or a list of content parts
 * (`[{type: 'text', text}]`, as some servers such as Mistral's send); anything else is wrong.
 */
export function notText(name: string, value: unknown): string | undefined {
  return value === undefined || value === null || typeof value === 'string' || isPartList(value) ? undefined : `${name} is ${typeOf(value)}, not text`;
}

/** The text of a content field: the string itself, or its text parts joined; '' for anything else. */
export function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (!isPartList(value)) return '';
  return value.map((part) => (typeof part.text === 'string' ? part.text : '')).join('');
}

/** A whole 200 body as a JSON object, or a one-line error saying what it is instead. */
export function parseBody(text: string): Json {
  if (text.trim() === '') throw new GptError('api', 'the API answered 200 with an empty body', { code: 'empty_body' });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new GptError('api', `the API answered 200 with a body that is not JSON: ${text.slice(0, 80)}`);
  }
  if (!isObject(parsed)) throw unexpectedBody(`the body is ${typeOf(parsed)}, not an object`);
  return parsed;
}

/** A whole 200 body of the wrong shape (exit 7). */
export function unexpectedBody(problem: string): GptError {
  return new GptError('api', `the API answered 200 with an unexpected body: ${problem}`, { code: 'unexpected_body' });
}

/** A stream event of the wrong shape (exit 7). */
export function unexpectedEvent(problem: string): GptError {
  return new GptError('api', `the API sent an unexpected stream event: ${problem}`, { code: 'unexpected_event' });
}
