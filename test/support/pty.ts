/** Whether util-linux `script` is here to give a test a pseudo-terminal (`script -qfec CMD /dev/null`). */
import { installed } from './installed.js';

export const hasScript = installed('script', '--version');
