import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Vitest's default on 2 cores is one worker (cores − 1), which runs the files one after another. Most
    // files now run the CLI in-process, but some still wait on child processes, FIFOs and --timeout stalls:
    // two forked workers overlap those waits. Forks (not threads): the in-process runner needs process.chdir.
    pool: 'forks',
    maxWorkers: 2,
    // The JSON report is what .ci/run turns into its closing `tests: N passed, N failed` line.
    reporters: ['default', 'json'],
    outputFile: { json: '.test-results/vitest.json' },
  },
});
