// Section 7: moments and covers (issue G) — seconds of video per second of wall time for moments (10-s
// windows, stride 5 s, 1 fps) with the split between decoding, the vision graph and the decoder graph,
// and frames per second for covers, on the bench reranker (real 2B widths, 4 text layers, 6 vision
// blocks, int8 linear layers). Runs bench/moments.ts in a Node child (onnxruntime-web's WASM EP, as
// the CLI): a CPU number, never a GPU one.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { cacheDir, root } from './prepare.mjs';

export function momentsSection({ rerankerDir, quick, log }) {
  const args = [
    '--import',
    'tsx',
    join(root, 'bench/moments.ts'),
    rerankerDir,
    join(cacheDir, 'moments-work'),
    ...(quick ? ['--quick'] : []),
  ];
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`bench/moments.ts failed (exit ${r.status}): ${r.stderr.slice(-2000)}`);
  const result = JSON.parse(r.stdout.trim().split('\n').pop());
  const m = result.moments;
  const s = m.split_s;
  log(
    `moments: ${m.video_s_per_s} video-s per s (${m.video_seconds} s in ${m.wall_s} s, ${m.windows} windows; ` +
      `decoding ${s.decoding} s, vision ${s.vision} s, decoder ${s.decoder} s)`,
  );
  log(`covers: ${result.covers.frames_per_s} frames/s (${result.covers.frames} frames in ${result.covers.wall_s} s)`);
  return result;
}

/** Runs the section alone: node bench/momentsSection.mjs [--quick] */
if (import.meta.url === `file://${process.argv[1]}`) {
  const { prepareModel } = await import('./prepare.mjs');
  const dir = prepareModel('l4v6-int8', { realSize: true, layers: 4, visionDepth: 6, linear: 'int8' }).dir;
  console.log(JSON.stringify(momentsSection({ rerankerDir: dir, quick: process.argv.includes('--quick'), log: console.log })));
}
