/** The CLI's one entry: parse `argv`, run, and turn any error into its message and exit code (in one place). */
import { buildProgram, reportError } from './program.js';
import { guardStdout } from './ui/stdout.js';
import { colorEnabled, loadColor } from './ui/term.js';

/** Runs one command line (node, script, ...args) against process stdio/env/cwd; the exit code lands in process.exitCode. */
export async function main(argv: string[] = process.argv): Promise<void> {
  guardStdout();
  const noColor = argv.includes('--no-color');
  if (colorEnabled(process.stderr, { color: !noColor }) || colorEnabled(process.stdout, { color: !noColor })) await loadColor();
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    process.exitCode = reportError(error, argv.includes('--verbose') || argv.includes('-v'));
  }
}
