// Prompt limits end to end on the tiny model: a query that truncation would cut fails the request
// (not a "successful" run where every document scores the same), and one over-long document fails
// alone with its code while the others are scored.
import { beforeAll, describe, expect, it } from 'vitest';
import { RerankSession, type MediaDecoder } from '../../src/engine/rerank.ts';
import { loadPromptTokenizer } from '../../src/prompt/index.ts';
import { tinyModel } from './tinyModel.ts';

const noMedia: MediaDecoder = {
  image: async () => {
    throw new Error('this test uses text only');
  },
  video: async () => {
    throw new Error('this test uses text only');
  },
};

const lorem = (chars: number) => 'the quick brown fox jumps over the lazy dog. '.repeat(Math.ceil(chars / 45)).slice(0, chars);

describe('prompt limits in a rerank session', () => {
  let session: RerankSession;
  beforeAll(async () => {
    const tiny = await tinyModel(8);
    const json = (f: string) => JSON.parse(new TextDecoder().decode(tiny.files.get(f)!));
    session = new RerankSession(tiny.model, loadPromptTokenizer(json('tokenizer.json'), json('tokenizer_config.json')), noMedia);
  });

  it('fails the request with query-truncated when a 100 KB instruction leaves no room for the query', async () => {
    const request = {
      instruction: lorem(100_000),
      query: { text: 'a dog on a beach' },
      documents: [{ text: 'a dog runs on the sand' }, { text: 'stock markets fell' }],
    };
    const run = session.run(request);
    await expect(run).rejects.toMatchObject({ name: 'PromptError', code: 'query-truncated' });
    await expect(run).rejects.toThrow(/the query does not fit in the 10,240-token prompt/);
  });

  it('fails only the document whose text is above maxTextChars', async () => {
    const request = {
      query: { text: 'a dog on a beach' },
      documents: [{ text: 'a dog runs on the sand' }, { text: lorem(50_000) }, { text: 'stock markets fell' }],
    };
    const out = await session.run(request, { maxTextChars: 20_000 });
    expect(out.scores[1]).toBeNull();
    expect(out.scores[0]).toBeGreaterThan(0);
    expect(out.scores[2]).toBeGreaterThan(0);
    expect(out.errors).toEqual([
      {
        index: 1,
        code: 'text-too-long',
        message: expect.stringMatching(/^the document text is 50,000 characters long, above the limit of 20,000 \(maxTextChars\)/),
      },
    ]);
  });
});
