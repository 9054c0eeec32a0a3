/** Compaction of a session's conversation (placeholder until compaction lands). */
import type { SessionState } from './session.js';

export async function compactSession(state: SessionState, _asked: boolean): Promise<void> {
  state.say('nothing to compact yet');
}
