/** Whether util-linux `script` is here to give a test a pseudo-terminal (`script -qfec CMD /dev/null`). */
import { execFileSync } from 'node:child_process';

export const hasScript = (() => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
