// Rendered segments → token ids, with vision pads expanded as the Qwen3-VL processor does
// (transformers 4.57 `Qwen3VLProcessor.__call__`):
//  - each `<|image_pad|>` becomes t·h·w / merge² image pads (vision_start / vision_end stay around it);
//  - each whole `<|vision_start|><|video_pad|><|vision_end|>` is replaced, per temporal group i, by
//    the TEXT `<{t_i:.1f} seconds>` followed by `<|vision_start|>` + h·w / merge² video pads + `<|vision_end|>`.
// The processor then tokenises the expanded string as a whole, so the timestamp text is BPE-encoded
// together with the text around it (e.g. "<Query>:<0.5 seconds>"). Here every maximal run of
// non-special text is encoded in one piece for the same reason; special tokens come only from the
// template (see tokens.ts for why).

import { formatPythonFixed1 } from './pyFormat.ts';
import type { PromptSegment, SegmentPart, TemplateSpecialToken } from './render.ts';
import type { PlainEncoding, PromptTokenizer } from './tokens.ts';

export type { Grid } from '../contracts/request.ts';
import type { Grid } from '../contracts/request.ts';

export interface VideoMedia {
  grid: Grid;
  /** Seconds per temporal group (at least grid[0] of them; the processor reads the first grid[0]). */
  timestamps: number[];
}

export interface PromptMedia {
  /** Grid of the i-th image of the prompt, in order of appearance. */
  images: Grid[];
  /** Grid and timestamps of the i-th video of the prompt, in order of appearance. */
  videos: VideoMedia[];
}

/** Bit flags: which parts of the pair a token's characters come from. */
export const PART_BITS: Record<SegmentPart, number> = {
  system: 1,
  instruction: 2,
  query: 4,
  document: 8,
  template: 16,
};

export interface PromptIds {
  ids: number[];
  /** partMask[i]: OR of PART_BITS over the characters of token i (0 for template special tokens). */
  partMask: Uint8Array;
}

/** The expanded prompt: text to tokenise, and template special tokens (a vision pad repeated `count` times). */
export type Piece = { kind: 'special'; token: TemplateSpecialToken; count: number; part: SegmentPart | null } | TextPiece;
export type TextPiece = { kind: 'text'; text: string; part: SegmentPart };

function checkGrid(grid: Grid, what: string): void {
  if (!Array.isArray(grid) || grid.length !== 3 || !grid.every((v) => Number.isInteger(v) && v > 0)) {
    throw new Error(`${what}: grid must be three positive integers, got ${JSON.stringify(grid)}`);
  }
}

/** Image pads for one image: (t·h·w) // merge². */
export function imagePadCount(grid: Grid, mergeSize = 2): number {
  checkGrid(grid, 'image');
  const n = grid[0] * grid[1] * grid[2];
  const m = mergeSize * mergeSize;
  if (n % m !== 0) throw new Error(`image grid ${JSON.stringify(grid)} is not divisible by merge ${mergeSize}²`);
  return n / m;
}

/** Video pads per temporal group: (h·w) // merge². */
export function videoFramePadCount(grid: Grid, mergeSize = 2): number {
  checkGrid(grid, 'video');
  const n = grid[1] * grid[2];
  const m = mergeSize * mergeSize;
  if (n % m !== 0) throw new Error(`video grid ${JSON.stringify(grid)} is not divisible by merge ${mergeSize}²`);
  return n / m;
}

/** The processor's per-group timestamp text, e.g. `<0.5 seconds>`. */
export function timestampText(seconds: number): string {
  return `<${formatPythonFixed1(seconds)} seconds>`;
}

/** The segments with every vision placeholder expanded (pads, and the timestamp texts of videos). */
export function expandPromptPieces(segments: PromptSegment[], media: PromptMedia, mergeSize = 2): Piece[] {
  const pieces: Piece[] = [];
  const special = (token: TemplateSpecialToken, part: SegmentPart | null, count = 1) =>
    pieces.push({ kind: 'special', token, count, part });
  for (const s of segments) {
    if (s.kind === 'text') pieces.push({ kind: 'text', text: s.text, part: s.part });
    else if (s.kind === 'special') special(s.token, null);
    else if (s.kind === 'image') {
      const grid = media.images[s.index];
      if (!grid) throw new Error(`no grid for image ${s.index}`);
      special('<|vision_start|>', s.part);
      special('<|image_pad|>', s.part, imagePadCount(grid, mergeSize));
      special('<|vision_end|>', s.part);
    } else {
      const video = media.videos[s.index];
      if (!video) throw new Error(`no grid for video ${s.index}`);
      const perGroup = videoFramePadCount(video.grid, mergeSize);
      const groups = video.grid[0];
      if (!Array.isArray(video.timestamps) || video.timestamps.length < groups) {
        throw new Error(`video ${s.index}: ${groups} temporal groups but ${video.timestamps?.length ?? 0} timestamps`);
      }
      for (let g = 0; g < groups; g++) {
        pieces.push({ kind: 'text', text: timestampText(video.timestamps[g]), part: s.part });
        special('<|vision_start|>', s.part);
        special('<|video_pad|>', s.part, perGroup);
        special('<|vision_end|>', s.part);
      }
    }
  }
  return pieces;
}

const encoder = new TextEncoder();
function utf8Length(s: string): number {
  return encoder.encode(s).length;
}

/** Encodes one run of adjacent text pieces and tags each token with the parts it overlaps. */
function encodeRun(run: TextPiece[], tokenizer: PromptTokenizer, ids: number[], masks: number[]): void {
  tagRunTokens(run, tokenizer.encodePlain(run.map((p) => p.text).join('')), ids, masks);
}

/**
 * Appends the tokens of `encoding` — the encoding of the run's text, or its first tokens — to `ids`,
 * and to `masks` the OR of PART_BITS over the pieces each token overlaps.
 */
export function tagRunTokens(run: TextPiece[], encoding: PlainEncoding, ids: number[], masks: number[]): void {
  const { ids: runIds, byteLengths } = encoding;
  const ends = pieceByteEnds(run);
  let offset = 0;
  let piece = 0;
  for (let t = 0; t < runIds.length; t++) {
    const start = offset;
    const end = offset + byteLengths[t];
    while (piece < run.length - 1 && ends[piece] <= start) piece++;
    let mask = 0;
    for (let q = piece; q < run.length && (q === 0 ? 0 : ends[q - 1]) < end; q++) {
      if (ends[q] > start) mask |= PART_BITS[run[q].part];
    }
    ids.push(runIds[t]);
    masks.push(mask || PART_BITS[run[piece].part]);
    offset = end;
  }
}

/**
 * Byte offsets of the piece ends in NFC(run text), from the pieces normalised one by one. NFC can
 * combine across a boundary only when a piece starts with a combining mark; the offsets are then
 * slightly off, which only affects which part a truncation message names (the parts Sift's template
 * writes all start with ASCII, so the instruction / query / document boundaries are exact).
 */
export function pieceByteEnds(run: TextPiece[]): number[] {
  const ends: number[] = [];
  let total = 0;
  for (const p of run) {
    total += utf8Length(p.text.normalize('NFC'));
    ends.push(total);
  }
  return ends;
}

/** Expands the vision placeholders and tokenises the prompt segment-wise. */
export function encodePromptIds(segments: PromptSegment[], tokenizer: PromptTokenizer, media: PromptMedia, mergeSize = 2): PromptIds {
  const pieces = expandPromptPieces(segments, media, mergeSize);
  const ids: number[] = [];
  const masks: number[] = [];
  let run: TextPiece[] = [];
  const flush = () => {
    if (run.length > 0) encodeRun(run, tokenizer, ids, masks);
    run = [];
  };
  for (const p of pieces) {
    if (p.kind === 'text') {
      if (p.text.length > 0) run.push(p);
      continue;
    }
    flush();
    const id = tokenizer.addedTokenId(p.token);
    const mask = p.part === null ? 0 : PART_BITS[p.part];
    for (let i = 0; i < p.count; i++) {
      ids.push(id);
      masks.push(mask);
    }
  }
  flush();
  return { ids, partMask: Uint8Array.from(masks) };
}

/** The expanded prompt as text (what the processor tokenises), for display and debugging. */
export function expandedPromptText(segments: PromptSegment[], media: PromptMedia, mergeSize = 2): string {
  return expandPromptPieces(segments, media, mergeSize)
    .map((p) => (p.kind === 'text' ? p.text : p.token.repeat(p.count)))
    .join('');
}
