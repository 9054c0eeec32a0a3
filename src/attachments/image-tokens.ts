/**
 * Input tokens of an image, by OpenAI's published formula ("Images and vision" guide, "Calculating costs",
 * platform.openai.com/docs/guides/images-vision, as of 2026-12). An estimate: the API's reported usage wins.
 * Tile-based (gpt-4o, gpt-4.1, gpt-5, o-series): fit in 2048×2048, shortest side down to 768, count 512-px tiles;
 * base + per-tile tokens, base alone at low detail. Patch-based (gpt-4.1-mini/nano, o4-mini, gpt-5-mini/nano):
 * 32-px patches, at most 1536 (the image shrunk to fit), times a per-model factor.
 */
import type { ChatMessage, ImageDetail } from '../domain/index.js';

interface TileFamily {
  kind: 'tile';
  base: number;
  perTile: number;
}
interface PatchFamily {
  kind: 'patch';
  factor: number;
}
type Family = TileFamily | PatchFamily;

// First match wins: the mini/nano ids before the families they share a prefix with.
const FAMILIES: Array<[RegExp, Family]> = [
  [/^gpt-5(\.\d+)?-mini/, { kind: 'patch', factor: 1.62 }],
  [/^gpt-5(\.\d+)?-nano/, { kind: 'patch', factor: 2.46 }],
  [/^gpt-4\.1-mini/, { kind: 'patch', factor: 1.62 }],
  [/^gpt-4\.1-nano/, { kind: 'patch', factor: 2.46 }],
  [/^o4-mini/, { kind: 'patch', factor: 1.72 }],
  [/^gpt-4o-mini/, { kind: 'tile', base: 2833, perTile: 5667 }],
  [/^gpt-5/, { kind: 'tile', base: 70, perTile: 140 }],
  [/^(o1|o3)/, { kind: 'tile', base: 75, perTile: 150 }],
];
/** gpt-4o, gpt-4.1, gpt-4.5 — and, as a rough guess, every other vendor's model. */
const DEFAULT_FAMILY: TileFamily = { kind: 'tile', base: 85, perTile: 170 };

/** An image given by URL has no size we can read; priced as this (a 1024×1024 photo). */
export const ASSUMED_URL_SIZE = { width: 1024, height: 1024 };

export function familyOf(model: string): Family {
  const bare = model.trim().toLowerCase().split('/').at(-1) ?? '';
  return FAMILIES.find(([pattern]) => pattern.test(bare))?.[1] ?? DEFAULT_FAMILY;
}

export function tileTokens(width: number, height: number, detail: ImageDetail, family: TileFamily): number {
  if (detail === 'low') return family.base;
  let w = width;
  let h = height;
  const fit = Math.min(1, 2048 / Math.max(w, h));
  w *= fit;
  h *= fit;
  const shortest = Math.min(1, 768 / Math.min(w, h));
  w *= shortest;
  h *= shortest;
  const tiles = Math.ceil(Math.round(w) / 512) * Math.ceil(Math.round(h) / 512);
  return family.base + family.perTile * tiles;
}

export function patchTokens(width: number, height: number, family: PatchFamily): number {
  const cap = 1536;
  let patches = Math.ceil(width / 32) * Math.ceil(height / 32);
  if (patches > cap) {
    // Shrink so the patches fit, then so each side is a whole number of patches (the guide's two steps).
    let r = Math.sqrt((32 * 32 * cap) / (width * height));
    r *= Math.min(Math.floor((width * r) / 32) / ((width * r) / 32), Math.floor((height * r) / 32) / ((height * r) / 32));
    patches = Math.min(cap, Math.ceil((width * r) / 32) * Math.ceil((height * r) / 32));
  }
  return Math.ceil(patches * family.factor);
}

/** Tokens of one image of this size at this detail on `model`. */
export function imageTokens(model: string, width: number, height: number, detail: ImageDetail): number {
  const family = familyOf(model);
  return family.kind === 'tile' ? tileTokens(width, height, detail, family) : patchTokens(width, height, family);
}

/** Tokens of every image in the messages on `model` (URL images at ASSUMED_URL_SIZE); PDFs are not counted. */
export function attachmentTokens(messages: readonly ChatMessage[], model: string): number {
  let total = 0;
  for (const message of messages) {
    for (const part of message.parts ?? []) {
      if (part.type !== 'image') continue;
      const { width, height } = part.width && part.height ? part : ASSUMED_URL_SIZE;
      total += imageTokens(model, width!, height!, part.detail);
    }
  }
  return total;
}

/** Whether any message carries an image or file, so estimates can say they are approximate. */
export const hasParts = (messages: readonly ChatMessage[]) => messages.some((m) => (m.parts?.length ?? 0) > 0);
