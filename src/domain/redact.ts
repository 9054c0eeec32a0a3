/** What may be shown: keys never appear in output, and text from outside never drives the terminal. */

const secrets = new Set<string>();

// Most specific first; a key's body is what follows (OpenAI project, service-account and admin keys, OpenRouter, Anthropic, plain sk-).
const KEY_PREFIXES = ['sk-ant-admin01-', 'sk-ant-api03-', 'sk-svcacct-', 'sk-or-v1-', 'sk-admin-', 'sk-proj-', 'sk-None-', 'sk-ant-', 'sk-'];

/** The key without its vendor prefix, which some servers echo back on its own. */
export function keyBody(key: string): string | undefined {
  const prefix = KEY_PREFIXES.find((p) => key.startsWith(p));
  return prefix ? key.slice(prefix.length) : undefined;
}

/** Registers a secret so that `redact` masks it wherever it shows up, with or without its prefix. */
export function registerSecret(secret: string | undefined): void {
  if (!secret || secret.length < 8) return;
  secrets.add(secret);
  const body = keyBody(secret);
  if (body && body.length >= 8) secrets.add(body);
}

/** `sk-…abcd`: enough to tell keys apart, never enough to use one. */
export function maskKey(key: string): string {
  if (key.length < 12) return '…';
  const prefix = key.startsWith('sk-') ? 'sk-' : '';
  return `${prefix}…${key.slice(-4)}`;
}

export function redact(text: string): string {
  let out = text;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(maskKey(secret));
  // Bearer tokens we were never told about (e.g. echoed back by a proxy) are masked too.
  return out.replace(/(Bearer\s+)([A-Za-z0-9._~+/=-]{8,})/g, (_m, p: string, k: string) => `${p}${maskKey(k)}`);
}

// C0 controls but \t and \n, DEL, and C1 controls: what a terminal would act on instead of showing.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** Text a server wrote, made safe for a terminal: each control character shown as `\x1b`, never acted on. */
export function escapeControls(text: string): string {
  return text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
