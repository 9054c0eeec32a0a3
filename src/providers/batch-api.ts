/**
 * The OpenAI Batch API client: request lines built with the same adapters live mode sends with, uploads to
 * /files, /batches create, poll, list and cancel, result files downloaded and their lines read back, all
 * through the one retry loop (`send`, via http-json.ts).
 */
import { openAsBlob } from 'node:fs';
import { type ApiShape, type Clock, GptError, type Usage } from '../domain/index.js';
import { chatAnswerText, chatCompletionsBody, usageFromChat } from './chat-completions.js';
import type { HttpSettings } from './http.js';
import { callApi, callJson, isTransientFailure } from './http-json.js';
import { responsesAnswerText, responsesBody, unsupportedByResponses, usageFromResponses } from './responses.js';
import { httpError } from './retry.js';
import type { Json } from './shape.js';
import { type EndpointProfile, type ProviderRequest, apiFor } from './types.js';

export { apiFor };
import { usageProblem } from './usage.js';

export { isTransientFailure };

export type BatchEndpoint = '/v1/chat/completions' | '/v1/responses';

/** Statuses after which a batch changes no more. */
const TERMINAL = new Set(['completed', 'failed', 'expired', 'cancelled']);

export function endpointFor(api: ApiShape): BatchEndpoint {
  return api === 'responses' ? '/v1/responses' : '/v1/chat/completions';
}

/** One line of a Batch API input file, with exactly the body live mode would send (not streamed). */
export function batchRequestLine(customId: string, request: ProviderRequest, profile: EndpointProfile): { endpoint: BatchEndpoint; text: string; dropped: string[] } {
  const api = apiFor(request, profile);
  const endpoint = endpointFor(api);
  const body = api === 'responses' ? responsesBody(request, false) : chatCompletionsBody(request, profile, false);
  const dropped = api === 'responses' ? unsupportedByResponses(request) : [];
  return { endpoint, text: `${JSON.stringify({ custom_id: customId, method: 'POST', url: endpoint, body })}\n`, dropped };
}

/** A validation error of a failed batch; `line` is 1-based in the uploaded file. */
export interface BatchValidationError {
  code: string;
  message: string;
  line?: number;
}

/** A batch as the API describes it, read once from its JSON. */
export interface BatchObject {
  id: string;
  status: string;
  /** True once the batch changes no more (completed, failed, expired or cancelled). */
  done: boolean;
  counts: { total: number; completed: number; failed: number };
  outputFileId?: string;
  errorFileId?: string;
  errors: BatchValidationError[];
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const fileId = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function batchObject(raw: Json): BatchObject {
  const counts = raw.request_counts as Json | undefined;
  const status = String(raw.status ?? '');
  const data = ((raw.errors as Json | null | undefined)?.data as Json[] | undefined) ?? [];
  const object: BatchObject = {
    id: typeof raw.id === 'string' ? raw.id : '',
    status,
    done: TERMINAL.has(status),
    counts: { total: num(counts?.total), completed: num(counts?.completed), failed: num(counts?.failed) },
    errors: data.map((e) => ({
      code: typeof e.code === 'string' ? e.code : 'validation_error',
      message: typeof e.message === 'string' ? e.message : 'invalid',
      ...(typeof e.line === 'number' ? { line: e.line } : {}),
    })),
  };
  const output = fileId(raw.output_file_id);
  const errors = fileId(raw.error_file_id);
  if (output) object.outputFileId = output;
  if (errors) object.errorFileId = errors;
  return object;
}

/** A 404/405 on /files most likely means the provider has no Batch API at all. */
function explainMissingBatchApi(err: unknown): unknown {
  if (err instanceof GptError && (err.details.status === 404 || err.details.status === 405)) {
    return new GptError('api', `${err.message} — this provider does not seem to offer the Batch API (/files, /batches); use --mode live`, err.details, { cause: err });
  }
  return err;
}

export interface BatchApiSettings {
  apiKey?: string;
  timeoutSeconds?: number;
  retries?: number;
  /** Redacted HTTP traces (--verbose). */
  log?: (line: string) => void;
  clock?: Clock;
}

export class BatchApi {
  private readonly http: HttpSettings;

  constructor(profile: EndpointProfile, settings: BatchApiSettings) {
    this.http = { baseUrl: profile.baseUrl, apiKey: settings.apiKey, headers: profile.headers, timeoutSeconds: settings.timeoutSeconds, retries: settings.retries, log: settings.log, clock: settings.clock };
  }

  /** Uploads a JSONL input file (purpose=batch); returns its file id. */
  async upload(path: string, name: string, signal?: AbortSignal): Promise<string> {
    const form = async () => {
      const { FormData } = await import('undici');
      const data = new FormData();
      data.append('purpose', 'batch');
      data.append('file', await openAsBlob(path, { type: 'application/jsonl' }), name);
      return data;
    };
    const uploaded = await callJson(this.http, { method: 'POST', path: '/files', form, signal }).catch((err: unknown) => {
      throw explainMissingBatchApi(err);
    });
    if (typeof uploaded.id !== 'string' || uploaded.id === '') throw new GptError('api', 'POST /files answered without a file id');
    return uploaded.id;
  }

  /**
   * Creates the batch. A create that failed in a way the server may still have acted on is checked
   * against the batch list (by its unique input file) before trying again, so a retry never makes a second batch.
   * Not abortable: a create cut off after the server acted would leave a batch we pay for but never recorded.
   */
  async create(inputFileId: string, endpoint: BatchEndpoint): Promise<BatchObject> {
    const call = { method: 'POST' as const, path: '/batches', json: { input_file_id: inputFileId, endpoint, completion_window: '24h' } };
    let raw: Json;
    try {
      raw = await callJson(this.http, { ...call, retries: 0 });
    } catch (err) {
      if (!isTransientFailure(err)) throw err;
      raw = (await this.list()).find((b) => b.input_file_id === inputFileId) ?? (await callJson(this.http, call));
    }
    const batch = batchObject(raw);
    if (batch.id === '') throw new GptError('api', 'POST /batches answered without a batch id');
    return batch;
  }

  /** The most recent batches, as the API returns them. */
  async list(): Promise<Json[]> {
    const list = await callJson(this.http, { method: 'GET', path: '/batches?limit=100' });
    return (list.data as Json[] | undefined) ?? [];
  }

  async get(id: string, signal?: AbortSignal): Promise<BatchObject> {
    return batchObject(await callJson(this.http, { method: 'GET', path: `/batches/${encodeURIComponent(id)}`, signal }));
  }

  async cancel(id: string): Promise<void> {
    await callJson(this.http, { method: 'POST', path: `/batches/${encodeURIComponent(id)}/cancel`, json: {} });
  }

  /** A whole file's content (a result file: one JSON line per request). */
  async download(id: string, signal?: AbortSignal): Promise<Buffer> {
    return (await callApi(this.http, { method: 'GET', path: `/files/${encodeURIComponent(id)}/content`, signal })).body;
  }
}

/** A result line read back: the answer with the usage the API reported (undefined when missing or impossible), or an error as live mode would have reported it. */
export type BatchAnswer = { text: string; usage: Usage | undefined } | { error: { status: number | null; type: string; message: string } };

/** An error object inside a 200 body (a failed response), or undefined. */
function bodyError(body: Json, endpoint: BatchEndpoint): { status: number; type: string; message: string } | undefined {
  const failed = endpoint === '/v1/responses' ? body.status === 'failed' || (body.error && !body.output) : body.error !== undefined && body.choices === undefined;
  if (!failed) return undefined;
  const raw = (body.error ?? {}) as Json;
  const inner = ((raw.error as Json | undefined) ?? raw) as Json;
  const type = typeof inner.type === 'string' ? inner.type : typeof inner.code === 'string' ? inner.code : 'api_error';
  return { status: 200, type, message: typeof inner.message === 'string' ? inner.message : 'the request failed' };
}

/** Reads one line of a result file (output or error file) for a request sent to `endpoint`. */
export function batchAnswer(line: Json, endpoint: BatchEndpoint, contextWindow: number | null): BatchAnswer {
  const response = line.response as Json | null | undefined;
  const error = line.error as Json | null | undefined;
  if (!response) {
    const type = typeof error?.code === 'string' ? error.code : 'batch_error';
    return { error: { status: null, type, message: typeof error?.message === 'string' ? error.message : 'the request was not answered' } };
  }
  const status = num(response.status_code);
  const body = (response.body ?? {}) as Json;
  if (status !== 200) {
    const requestId = typeof response.request_id === 'string' ? response.request_id : undefined;
    // The same error (message, type) live mode would have written for this answer.
    const e = httpError(status, requestId ? { 'x-request-id': requestId } : {}, JSON.stringify(body), 1);
    return { error: { status, type: e.details.type ?? e.details.code ?? e.kind, message: e.message } };
  }
  const failure = bodyError(body, endpoint);
  if (failure) return { error: failure };
  const responses = endpoint === '/v1/responses';
  const text = responses ? responsesAnswerText(body) : chatAnswerText(body);
  const raw = body.usage as Json | undefined;
  const reported = raw && typeof raw === 'object' ? (responses ? usageFromResponses(raw) : usageFromChat(raw)) : undefined;
  // Counts that cannot be true are treated as missing, as live mode treats them.
  return { text, usage: reported && !usageProblem(reported, contextWindow) ? reported : undefined };
}
