// One (query, document) conversation → the ids the model runs on: render, expand vision pads,
// tokenise (user text as plain text) and truncate like the reference — tokenising only what the
// budget can keep (budgetedPrompt.ts). A prompt whose truncation would cut the query is refused
// (PromptError 'query-truncated', README, 'Where Sift deliberately differs'): its score would not depend on the query.

import { encodeBudgetedPrompt } from './budgetedPrompt.ts';
import type { RerankConversation } from './conversation.ts';
import { DEFAULT_MAX_TEXT_CHARS, PromptError } from './promptError.ts';
import { encodePromptIds, PART_BITS, type Grid, type PromptMedia } from './promptIds.ts';
import { renderPromptSegments, type PromptSegment } from './render.ts';
import type { PromptTokenizer } from './tokens.ts';
import { DEFAULT_MAX_LENGTH, truncateLikeReference } from './truncate.ts';

export interface DocumentPrompt {
  ids: number[];
  /** Grids of the images, in the order their pads appear. */
  imageGrids: Grid[];
  /** Grids of the videos, in the order their pads appear. */
  videoGrids: Grid[];
  truncated: boolean;
  warnings: string[];
}

export interface DocumentPromptOptions {
  /** The reference's `max_length` (default 10240). */
  maxLength?: number;
  /** Spatial merge size of the vision tower (config `spatial_merge_size`, 2 for Qwen3-VL). */
  mergeSize?: number;
  /** Longest instruction, query text or document text accepted, in characters (default 4 Mi). */
  maxTextChars?: number;
}

/** How many image and video placeholders the rendered prompt has. */
export function countMedia(segments: PromptSegment[]): { images: number; videos: number } {
  let images = 0;
  let videos = 0;
  for (const s of segments) {
    if (s.kind === 'image') images++;
    else if (s.kind === 'video') videos++;
  }
  return { images, videos };
}

const fmt = (n: number) => n.toLocaleString('en-US');

const PART_NAMES = { instruction: 'the instruction', query: 'the query text', document: 'the document text' } as const;

/** Refuses a text longer than `limit` characters before any of it is copied or tokenised. */
export function checkTextLengths(conversation: RerankConversation, limit: number): void {
  const user = conversation.messages.find((m) => m.role === 'user');
  user?.content.forEach((item, i) => {
    if (item.type !== 'text' || item.text.length <= limit) return;
    const part = conversation.userItemParts[i] ?? 'document';
    throw new PromptError(
      'text-too-long',
      `${PART_NAMES[part]} is ${fmt(item.text.length)} characters long, above the limit of ${fmt(limit)} (maxTextChars). ` +
        `A prompt holds at most the first few hundred thousand characters of it anyway: shorten it, or raise maxTextChars (sift rank --max-text-chars).`,
    );
  });
}

const bitOf = (part: keyof typeof PART_BITS) => PART_BITS[part];

function queryTruncatedMessage(maxLength: number, specialIds: number, keptByPart: ReadonlyMap<number, number>, lostMask: number): string {
  const kept = (part: keyof typeof PART_BITS) => keptByPart.get(bitOf(part)) ?? 0;
  const before =
    lostMask & bitOf('instruction')
      ? `the instruction alone fills the ${fmt(Math.max(0, maxLength - specialIds))} text tokens left`
      : `the system prompt and instruction take ${fmt(kept('system') + kept('instruction'))} of the ${fmt(Math.max(0, maxLength - specialIds))} text tokens left and the query needs more (${fmt(kept('query'))} of its tokens fit)`;
  return (
    `the query does not fit in the ${fmt(maxLength)}-token prompt (maxLength): after ${fmt(specialIds)} special and image/video tokens, ${before}. ` +
    `Scored without its query, every document would get a meaningless score. Shorten the instruction or the query, use fewer or smaller query images, or raise maxLength (sift rank --max-length).`
  );
}

const WARNED_PARTS = [
  ['system', 'the system prompt'],
  ['instruction', 'the instruction'],
] as const;

/** Builds the model input for one conversation, given the grids (and video timestamps) of its media. */
export function encodeDocumentPrompt(
  conversation: RerankConversation,
  tokenizer: PromptTokenizer,
  media: PromptMedia,
  options: DocumentPromptOptions = {},
): DocumentPrompt {
  const maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH;
  if (!Number.isInteger(maxLength) || maxLength < 0) throw new Error(`maxLength must be a non-negative integer, got ${maxLength}`);
  checkTextLengths(conversation, options.maxTextChars ?? DEFAULT_MAX_TEXT_CHARS);
  const segments = renderPromptSegments(conversation);
  const { images, videos } = countMedia(segments);
  if (media.images.length !== images || media.videos.length !== videos) {
    throw new Error(
      `the prompt has ${images} image(s) and ${videos} video(s) but ${media.images.length} image grid(s) and ${media.videos.length} video grid(s) were given`,
    );
  }
  const mergeSize = options.mergeSize ?? 2;
  let ids: number[];
  let truncated: boolean;
  let lostMask = 0;
  let specialIds = 0;
  let keptByPart = new Map<number, number>();
  if (tokenizer.prefixSafe) {
    const p = encodeBudgetedPrompt(segments, tokenizer, media, maxLength, mergeSize);
    ({ ids, lostMask, specialIds, keptByPart } = p);
    truncated = p.removedAtLeast > 0;
  } else {
    // A tokenizer Sift cannot encode by prefixes: tokenise everything, then truncate.
    const full = encodePromptIds(segments, tokenizer, media, mergeSize);
    const cut = truncateLikeReference(full.ids, maxLength, tokenizer.allSpecialIds);
    for (const i of cut.removed) lostMask |= full.partMask[i];
    for (const i of cut.kept.slice(0, -5)) {
      if (tokenizer.allSpecialIds.has(full.ids[i])) specialIds++;
      else
        for (let bit = 1; bit <= full.partMask[i]; bit <<= 1)
          if (full.partMask[i] & bit) keptByPart.set(bit, (keptByPart.get(bit) ?? 0) + 1);
    }
    ids = cut.ids;
    truncated = cut.removed.length > 0;
  }
  if (lostMask & bitOf('query'))
    throw new PromptError('query-truncated', queryTruncatedMessage(maxLength, specialIds, keptByPart, lostMask));

  // The instruction comes before the query, so cutting it cuts the query too; kept for templates
  // where a part could be cut alone.
  const warnings: string[] = [];
  for (const [part, name] of WARNED_PARTS) {
    if (lostMask & bitOf(part)) warnings.push(`truncation to ${maxLength} tokens cut ${name}`);
  }
  return {
    ids,
    imageGrids: media.images.map((g) => [g[0], g[1], g[2]]),
    videoGrids: media.videos.map((v) => [v.grid[0], v.grid[1], v.grid[2]]),
    truncated,
    warnings,
  };
}
