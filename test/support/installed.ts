/** Whether a program the suite drives (util-linux `script`, tmux) is installed: it answers its version flag. */
import { execFileSync } from 'node:child_process';

export function installed(command: string, versionFlag: string): boolean {
  try {
    execFileSync(command, [versionFlag], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
