/** Image tokens by OpenAI's published formula, for images of known size read from real (header-only) files. */
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/attachments/load.js';
import { imageTokens, familyOf } from '../../src/attachments/image-tokens.js';
import { pngHeader, gifHeader } from '../support/images.js';

describe('image tokens', () => {
  it('reads the size from the header and applies the tile formula (gpt-4o: 85 + 170 per 512-px tile)', async () => {
    const png = await classify('a.png', 'a.png', pngHeader(1024, 1024));
    expect([png.kind, png.mime, png.width, png.height]).toEqual(['image', 'image/png', 1024, 1024]);
    // 1024² → shortest side 768 → 768×768 → 2×2 tiles
    expect(imageTokens('gpt-4o', png.width!, png.height!, 'high')).toBe(85 + 170 * 4);
    // 2048×4096 → fits 1024×2048 → 768×1536 → 2×3 tiles (the guide's example)
    expect(imageTokens('gpt-4.1', 2048, 4096, 'high')).toBe(85 + 170 * 6);
    expect(imageTokens('gpt-4o', 4000, 3000, 'low')).toBe(85);
    // small images are not scaled up: 300×200 is one tile
    expect(imageTokens('gpt-4o', 300, 200, 'auto')).toBe(255);
  });

  it('gpt-5 and o-series have their own tile rates', () => {
    expect(imageTokens('gpt-5.2', 1024, 1024, 'high')).toBe(70 + 140 * 4);
    expect(imageTokens('o3', 1024, 1024, 'high')).toBe(75 + 150 * 4);
    expect(imageTokens('gpt-5.2', 1024, 1024, 'low')).toBe(70);
  });

  it('patch formula for the mini and nano models: 32-px patches capped at 1536, times the model factor', async () => {
    const gif = await classify('b.gif', 'b.gif', gifHeader(320, 320));
    expect([gif.mime, gif.width, gif.height]).toEqual(['image/gif', 320, 320]);
    expect(imageTokens('gpt-4.1-mini', 320, 320, 'high')).toBe(Math.ceil(100 * 1.62));
    expect(imageTokens('gpt-4.1-nano', 320, 320, 'high')).toBe(Math.ceil(100 * 2.46));
    expect(imageTokens('o4-mini', 320, 320, 'high')).toBe(Math.ceil(100 * 1.72));
    // 1800×2400 → 57×75 = 4275 patches > 1536 → shrunk (the guide's example): 1452 patches
    expect(imageTokens('gpt-5-mini', 1800, 2400, 'high')).toBe(Math.ceil(1452 * 1.62));
    expect(familyOf('openai/gpt-5-nano')).toEqual({ kind: 'patch', factor: 2.46 });
  });
});
