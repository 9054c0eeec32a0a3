/** FNV-1a, 32 bit: the one stable fast hash (shards, the simulate provider's seed, the id index); and sha256 for content. */

const OFFSET = 0x811c9dc5;
const PRIME = 0x01000193;

/**
 * FNV-1a over the UTF-8 bytes of `text`: stable across machines, Node versions and runs. The bytes are
 * encoded inline (no Buffer per call), exactly as Buffer.from(text, 'utf8') would: a lone surrogate
 * becomes U+FFFD (EF BF BD).
 */
export function fnv1a32(text: string): number {
  let hash = OFFSET;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      hash = Math.imul(hash ^ c, PRIME);
      continue;
    }
    if (c < 0x800) {
      hash = Math.imul(hash ^ (0xc0 | (c >> 6)), PRIME);
      hash = Math.imul(hash ^ (0x80 | (c & 0x3f)), PRIME);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < n ? text.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
        hash = Math.imul(hash ^ (0xf0 | (c >> 18)), PRIME);
        hash = Math.imul(hash ^ (0x80 | ((c >> 12) & 0x3f)), PRIME);
        hash = Math.imul(hash ^ (0x80 | ((c >> 6) & 0x3f)), PRIME);
        hash = Math.imul(hash ^ (0x80 | (c & 0x3f)), PRIME);
        continue;
      }
      c = 0xfffd; // a lone surrogate
    }
    hash = Math.imul(hash ^ (0xe0 | (c >> 12)), PRIME);
    hash = Math.imul(hash ^ (0x80 | ((c >> 6) & 0x3f)), PRIME);
    hash = Math.imul(hash ^ (0x80 | (c & 0x3f)), PRIME);
  }
  return hash >>> 0;
}

/** FNV-1a over bytes[start, end). */
export function fnv1a32Bytes(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let hash = OFFSET;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes[i]!, PRIME);
  return hash >>> 0;
}

/** The sha256 of some bytes or text, in hex (trusted files, attachments kept by a conversation, state file names); node:crypto loads on first use. */
export function sha256(content: Uint8Array | string): string {
  return process.getBuiltinModule('node:crypto').createHash('sha256').update(content).digest('hex');
}
