/** Entry point: parse, run, and turn any error into its message and exit code (in one place). */
import { buildProgram, reportError } from './program.js';
import { guardStdout } from './ui/stdout.js';
import { colorEnabled, loadColor } from './ui/term.js';

async function main(): Promise<void> {
  guardStdout();
  const noColor = process.argv.includes('--no-color');
  if (colorEnabled(process.stderr, { color: !noColor }) || colorEnabled(process.stdout, { color: !noColor })) await loadColor();
  const program = buildProgram();
  try {
    await program.parseAsync(process.argv);
  } catch (error) {
    process.exitCode = reportError(error, process.argv.includes('--verbose') || process.argv.includes('-v'));
  }
}

await main();
