/**
 * undici, loaded lean: the package entry also compiles fetch, WebSocket, mocks and caches (~60 ms
 * of a one-shot run, measured in bench/startup.mjs), so we load just the Agent and request() from
 * their modules. undici 7 has no exports map; the lockfile pins the version, and if a future
 * version moves these files we fall back to the full package rather than fail.
 */
import type { Dispatcher } from 'undici';

export interface LeanUndici {
  Agent: new (options: { connections: number; keepAliveTimeout: number; pipelining: number }) => Dispatcher;
  request(dispatcher: Dispatcher, url: string, options: Omit<Dispatcher.RequestOptions, 'origin' | 'path'>): Promise<Dispatcher.ResponseData>;
}

let loaded: Promise<LeanUndici> | undefined;

async function lean(): Promise<LeanUndici> {
  const agentPath = 'undici/lib/dispatcher/agent.js';
  const requestPath = 'undici/lib/api/api-request.js';
  const [agentModule, requestModule] = (await Promise.all([import(agentPath), import(requestPath)])) as [
    { default: LeanUndici['Agent'] },
    { default: (this: Dispatcher, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData> },
  ];
  const apiRequest = requestModule.default;
  if (typeof agentModule.default !== 'function' || typeof apiRequest !== 'function') throw new Error('unexpected undici layout');
  return {
    Agent: agentModule.default,
    request: (dispatcher, url, options) => {
      const { origin, path } = parsedUrl(url);
      return apiRequest.call(dispatcher, { ...options, origin, path } as Dispatcher.RequestOptions);
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
