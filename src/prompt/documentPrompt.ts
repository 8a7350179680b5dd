// One (query, document) conversation → the ids the model runs on: render, expand vision pads,
// tokenise (user text as plain text), truncate like the reference, and say when truncation ate
// into the query or instruction (SPEC §6).

import type { RerankConversation } from './conversation.ts';
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

const WARNED_PARTS = [
  ['system', 'the system prompt'],
  ['instruction', 'the instruction'],
  ['query', 'the query'],
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
  const segments = renderPromptSegments(conversation);
  const { images, videos } = countMedia(segments);
  if (media.images.length !== images || media.videos.length !== videos) {
    throw new Error(
      `the prompt has ${images} image(s) and ${videos} video(s) but ${media.images.length} image grid(s) and ${media.videos.length} video grid(s) were given`,
    );
  }
  const full = encodePromptIds(segments, tokenizer, media, options.mergeSize ?? 2);
  const cut = truncateLikeReference(full.ids, maxLength, tokenizer.allSpecialIds);

  const warnings: string[] = [];
  for (const [part, name] of WARNED_PARTS) {
    const lost = cut.removed.filter((i) => full.partMask[i] & PART_BITS[part]).length;
    if (lost > 0) {
      warnings.push(`truncation to ${maxLength} tokens removed ${lost} token(s) of ${name}`);
    }
  }
  return {
    ids: cut.ids,
    imageGrids: media.images.map((g) => [g[0], g[1], g[2]]),
    videoGrids: media.videos.map((v) => [v.grid[0], v.grid[1], v.grid[2]]),
    truncated: cut.removed.length > 0,
    warnings,
  };
}
