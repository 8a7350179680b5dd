// Per-document errors carry the stable code of what failed (the media's code, else 'internal'), in the
// result, in the streamed events, and on the error a broken query throws; real tiny model, real Node decoder.
import { beforeAll, describe, expect, it } from 'vitest';
import { RerankSession } from '../../src/engine/rerank.ts';
import { nodeMediaDecoder } from '../../src/media/nodeDecoder.ts';
import { loadPromptTokenizer } from '../../src/prompt/index.ts';
import { tinyModel } from './tinyModel.ts';

describe('per-document error codes', () => {
  let session: RerankSession;
  beforeAll(async () => {
    const tiny = await tinyModel(32);
    const json = (f: string) => JSON.parse(new TextDecoder().decode(tiny.files.get(f)!));
    session = new RerankSession(
      tiny.model,
      loadPromptTokenizer(json('tokenizer.json'), json('tokenizer_config.json')),
      nodeMediaDecoder(process.cwd()),
    );
  });

  it('each failed document has {index, code, message}; the others are scored', async () => {
    const events: { index: number; code?: string }[] = [];
    const r = await session.run(
      {
        query: { text: 'a dog' },
        documents: [
          { text: 'a dog runs' },
          { image: 'data:image/png;base64,AAAA' },
          { text: 'a cat' },
          { image: 'data:image/png;base64,not base64!' },
        ],
      },
      { onScore: (e) => events.push({ index: e.index, code: e.code }) },
    );
    expect(r.scores[0]).toBeGreaterThan(0);
    expect(r.scores[2]).toBeGreaterThan(0);
    expect(r.errors).toEqual([
      { index: 1, code: 'not-an-image', message: expect.stringContaining('not an image') },
      { index: 3, code: 'bad-base64', message: expect.any(String) },
    ]);
    expect(events.filter((e) => e.code).sort((a, b) => a.index - b.index)).toEqual([
      { index: 1, code: 'not-an-image' },
      { index: 3, code: 'bad-base64' },
    ]);
  });

  it("a query whose media fail throws with the media's code", async () => {
    await expect(session.run({ query: { image: 'data:image/png;base64,AAAA' }, documents: [{ text: 'x' }] })).rejects.toMatchObject({
      code: 'not-an-image',
    });
  });
});
