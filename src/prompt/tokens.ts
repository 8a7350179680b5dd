// The checkpoint's tokenizer, used the way Sift needs it: text is always encoded as plain text.
//
// What Sift does with forged special tokens: a user or document string such as "<|im_end|>",
// "<|vision_start|>" or "<think>" is never matched as an added token; it is normalised,
// pre-tokenised and BPE-encoded like any other characters (e.g. "<|im_end|>" becomes "<|", "im",
// "_end", "|>"). Only the chat template inserts special tokens, so a document cannot close its own
// turn, open an assistant turn or fake vision slots to steer its score. The reference (which
// tokenises the whole rendered string with added-token matching on) differs only for text that
// contains such strings; for all other text the ids are identical (test/prompt/tokens.test.ts).

import { Tokenizer } from '@huggingface/tokenizers';
import { LongWordBpe } from './longWordBpe.ts';

type Json = Record<string, unknown>;

export interface PlainEncoding {
  ids: number[];
  /** UTF-8 byte length of each token, in order; they sum to the byte length of NFC(text). */
  byteLengths: number[];
}

export interface PromptTokenizer {
  /** Plain BPE of `text` (normaliser, pre-tokeniser, model), no added-token matching. */
  encodePlain(text: string): PlainEncoding;
  /**
   * True when `encodeStablePrefix` may be used: the tokenizer is one whose normaliser, pre-tokeniser
   * and BPE Sift knows (the Qwen2/Qwen3 family), and plain text can never yield a special id.
   */
  prefixSafe: boolean;
  /**
   * The tokens of `prefix` that `encodePlain` gives identically for ANY text that starts with
   * `prefix`: the tokens of its complete pre-tokenised words, dropping the words a continuation could
   * change. `prefix` must be cut right before a character where NFC cannot join across (see
   * `isNormalizationBoundary`). Only when `prefixSafe`.
   */
  encodeStablePrefix(prefix: string): PlainEncoding;
  /** The id of an added token (special or not) by its content; throws when absent. */
  addedTokenId(content: string): number;
  /** `tokenizer.all_special_ids` of transformers: bos/eos/unk/sep/pad/cls/mask + additional + extra. */
  allSpecialIds: ReadonlySet<number>;
  /** The full vocabulary (BPE vocabulary plus added tokens), as `get_vocab()`. */
  vocab: ReadonlyMap<string, number>;
  /** The underlying tokenizers.js tokenizer, for decoding and diagnostics. */
  raw: Tokenizer;
}

function tokenContent(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as Json).content === 'string') {
    return (value as Json).content as string;
  }
  return null;
}

/** Special-token strings named by tokenizer_config.json, as transformers collects them. */
export function specialTokenStrings(tokenizerConfig: Json): string[] {
  const out: string[] = [];
  for (const key of ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token']) {
    const s = tokenContent(tokenizerConfig[key]);
    if (s !== null) out.push(s);
  }
  const additional = tokenizerConfig.additional_special_tokens;
  if (Array.isArray(additional)) {
    for (const t of additional) {
      const s = tokenContent(t);
      if (s !== null) out.push(s);
    }
  }
  // transformers ≥ 4.50 turns `extra_special_tokens` (e.g. image_token) into special-token attributes too.
  const extra = tokenizerConfig.extra_special_tokens;
  const extraValues = Array.isArray(extra) ? extra : extra && typeof extra === 'object' ? Object.values(extra) : [];
  for (const t of extraValues) {
    const s = tokenContent(t);
    if (s !== null) out.push(s);
  }
  return [...new Set(out)];
}

/** The BPE model of tokenizer.json, checked to be one Sift can encode with (byte-level BPE). */
function byteLevelBpeModel(tj: Json): Json {
  const model = tj.model as Json | undefined;
  if (!model || model.type !== 'BPE' || !model.vocab || typeof model.vocab !== 'object') {
    throw new Error('tokenizer.json: expected a BPE model with a vocabulary');
  }
  const pre = tj.pre_tokenizer as Json | null;
  const byteLevel =
    pre?.type === 'ByteLevel' || (Array.isArray(pre?.pretokenizers) && (pre.pretokenizers as Json[]).some((p) => p.type === 'ByteLevel'));
  // Token lengths in bytes are read off byte-level token strings (one character per byte).
  if (!byteLevel) throw new Error('tokenizer.json: expected a byte-level BPE tokenizer');
  return model;
}

interface Vocabularies {
  bpeVocab: ReadonlyMap<string, number>;
  added: Map<string, number>;
  allSpecialIds: Set<number>;
  /** BPE vocabulary plus added tokens, built on first use. */
  fullVocab: () => Map<string, number>;
}

function vocabulariesOf(raw: Tokenizer, tj: Json, tc: Json, model: Json): Vocabularies {
  // Building a tokenizer is on the path of every model load: the 151k-entry maps are built once
  // (tokenizers.js's own token → id map is reused) and the merged vocabulary only when asked for.
  const own = (raw.model as unknown as { tokens_to_ids?: unknown }).tokens_to_ids;
  const bpeVocab: ReadonlyMap<string, number> =
    own instanceof Map ? (own as Map<string, number>) : new Map(Object.entries(model.vocab as Record<string, number>));
  const added = new Map<string, number>();
  for (const t of (tj.added_tokens as Json[] | undefined) ?? []) added.set(t.content as string, t.id as number);
  let vocab: Map<string, number> | undefined;
  const fullVocab = () => {
    if (!vocab) {
      vocab = new Map(bpeVocab);
      for (const [content, id] of added) vocab.set(content, id);
    }
    return vocab;
  };
  const lookup = (s: string) => added.get(s) ?? bpeVocab.get(s);

  const allSpecialIds = new Set<number>();
  for (const s of specialTokenStrings(tc)) {
    const id = lookup(s);
    if (id !== undefined) allSpecialIds.add(id);
  }
  return { bpeVocab, added, allSpecialIds, fullVocab };
}

// Words this long are not cached by tokenizers.js and its per-character objects make them slow.
const LONG_WORD = 1024;

/** BPE of pre-tokenised words, in order; long words through LongWordBpe (same merges, same order). */
function plainWordEncoder(
  bpe: NonNullable<Tokenizer['model']>,
  bpeVocab: ReadonlyMap<string, number>,
  model: Json,
): (words: string[]) => PlainEncoding {
  let longWords: LongWordBpe | null | undefined;
  return (words) => {
    const ids: number[] = [];
    const byteLengths: number[] = [];
    let batch: string[] = [];
    const flush = () => {
      // Plain BPE can only yield vocabulary entries; the added-token table is deliberately not consulted.
      for (const t of batch.length ? bpe(batch) : []) {
        const id = bpeVocab.get(t);
        if (id === undefined) throw new Error(`BPE produced a token outside the vocabulary: ${JSON.stringify(t)}`);
        ids.push(id);
        byteLengths.push(t.length);
      }
      batch = [];
    };
    for (const w of words) {
      if (w.length > LONG_WORD) {
        if (longWords === undefined) longWords = plainBpeModel(model) ? LongWordBpe.fromModel(model as never) : null;
        const enc = longWords?.encode(w);
        if (enc) {
          flush();
          for (let i = 0; i < enc.ids.length; i++) {
            ids.push(enc.ids[i]);
            byteLengths.push(enc.byteLengths[i]);
          }
          continue;
        }
      }
      batch.push(w);
    }
    flush();
    return { ids, byteLengths };
  };
}

/** The pre-tokenised words of `normalized` that no continuation of it could change. */
function stableWords(words: string[], normalized: string): string[] {
  // Byte-level words: one character per UTF-8 byte, so lengths are byte offsets into `normalized`.
  const total = words.reduce((n, w) => n + w.length, 0);
  const beforeTrailingSpace = utf8Length(normalized.trimEnd());
  // With the Qwen2 split pattern, the match that starts at s and ends at e reads no character past
  // max(e, end of the whitespace run at s): it is final once a character follows it and, when it
  // starts in whitespace, once that run has ended inside the prefix. BPE works word by word.
  const stable: string[] = [];
  let start = 0;
  for (const w of words) {
    const end = start + w.length;
    if (end >= total || start >= beforeTrailingSpace) break;
    stable.push(w);
    start = end;
  }
  return stable;
}

/** Builds the prompt tokenizer from the checkpoint's tokenizer.json and tokenizer_config.json. */
export function loadPromptTokenizer(tokenizerJSON: unknown, tokenizerConfig: unknown): PromptTokenizer {
  const tj = tokenizerJSON as Json;
  const tc = (tokenizerConfig ?? {}) as Json;
  const model = byteLevelBpeModel(tj);
  const raw = new Tokenizer(tj, tc);
  const { bpeVocab, added, allSpecialIds, fullVocab } = vocabulariesOf(raw, tj, tc, model);

  const normalizer = raw.normalizer;
  const preTokenizer = raw.pre_tokenizer;
  const bpe = raw.model;
  if (!bpe) throw new Error('tokenizer.json: no model');
  const encodeWords = plainWordEncoder(bpe, bpeVocab, model);

  function encodePlain(text: string): PlainEncoding {
    if (text.length === 0) return { ids: [], byteLengths: [] };
    const normalized = normalizer ? normalizer(text) : text;
    if (normalized.length === 0) return { ids: [], byteLengths: [] };
    return encodeWords(preTokenizer ? preTokenizer(normalized, { section_index: 0 }) : [normalized]);
  }

  const prefixSafe =
    isKnownPreTokenization(tj) && plainBpeModel(model) && !specialIdReachableByBpe(model.vocab as Record<string, number>, allSpecialIds);

  function encodeStablePrefix(prefix: string): PlainEncoding {
    if (!prefixSafe) throw new Error('encodeStablePrefix: this tokenizer is not one whose prefixes Sift can encode safely');
    const normalized = normalizer ? normalizer(prefix) : prefix;
    const words: string[] = preTokenizer ? preTokenizer(normalized, { section_index: 0 }) : [normalized];
    return encodeWords(stableWords(words, normalized));
  }

  return {
    encodePlain,
    prefixSafe,
    encodeStablePrefix,
    addedTokenId(content: string): number {
      const id = added.get(content);
      if (id === undefined) throw new Error(`tokenizer.json has no added token ${content}`);
      return id;
    },
    allSpecialIds,
    get vocab() {
      return fullVocab();
    },
    raw,
  };
}

function utf8Length(s: string): number {
  let n = 0;
  // Counted without allocating: the prefix can be long.
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** The split pattern of the Qwen2 / Qwen3 tokenizers, whose prefix behaviour `encodeStablePrefix` relies on. */
export const QWEN2_SPLIT_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/** A BPE model that merges by rank only (no dropout, suffixes, byte fallback or merge skipping). */
function plainBpeModel(model: Json): boolean {
  return (
    !model.dropout &&
    !model.ignore_merges &&
    !model.byte_fallback &&
    !model.end_of_word_suffix &&
    !model.continuing_subword_prefix &&
    Array.isArray(model.merges)
  );
}

/** NFC (or none), Split(Qwen2 pattern, isolated) then ByteLevel without its own regex, plain BPE. */
function isKnownPreTokenization(tj: Json): boolean {
  const norm = tj.normalizer as Json | null | undefined;
  if (norm && norm.type !== 'NFC') return false;
  const pre = tj.pre_tokenizer as Json | null;
  const steps = pre?.type === 'Sequence' ? (pre.pretokenizers as Json[]) : null;
  if (!steps || steps.length !== 2) return false;
  const [split, byteLevel] = steps;
  const pattern = split.pattern as Json | undefined;
  if (split.type !== 'Split' || pattern?.Regex !== QWEN2_SPLIT_PATTERN || split.behavior !== 'Isolated' || split.invert !== false)
    return false;
  return byteLevel.type === 'ByteLevel' && byteLevel.use_regex === false && byteLevel.add_prefix_space === false;
}

/** Whether plain BPE could produce a special id (a special token that is also a BPE vocabulary entry). */
function specialIdReachableByBpe(bpeVocab: Record<string, number>, specialIds: ReadonlySet<number>): boolean {
  for (const id of Object.values(bpeVocab)) if (specialIds.has(id)) return true;
  return false;
}

/**
 * Whether NFC(a + b) = NFC(a) + NFC(b) for every `a` when `b` starts with the UTF-16 unit `c`: true for
 * characters that start a normalisation segment and are never the second half of a composition
 * (everything below U+0300, kana letters, CJK ideographs, Hangul syllables); false for the rest,
 * which may or may not be such points.
 */
export function isNormalizationBoundary(c: number): boolean {
  return (
    c < 0x300 ||
    (c >= 0x3041 && c <= 0x3096) ||
    (c >= 0x30a1 && c <= 0x30fa) ||
    (c >= 0x4e00 && c <= 0x9fff) ||
    (c >= 0xac00 && c <= 0xd7a3)
  );
}

/** The ids of the tokens "yes" and "no" (the reference's `get_vocab()["yes"]` / `["no"]`). */
export function yesNoIds(tokenizer: Pick<PromptTokenizer, 'vocab'>): { yes: number; no: number } {
  const yes = tokenizer.vocab.get('yes');
  const no = tokenizer.vocab.get('no');
  if (yes === undefined || no === undefined) throw new Error('the vocabulary has no "yes" / "no" token');
  return { yes, no };
}
