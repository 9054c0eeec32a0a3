/** The bundle's entry (bin/gpt.js loads it): the whole work is in main.ts, which tests also run in-process. */
import { main } from './main.js';

await main();
