// The truncated prompt ids without tokenising what truncation would throw away.
//
// The reference keeps every special id and the first (max_length − specials) ordinary ids of
// ids[:-5], then the last 5 (truncate.ts). Special ids come only from the template and the vision
// placeholders, so they are counted without tokenising any text; the text runs are then tokenised in
// order, each only as far as the ordinary budget still left needs. A run is tokenised on a prefix
// cut where NFC cannot join across, keeping the tokens of the words the rest of the text cannot
// change (tokens.ts `encodeStablePrefix`): the ids equal those of tokenising everything and then
// truncating (test/prompt/budgetedPrompt.test.ts), at a cost bounded by the budget, not the text.

import { expandPromptPieces, PART_BITS, pieceByteEnds, tagRunTokens, type PromptMedia, type TextPiece } from './promptIds.ts';
import type { PromptSegment } from './render.ts';
import { isNormalizationBoundary, type PlainEncoding, type PromptTokenizer } from './tokens.ts';

/** The ids the reference sets aside before truncating (`<|im_end|>\n<|im_start|>assistant\n`). */
const TAIL = 5;

export interface BudgetedPrompt {
  ids: number[];
  /** How many ids truncation removed: exact when nothing or only whole runs were lost, else a lower bound. */
  removedAtLeast: number;
  /** OR of PART_BITS over the removed ids (0 when nothing was removed). */
  lostMask: number;
  /** Special ids in ids[:-5] (template tokens and vision pads). */
  specialIds: number;
  /** Ordinary ids kept per part bit (index = PART_BITS value's bit position), for messages. */
  keptByPart: Map<number, number>;
}

type Block = { kind: 'special'; id: number; count: number; mask: number } | { kind: 'text'; pieces: TextPiece[] };

function toBlocks(segments: PromptSegment[], tokenizer: PromptTokenizer, media: PromptMedia, mergeSize: number): Block[] {
  const blocks: Block[] = [];
  for (const p of expandPromptPieces(segments, media, mergeSize)) {
    if (p.kind === 'text') {
      if (p.text.length === 0) continue;
      const last = blocks[blocks.length - 1];
      if (last?.kind === 'text') last.pieces.push(p);
      else blocks.push({ kind: 'text', pieces: [p] });
    } else {
      blocks.push({ kind: 'special', id: tokenizer.addedTokenId(p.token), count: p.count, mask: p.part === null ? 0 : PART_BITS[p.part] });
    }
  }
  return blocks;
}

const joinText = (pieces: TextPiece[]) => pieces.map((p) => p.text).join('');

function firstTokens(enc: PlainEncoding, n: number): PlainEncoding {
  return enc.ids.length <= n ? enc : { ids: enc.ids.slice(0, n), byteLengths: enc.byteLengths.slice(0, n) };
}

/** The run's first `length` characters as pieces (the last one cut). */
function prefixPieces(run: TextPiece[], length: number): TextPiece[] {
  const out: TextPiece[] = [];
  let start = 0;
  for (const p of run) {
    if (start >= length) break;
    out.push(start + p.text.length <= length ? p : { ...p, text: p.text.slice(0, length - start) });
    start += p.text.length;
  }
  return out;
}

/** A position near `at` where the run can be cut without changing its NFC form, or `total` when none after at/2. */
function normalizationCut(run: TextPiece[], at: number, total: number): number {
  const charAt = (i: number) => {
    for (const p of run) {
      if (i < p.text.length) return p.text.charCodeAt(i);
      i -= p.text.length;
    }
    return 0;
  };
  for (let i = at; i > at / 2; i--) if (isNormalizationBoundary(charAt(i))) return i;
  for (let i = at + 1; i < total; i++) if (isNormalizationBoundary(charAt(i))) return i;
  return total;
}

interface RunPart {
  /** The run's first tokens (at most the `room` asked for). */
  encoding: PlainEncoding;
  /** The pieces those tokens were encoded from (a prefix of the run, or all of it). */
  pieces: TextPiece[];
  /** True when the run has no tokens beyond `encoding`. */
  complete: boolean;
}

/** The first `room` tokens of a text run, tokenising a prefix of it that grows until it yields them. */
function encodeRunWithin(run: TextPiece[], tokenizer: PromptTokenizer, room: number): RunPart {
  const total = run.reduce((n, p) => n + p.text.length, 0);
  if (room <= 0) return { encoding: { ids: [], byteLengths: [] }, pieces: [], complete: total === 0 };
  // Most text is ≥ 2 characters per token; a short first guess that doubles costs at most 2× the last.
  let length = room * 6 + 256;
  while (tokenizer.prefixSafe && length < total) {
    const cut = normalizationCut(run, length, total);
    if (cut >= total) break;
    const pieces = prefixPieces(run, cut);
    const enc = tokenizer.encodeStablePrefix(joinText(pieces));
    if (enc.ids.length >= room) return { encoding: firstTokens(enc, room), pieces, complete: false };
    length = cut * 2;
  }
  const enc = tokenizer.encodePlain(joinText(run));
  return { encoding: firstTokens(enc, room), pieces: run, complete: enc.ids.length <= room };
}

/** OR of the parts of the run's pieces that lose characters when only `kept` of its tokens stay. */
function lostPartsOfRun(run: TextPiece[], part: RunPart): number {
  const keptBytes = part.encoding.byteLengths.reduce((n, b) => n + b, 0);
  const ends = pieceByteEnds(part.pieces);
  let mask = 0;
  run.forEach((p, i) => {
    if (i >= part.pieces.length || ends[i] > keptBytes) mask |= PART_BITS[p.part];
  });
  return mask;
}

/** Expands, tokenises and truncates like the reference; needs `tokenizer.prefixSafe` to be bounded. */
export function encodeBudgetedPrompt(
  segments: PromptSegment[],
  tokenizer: PromptTokenizer,
  media: PromptMedia,
  maxLength: number,
  mergeSize = 2,
): BudgetedPrompt {
  if (!tokenizer.prefixSafe) throw new Error('encodeBudgetedPrompt needs a tokenizer whose text never yields special ids');
  const blocks = toBlocks(segments, tokenizer, media, mergeSize);
  const special = tokenizer.allSpecialIds;

  // The last 5 ids are set aside first: encode whole blocks from the end until they hold 5 ids.
  let head = blocks.length;
  const suffix: { ids: number[]; masks: number[] } = { ids: [], masks: [] };
  while (head > 0 && suffix.ids.length < TAIL) {
    const b = blocks[--head];
    const ids: number[] = [];
    const masks: number[] = [];
    if (b.kind === 'special') {
      for (let i = 0; i < b.count; i++) {
        ids.push(b.id);
        masks.push(b.mask);
      }
    } else tagRunTokens(b.pieces, tokenizer.encodePlain(joinText(b.pieces)), ids, masks);
    suffix.ids = ids.concat(suffix.ids);
    suffix.masks = masks.concat(suffix.masks);
  }
  const split = Math.max(0, suffix.ids.length - TAIL);

  let specialIds = 0;
  for (let i = 0; i < head; i++) {
    const b = blocks[i];
    if (b.kind === 'special' && special.has(b.id)) specialIds += b.count;
  }
  for (let i = 0; i < split; i++) if (special.has(suffix.ids[i])) specialIds++;

  let room = Math.max(0, maxLength - specialIds);
  const out: BudgetedPrompt = { ids: [], removedAtLeast: 0, lostMask: 0, specialIds, keptByPart: new Map() };
  const keep = (id: number, mask: number) => {
    out.ids.push(id);
    if (special.has(id)) return;
    room--;
    for (let bit = 1; bit <= mask; bit <<= 1) if (mask & bit) out.keptByPart.set(bit, (out.keptByPart.get(bit) ?? 0) + 1);
  };
  const ordinary = (id: number, mask: number) => {
    if (room > 0) keep(id, mask);
    else {
      out.removedAtLeast++;
      out.lostMask |= mask;
    }
  };
  for (let i = 0; i < head; i++) {
    const b = blocks[i];
    if (b.kind === 'special') {
      for (let k = 0; k < b.count; k++) (special.has(b.id) ? keep : ordinary)(b.id, b.mask);
      continue;
    }
    const part = encodeRunWithin(b.pieces, tokenizer, room);
    const ids: number[] = [];
    const masks: number[] = [];
    tagRunTokens(part.pieces, part.encoding, ids, masks);
    ids.forEach((id, k) => keep(id, masks[k]));
    if (!part.complete) {
      out.removedAtLeast++;
      out.lostMask |= lostPartsOfRun(b.pieces, part);
    }
  }
  for (let i = 0; i < split; i++) (special.has(suffix.ids[i]) ? keep : ordinary)(suffix.ids[i], suffix.masks[i]);
  out.ids.push(...suffix.ids.slice(split));
  return out;
}
