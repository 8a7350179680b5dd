// Section 6: the library (issue F) — indexing speed, search latency at 1k/10k/100k stored vectors and
// memory with both models loaded, on bench-size models with the real 2B widths (4 text layers, 6
// vision blocks, int8 linear layers). Runs bench/library.ts in a Node child (onnxruntime-web's WASM EP,
// as the CLI): a CPU number, never a GPU one.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { cacheDir, prepareModel, root } from './prepare.mjs';

/** The bench embedding model (made like the reranker's bench model, with --kind embedding). */
export function prepareLibraryModels(log) {
  return prepareModel('l4v6-embed-int8', { realSize: true, layers: 4, visionDepth: 6, linear: 'int8', kind: 'embedding' }, log);
}

export function librarySection({ embedderDir, rerankerDir, quick, log }) {
  const args = [
    '--import',
    'tsx',
    join(root, 'bench/library.ts'),
    embedderDir,
    rerankerDir,
    join(cacheDir, 'library-work'),
    ...(quick ? ['--quick'] : []),
  ];
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`bench/library.ts failed (exit ${r.status}): ${r.stderr.slice(-2000)}`);
  const result = JSON.parse(r.stdout.trim().split('\n').pop());
  const s = result.search.map(
    (x) =>
      `${x.stored}: ${x.total_ms} ms (embed ${x.embed_query_ms}, top-${x.k} ${x.topk_lance_f16_ms} / i8 ${x.topk_memory_i8_ms}, rerank ${x.rerank_k_ms})`,
  );
  log(`library: images ${result.index_images.items_per_s} items/s; video ${result.index_video.video_minutes_per_minute} video-min/min`);
  log(`library search by stored vectors — ${s.join('; ')}`);
  log(`library memory: both models loaded ${result.memory_mb.both_loaded} MB RSS (Node), peak ${result.memory_mb.peak_after_search} MB`);
  return result;
}
