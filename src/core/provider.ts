/** A provider for a resolved config: the backend, with accounting's context windows and tokenizers wired in. */
import { lookupModel } from '../accounting/models.js';
import { loadCounter } from '../accounting/tokenizer.js';
import type { ResolvedConfig } from '../config/types.js';
import { type ProviderSettings, createProvider as backendFor } from '../providers/provider.js';
import type { Provider } from '../providers/types.js';

export function createProvider(config: Pick<ResolvedConfig, 'profile' | 'pricing'>, settings: ProviderSettings = {}): Provider {
  // Looked up once per model: a batch asks for every request, and the lookup tries several spellings.
  const windows = new Map<string, number | null>();
  const contextWindow = (model: string): number | null => {
    let window = windows.get(model);
    if (window === undefined) windows.set(model, (window = lookupModel(model, config.pricing).contextWindow));
    return window;
  };
  return backendFor({ profile: config.profile, contextWindow, counterFor: loadCounter }, settings);
}
