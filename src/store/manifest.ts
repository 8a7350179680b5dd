// manifest.json of a converted model: everything needed to download, verify and run it. Paths are
// relative to the manifest so a converted directory can be hosted anywhere. The store owns it (it keeps
// and verifies what a manifest lists); the converter (src/model) writes it.

export const MANIFEST_FORMAT = 'sift-model';
export const MANIFEST_VERSION = 1;

export interface ByteRange {
  file: string;
  offset: number;
  length: number;
}

export interface ShardInfo {
  file: string;
  bytes: number;
  sha256: string;
}

export type EmbeddingBits = 4 | 8 | 32;

/** Rows [first, first + rows) of the table: `values` (fp32) or packed/scales/zeroPoints (quantized). */
export interface EmbeddingPart {
  rows: number;
  values?: ByteRange;
  packed?: ByteRange;
  scales?: ByteRange;
  zeroPoints?: ByteRange;
}

/** Which model a manifest holds: Qwen3-VL-Reranker (scores pairs) or Qwen3-VL-Embedding (one vector per input). */
export type ModelKind = 'reranker' | 'embedding';

/** A manifest without `kind` was written before embedding models existed: a reranker. */
export const modelKindOf = (m: Pick<Manifest, 'kind'>): ModelKind => m.kind ?? 'reranker';

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  /** Absent in manifests written before embedding models: 'reranker'. */
  kind?: ModelKind;
  formatVersion: number;
  /** Stable model id (e.g. "qwen3-vl-reranker-2b"); the store keys shards by id + version. */
  id: string;
  /** Content version: changes whenever any file changes (hash of the shard hashes). */
  version: string;
  label: string;
  /** True for generated checkpoints whose scores mean nothing. */
  randomWeights: boolean;
  source: string;
  config: unknown;
  /**
   * linear 'int8': the graphs' linear layers are int8 per output channel (graphs/linear.ts; `bits` is
   * then 8), their weights stored as uint8 around 128 ('u8') or, in models converted before 2026-12-08,
   * as int8 (absent or 's8').
   */
  weights: { bits: 4 | 8 | 32; blockSize: number; activations: 'fp32'; linear?: 'int8'; int8Weights?: 'u8' | 's8' };
  /** The reranker's answer tokens (absent for an embedding model). */
  tokens?: { yes: number; no: number };
  files: { tokenizer: string; tokenizerConfig: string; chatTemplate?: string; preprocessor?: string; videoPreprocessor?: string };
  graphs: { vision: { file: string; shards: string[] }; decoder: { file: string; shards: string[] } };
  /**
   * The token embedding table: fp32 (bits 32) or block-quantized. Stored as row ranges (`parts`), or,
   * when it is one quantized part, by the ranges packed/scales/zeroPoints directly (embeddingTable.ts).
   */
  embedding: {
    rows: number;
    cols: number;
    bits: 4 | 8 | 32;
    blockSize: number;
    packed?: ByteRange;
    scales?: ByteRange;
    zeroPoints?: ByteRange;
    parts?: EmbeddingPart[];
  };
  /** What each part is stored as (for people and tools; loaders read `weights` and `embedding`). */
  storage?: Storage;
  /** Every file of the model (graphs, weight shards, tokenizer files) with its size and sha256. */
  shards: ShardInfo[];
  totalBytes: number;
}

export interface Storage {
  /** Every Linear of both graphs (and the vision patch embedding), e.g. "4-bit block 32" or "fp32". */
  linear: string;
  /** The token embedding table, e.g. "8-bit block 32" or "fp32". */
  embedding: string;
  /** Norms, biases, the vision position table and the score head. */
  other: 'fp32';
}

export function parseManifest(json: unknown): Manifest {
  const m = json as Partial<Manifest>;
  if (!m || typeof m !== 'object' || m.format !== MANIFEST_FORMAT) {
    throw new Error(
      'manifest.json: not a Sift model manifest (format must be "sift-model"); convert a checkpoint with `sift convert` first',
    );
  }
  if (m.formatVersion !== MANIFEST_VERSION) {
    throw new Error(
      `manifest.json: format version ${m.formatVersion} is not supported by this Sift (expects ${MANIFEST_VERSION}); re-convert the model`,
    );
  }
  if (m.kind !== undefined && m.kind !== 'reranker' && m.kind !== 'embedding')
    throw new Error(`manifest.json: kind "${String(m.kind)}" is not one Sift runs (reranker or embedding)`);
  const required = [
    'id',
    'version',
    'config',
    'graphs',
    'embedding',
    'shards',
    'files',
    ...(modelKindOf(m) === 'reranker' ? ['tokens'] : []),
  ];
  for (const key of required as (keyof Manifest)[]) {
    if (m[key] === undefined) throw new Error(`manifest.json: "${key}" is missing`);
  }
  const files = new Set(m.shards!.map((s) => s.file));
  for (const s of m.shards!) {
    if (!/^[\w.-]+$/.test(s.file)) throw new Error(`manifest.json: shard name "${s.file}" is not a plain file name`);
    if (!(s.bytes >= 0) || !/^[0-9a-f]{64}$/.test(s.sha256)) throw new Error(`manifest.json: shard ${s.file} has no valid size/sha256`);
  }
  const needed = [
    m.graphs!.vision.file,
    m.graphs!.decoder.file,
    ...m.graphs!.vision.shards,
    ...m.graphs!.decoder.shards,
    ...embeddingFiles(m.embedding!),
    m.files!.tokenizer,
  ];
  for (const f of needed) if (!files.has(f)) throw new Error(`manifest.json: ${f} is referenced but not listed in "shards"`);
  return m as Manifest;
}

/** A content version from the shard hashes (order-independent). */
export async function contentVersion(shards: ShardInfo[]): Promise<string> {
  const text = shards
    .map((s) => `${s.file}:${s.sha256}`)
    .sort()
    .join('\n');
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest).slice(0, 8), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The table's parts in row order: a manifest lists them, or (one quantized part) gives its ranges directly. */
export function embeddingParts(e: Manifest['embedding']): EmbeddingPart[] {
  const parts = e.parts ?? (e.packed ? [{ rows: e.rows, packed: e.packed, scales: e.scales, zeroPoints: e.zeroPoints }] : []);
  const bad = (what: string) => new Error(`manifest.json: the embedding table ${what}; re-convert the model`);
  if (parts.reduce((s, p) => s + p.rows, 0) !== e.rows) throw bad(`parts do not add up to its ${e.rows} rows`);
  for (const p of parts) {
    if (e.bits === 32 ? !p.values : !(p.packed && p.scales && p.zeroPoints))
      throw bad(`has a part without its ${e.bits === 32 ? 'values' : 'packed/scales/zeroPoints'}`);
  }
  return parts;
}

/** Every file the table is read from, each once, in row order. */
export function embeddingFiles(e: Manifest['embedding']): string[] {
  const files = embeddingParts(e).flatMap((p) =>
    [p.values, p.packed, p.scales, p.zeroPoints].filter((r): r is ByteRange => !!r).map((r) => r.file),
  );
  return [...new Set(files)];
}
