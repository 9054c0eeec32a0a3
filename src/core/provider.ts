/** A provider for a resolved config: the backend, with accounting's context windows and tokenizers wired in. */
import { lookupModel } from '../accounting/models.js';
import { loadCounter } from '../accounting/tokenizer.js';
import type { ResolvedConfig } from '../config/types.js';
import { type ProviderSettings, createProvider as backendFor } from '../providers/provider.js';
import type { Provider } from '../providers/types.js';

export function createProvider(config: Pick<ResolvedConfig, 'profile' | 'pricing'>, settings: ProviderSettings = {}): Provider {
  return backendFor({ profile: config.profile, contextWindow: (model) => lookupModel(model, config.pricing).contextWindow, counterFor: loadCounter }, settings);
}
