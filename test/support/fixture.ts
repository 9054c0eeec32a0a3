/**
 * The fixture every test file shares: one loopback server per file, started before its tests, reset
 * before each test and closed after the file. `const server = useMockServer()` at the top of a file.
 */
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { type MockServer, type MockServerOptions, startMockServer } from './mock-server.js';

/** A stand-in that forwards to the server once it has started (tests only touch it inside hooks and tests). */
export function useMockServer(options?: MockServerOptions, { resetEach = true } = {}): MockServer {
  let current: MockServer | undefined;
  beforeAll(async () => {
    current = await startMockServer(options);
  });
  afterAll(() => current?.close());
  if (resetEach) beforeEach(() => current?.reset());
  return new Proxy({} as MockServer, {
    get(_, key) {
      if (!current) throw new Error('the mock server is used before it started (call it inside a test or hook)');
      const value = Reflect.get(current, key, current) as unknown;
      return typeof value === 'function' ? value.bind(current) : value;
    },
    set(_, key, value) {
      return Reflect.set(current!, key, value);
    },
  });
}
