// The library bench (section 6), in Node on onnxruntime-web's WASM EP — the engine the browser runs,
// not a GPU: indexing speed for images and for video, search latency (embed the query + exact top-K +
// rerank of K) at 1k / 10k / 100k stored vectors (synthetic vectors beyond the indexed ones), and the
// process's memory with both models loaded. Prints one JSON object on stdout.
//   node --import tsx bench/library.ts <embedder-dir> <reranker-dir> <work-dir> [--quick]
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { EmbedSession } from '../src/engine/embed.ts';
import { RerankSession } from '../src/engine/rerank.ts';
import { indexLibrary } from '../src/engine/library/indexer.ts';
import { libraryItems } from '../src/engine/library/libraryFiles.ts';
import { topKByDot } from '../src/engine/library/topK.ts';
import { LanceLibraryStore } from '../src/cli/library/lanceStore.ts';
import { listFolder, nodeFolderSource } from '../src/cli/library/nodeFolder.ts';
import { loadModelDir } from '../src/cli/nodeModel.ts';
import { nodeMediaDecoder } from '../src/media/nodeDecoder.ts';
import type { EmbedInput } from '../src/prompt/index.ts';
import { encodeVector } from '../src/store/vectorCodec.ts';
import type { LibraryEntry, LibraryMeta } from '../src/store/libraryIndex.ts';

const [embedDir, rerankDir, work] = process.argv.slice(2);
const quick = process.argv.includes('--quick');
const rssMb = () => Math.round(process.memoryUsage().rss / 1048576);
const ms = (t0: number) => Math.round(performance.now() - t0);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ffmpeg = (args: string[]) => execFileSync('ffmpeg', ['-v', 'error', '-y', ...args]);

/** Deterministic unit vectors (xorshift), for index sizes beyond what is worth embedding here. */
function syntheticVectors(n: number, dims: number, seed: number): Float32Array[] {
  let s = seed >>> 0 || 1;
  const next = () => ((s ^= s << 13), (s ^= s >>> 17), (s ^= s << 5), (s >>> 0) / 2 ** 32 - 0.5);
  return Array.from({ length: n }, () => {
    const v = Float32Array.from({ length: dims }, next);
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  });
}

async function main() {
  rmSync(work, { recursive: true, force: true });
  const folders = { images: join(work, 'images'), video: join(work, 'video') };
  for (const d of Object.values(folders)) mkdirSync(d, { recursive: true });
  const imageCount = quick ? 4 : 16;
  // 448×448 stills: 784 patches, 196 tokens each (the scoring section's image size).
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=448x448:rate=1', '-frames:v', String(imageCount), join(folders.images, 'img%03d.png')]);
  const videoSeconds = quick ? 30 : 60;
  ffmpeg([
    '-f',
    'lavfi',
    '-i',
    `testsrc=size=320x240:rate=10`,
    '-t',
    String(videoSeconds),
    '-pix_fmt',
    'yuv420p',
    join(folders.video, 'talk.mp4'),
  ]);

  const rss0 = rssMb();
  const embedder = await loadModelDir(embedDir);
  const rssEmbedder = rssMb();
  const reranker = await loadModelDir(rerankDir);
  const rssBoth = rssMb();
  const dims = embedder.model.cfg.text.hiddenSize;
  const out: Record<string, unknown> = { memory_mb: { before: rss0, embedder_loaded: rssEmbedder, both_loaded: rssBoth } };

  const index = async (folder: string, name: string) => {
    const store = await LanceLibraryStore.open(join(work, `${name}.lance`));
    const session = new EmbedSession(embedder.model, embedder.tokenizer, nodeMediaDecoder(folder));
    const meta: LibraryMeta = {
      modelId: embedder.manifest.id,
      modelVersion: embedder.manifest.version,
      dims,
      format: 'f16',
      instruction: "Represent the user's input.",
      segmentSeconds: 10,
      segmentStride: 5,
    };
    const t0 = performance.now();
    const summary = await indexLibrary(
      libraryItems(await listFolder(folder)),
      store,
      await nodeFolderSource(folder),
      async (inputs) => {
        const r = await session.run({ inputs, dims });
        return r.embeddings.map((embedding, i) => ({ embedding, error: r.errors.find((e) => e.index === i)?.message }));
      },
      { meta },
    );
    return { seconds: (performance.now() - t0) / 1000, summary };
  };
  const images = await index(folders.images, 'images');
  out.index_images = {
    items: imageCount,
    seconds: +images.seconds.toFixed(1),
    items_per_s: +(imageCount / images.seconds).toFixed(3),
    failed: images.summary.failed.length,
  };
  const video = await index(folders.video, 'video');
  out.index_video = {
    video_seconds: videoSeconds,
    segments: video.summary.items,
    seconds: +video.seconds.toFixed(1),
    video_minutes_per_minute: +(videoSeconds / video.seconds).toFixed(3),
  };

  // Search: the query embedded, exact top-K over n vectors (LanceDB f16 scan, and the browser's way:
  // an in-memory i8 scan), the reranker on K text candidates.
  const embedSession = new EmbedSession(embedder.model, embedder.tokenizer, nodeMediaDecoder(work));
  const rerankSession = new RerankSession(reranker.model, reranker.tokenizer, nodeMediaDecoder(work));
  const K = 50;
  const sizes = quick ? [1000, 10000] : [1000, 10000, 100000];
  const search: Record<string, unknown>[] = [];
  for (const n of sizes) {
    const vectors = syntheticVectors(n, dims, n);
    const store = await LanceLibraryStore.open(join(work, `search-${n}.lance`));
    await store.setMeta({
      modelId: 'synthetic',
      modelVersion: '1',
      dims,
      format: 'f16',
      instruction: '',
      segmentSeconds: 10,
      segmentStride: 5,
    });
    for (let i = 0; i < n; i += 5000) {
      const batch: LibraryEntry[] = vectors
        .slice(i, i + 5000)
        .map((vector, k) => ({ path: `doc${i + k}.txt`, kind: 'text', size: 1, mtimeMs: 0, hash: '', segment: 0, segments: 1, vector }));
      // One putFile per 5000 rows: the bench only needs the rows, not per-file replacement.
      await store.putFile(`batch${i}`, batch);
    }
    const i8 = vectors.map((v) => new Int8Array(encodeVector(v, 'i8').buffer));
    const reps = quick ? 2 : 3;
    const t = { embed: [] as number[], lance: [] as number[], memory_i8: [] as number[], rerank: [] as number[] };
    for (let r = 0; r < reps; r++) {
      let t0 = performance.now();
      const q = await embedSession.run({
        instruction: "Retrieve images or text relevant to the user's query.",
        inputs: [{ text: `an orange cat on a grey brick sill ${r}` }],
      });
      t.embed.push(ms(t0));
      t0 = performance.now();
      const hits = await store.search(q.embeddings[0]!, K);
      t.lance.push(ms(t0));
      t0 = performance.now();
      // Int8 rows dotted as they are stored (similarity ×127): what a browser index scans.
      topKByDot(
        q.embeddings[0]!,
        i8.map((vector, item) => ({ item, vector })),
        K,
      );
      t.memory_i8.push(ms(t0));
      t0 = performance.now();
      const documents: EmbedInput[] = hits.map((h, k) => ({
        text: `candidate ${k}: ${h.entry.path} — a photo of a cat on a windowsill, a lecture slide, a street at night`,
      }));
      await rerankSession.run({ query: { text: 'an orange cat on a grey brick sill' }, documents });
      t.rerank.push(ms(t0));
    }
    search.push({
      stored: n,
      embed_query_ms: median(t.embed),
      topk_lance_f16_ms: median(t.lance),
      topk_memory_i8_ms: median(t.memory_i8),
      rerank_k_ms: median(t.rerank),
      k: K,
      total_ms: median(t.embed) + median(t.lance) + median(t.rerank),
    });
  }
  out.search = search;
  out.memory_mb = { ...(out.memory_mb as object), peak_after_search: rssMb() };
  await embedder.model.release();
  await reranker.model.release();
  console.log(JSON.stringify(out));
}

await main();
