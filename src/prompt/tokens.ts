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

type Json = Record<string, unknown>;

export interface PlainEncoding {
  ids: number[];
  /** UTF-8 byte length of each token, in order; they sum to the byte length of NFC(text). */
  byteLengths: number[];
}

export interface PromptTokenizer {
  /** Plain BPE of `text` (normaliser, pre-tokeniser, model), no added-token matching. */
  encodePlain(text: string): PlainEncoding;
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

/** Builds the prompt tokenizer from the checkpoint's tokenizer.json and tokenizer_config.json. */
export function loadPromptTokenizer(tokenizerJSON: unknown, tokenizerConfig: unknown): PromptTokenizer {
  const tj = tokenizerJSON as Json;
  const tc = (tokenizerConfig ?? {}) as Json;
  const model = tj.model as Json | undefined;
  if (!model || model.type !== 'BPE' || !model.vocab || typeof model.vocab !== 'object') {
    throw new Error('tokenizer.json: expected a BPE model with a vocabulary');
  }
  const pre = tj.pre_tokenizer as Json | null;
  const byteLevel =
    pre?.type === 'ByteLevel' ||
    (Array.isArray(pre?.pretokenizers) && (pre.pretokenizers as Json[]).some((p) => p.type === 'ByteLevel'));
  // Token lengths in bytes are read off byte-level token strings (one character per byte).
  if (!byteLevel) throw new Error('tokenizer.json: expected a byte-level BPE tokenizer');

  const raw = new Tokenizer(tj, tc);
  // Building a tokenizer is on the path of every model load: the 151k-entry maps are built once
  // (tokenizers.js's own token → id map is reused) and the merged vocabulary only when asked for.
  const own = (raw.model as unknown as { tokens_to_ids?: unknown }).tokens_to_ids;
  const bpeVocab: ReadonlyMap<string, number> = own instanceof Map ? (own as Map<string, number>) : new Map(Object.entries(model.vocab as Record<string, number>));
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

  const normalizer = raw.normalizer;
  const preTokenizer = raw.pre_tokenizer;
  const bpe = raw.model;
  if (!bpe) throw new Error('tokenizer.json: no model');

  function encodePlain(text: string): PlainEncoding {
    if (text.length === 0) return { ids: [], byteLengths: [] };
    const normalized = normalizer ? normalizer(text) : text;
    if (normalized.length === 0) return { ids: [], byteLengths: [] };
    const words = preTokenizer ? preTokenizer(normalized, { section_index: 0 }) : [normalized];
    const tokens = bpe!(words);
    const ids: number[] = [];
    const byteLengths: number[] = [];
    for (const t of tokens) {
      // Plain BPE can only yield vocabulary entries; the added-token table is deliberately not consulted.
      const id = bpeVocab.get(t);
      if (id === undefined) throw new Error(`BPE produced a token outside the vocabulary: ${JSON.stringify(t)}`);
      ids.push(id);
      byteLengths.push(t.length);
    }
    return { ids, byteLengths };
  }

  return {
    encodePlain,
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

/** The ids of the tokens "yes" and "no" (the reference's `get_vocab()["yes"]` / `["no"]`). */
export function yesNoIds(tokenizer: Pick<PromptTokenizer, 'vocab'>): { yes: number; no: number } {
  const yes = tokenizer.vocab.get('yes');
  const no = tokenizer.vocab.get('no');
  if (yes === undefined || no === undefined) throw new Error('the vocabulary has no "yes" / "no" token');
  return { yes, no };
}
