/**
 * Which models take images. Not in litellm's price fields we copy, so kept here by id family, from the vendors'
 * model pages (OpenAI, Anthropic, Google, Meta) as of 2026-12; a model in neither list is `undefined` (warn, send).
 */
const VISION = /^(gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4\.5|gpt-4-turbo|gpt-5|o1$|o1-20|o1-pro|o3$|o3-20|o3-pro|o4-mini|claude-|gemini-|llama-4)/;
const TEXT_ONLY = /^(gpt-3\.5|gpt-4$|gpt-4-0|o1-mini|o1-preview|o3-mini|deepseek-|llama-3|llama3|codex-mini|gpt-oss)/;

/** True when the model takes image input, false when it does not, undefined when we do not know. */
export function visionOf(model: string): boolean | undefined {
  const bare = model.trim().toLowerCase().split('/').at(-1) ?? '';
  if (TEXT_ONLY.test(bare)) return false;
  if (VISION.test(bare)) return true;
  return undefined;
}
