/**
 * undici, loaded lean. The build bundles the Agent and request() into dist/undici.cjs (one file, no node:http2:
 * see scripts/build.mjs); from src/ (tests) there is no bundle, and we load those two from their modules, not the
 * package entry, which also compiles fetch, WebSocket, mocks and caches (~60 ms of a one-shot run, measured in
 * bench/startup.mjs). undici 7 has no exports map; the lockfile pins the version, and if a future version moves
 * these files we fall back to the full package rather than fail.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Dispatcher } from 'undici';
import { abortHub } from '../domain/index.js';

export interface LeanUndici {
  Agent: new (options: { connections: number; keepAliveTimeout: number; pipelining: number }) => Dispatcher;
  /** `options` must be the caller's own object: it is completed in place (origin, path, signal). */
  request(dispatcher: Dispatcher, url: string, options: Omit<Dispatcher.RequestOptions, 'origin' | 'path'>): Promise<Dispatcher.ResponseData>;
}

type ApiRequest = (this: Dispatcher, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>;

let loaded: Promise<LeanUndici> | undefined;

/** The built CLI's chunks live in dist/chunks/, the bundle in dist/. */
export const BUNDLE_URL = new URL('../undici.cjs', import.meta.url);

function leanFrom(Agent: unknown, apiRequest: unknown): LeanUndici {
  if (typeof Agent !== 'function' || typeof apiRequest !== 'function') throw new Error('unexpected undici layout');
  return {
    Agent: Agent as LeanUndici['Agent'],
    request: (dispatcher, url, options) => {
      const { origin, path } = parsedUrl(url);
      // The caller's own literal, completed in place: no copy a request.
      const full = options as Dispatcher.RequestOptions;
      full.origin = origin;
      full.path = path;
      if (options.signal instanceof AbortSignal) full.signal = abortHub(options.signal);
      return (apiRequest as ApiRequest).call(dispatcher, full);
    },
  };
}

const parsed = new Map<string, { origin: string; path: string }>();

/** A URL's origin and path, parsed once: a batch sends thousands of requests to the same few URLs. */
function parsedUrl(url: string): { origin: string; path: string } {
  let target = parsed.get(url);
  if (!target) {
    const { origin, pathname, search } = new URL(url);
    target = { origin, path: pathname + search };
    if (parsed.size < 64) parsed.set(url, target); // only the fixed endpoint URLs repeat; keep it bounded
  }
  return target;
}

async function lean(): Promise<LeanUndici> {
  const bundle = fileURLToPath(BUNDLE_URL);
  if (existsSync(bundle)) {
    const { Agent, request } = createRequire(import.meta.url)(bundle) as { Agent: unknown; request: unknown };
    return leanFrom(Agent, request);
  }
  const agentPath = 'undici/lib/dispatcher/agent.js';
  const requestPath = 'undici/lib/api/api-request.js';
  const [agentModule, requestModule] = (await Promise.all([import(agentPath), import(requestPath)])) as [{ default: unknown }, { default: unknown }];
  return leanFrom(agentModule.default, requestModule.default);
}

async function full(): Promise<LeanUndici> {
  const undici = await import('undici');
  return {
    Agent: undici.Agent as unknown as LeanUndici['Agent'],
    request: (dispatcher, url, options) => undici.request(url, { ...options, dispatcher } as Parameters<typeof undici.request>[1]) as Promise<Dispatcher.ResponseData>,
  };
}

export function loadUndici(): Promise<LeanUndici> {
  loaded ??= lean().catch(full);
  return loaded;
}
