// The moments and covers bench (section 7), in Node on onnxruntime-web's WASM EP — the engine the
// browser runs, not a GPU: seconds of video processed per second of wall time for moments (10-s
// windows, stride 5 s, 1 fps) with where the time goes (decoding + preprocessing, vision graph,
// decoder graph), and frames per second for covers (1 fps). Prints one JSON object on stdout.
//   node --import tsx bench/moments.ts <reranker-dir> <work-dir> [--quick]
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { coverFramesOf } from '../src/engine/covers.ts';
import { momentsOf } from '../src/engine/moments.ts';
import { loadModelDir } from '../src/cli/nodeModel.ts';
import { nodeVideoDecoder } from '../src/media/nodeVideoReader.ts';
import type { LoadedModel } from '../src/engine/session.ts';

const [modelDir, work] = process.argv.slice(2);
const quick = process.argv.includes('--quick');
const ffmpeg = (args: string[]) => execFileSync('ffmpeg', ['-v', 'error', '-y', ...args]);
const round = (x: number, d = 2) => +x.toFixed(d);

/** Wraps a graph session's run() to add up its wall time. */
function timed(session: { run: (...a: never[]) => Promise<unknown> }, into: { ms: number }) {
  const run = session.run.bind(session) as (...a: never[]) => Promise<unknown>;
  session.run = async (...a: never[]) => {
    const t0 = performance.now();
    try {
      return await run(...a);
    } finally {
      into.ms += performance.now() - t0;
    }
  };
}

async function main() {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const seconds = quick ? 60 : 180;
  // 320×240 25 fps H.264 (GOP 2 s, B-frames), a new scene every 30 s: what a talk's recording might be.
  const video = join(work, 'talk.mp4');
  const src = `testsrc2=s=320x240:r=25:d=${seconds},hue=H=PI*floor(t/30)/3`;
  ffmpeg(['-f', 'lavfi', '-i', src, '-c:v', 'libx264', '-preset', 'veryfast', '-g', '50', '-bf', '2', '-pix_fmt', 'yuv420p', video]);

  const { model, tokenizer } = await loadModelDir(modelDir);
  const vision = { ms: 0 };
  const decoder = { ms: 0 };
  const m = model as LoadedModel & { vision: { run: never }; decoder: { run: never } };
  timed(m.vision as never, vision);
  timed(m.decoder as never, decoder);
  const media = nodeVideoDecoder(work);
  const ctx = { model, tokenizer, media };
  const out: Record<string, unknown> = {};

  let t0 = performance.now();
  let firstMs = 0;
  const mom = await media.withVideo({ type: 'video', video }, async (reader) => {
    const r = await momentsOf(
      ctx,
      reader,
      { text: 'the speaker drawing a force diagram on the blackboard' },
      {
        window: 10,
        stride: 5,
        fps: 1,
        onWindow: () => void (firstMs ||= performance.now() - t0),
      },
    );
    return { r, stats: { ...reader.stats } };
  });
  const wall = (performance.now() - t0) / 1000;
  out.moments = {
    video_seconds: seconds,
    source: '320×240, 25 fps, H.264',
    windows: mom.r.windows.length,
    window_s: 10,
    stride_s: 5,
    fps: 1,
    wall_s: round(wall, 1),
    video_s_per_s: round(seconds / wall, 3),
    first_window_ms: Math.round(firstMs),
    split_s: {
      decoding: round(mom.stats.decodeMs / 1000, 1),
      vision: round(vision.ms / 1000, 1),
      decoder: round(decoder.ms / 1000, 1),
      other: round(wall - (mom.stats.decodeMs + vision.ms + decoder.ms) / 1000, 1),
    },
    decode_passes: mom.stats.passes,
    frames_decoded: mom.stats.decoded,
    frames_reused: mom.stats.reused,
    failed: mom.r.windows.filter((w) => w.score === null).length,
  };

  vision.ms = 0;
  decoder.ms = 0;
  const coverSeconds = quick ? 20 : 60;
  t0 = performance.now();
  const cov = await media.withVideo({ type: 'video', video }, async (reader) => {
    // The first `coverSeconds` of the video: covers of a shorter video.
    const r = await coverFramesOf(ctx, { ...reader, duration: coverSeconds }, 'Lecture 3: forces and free-body diagrams', { fps: 1 });
    return { r, stats: { ...reader.stats } };
  });
  const coverWall = (performance.now() - t0) / 1000;
  out.covers = {
    frames: cov.r.frames.length,
    source: '320×240, 25 fps, H.264',
    wall_s: round(coverWall, 1),
    frames_per_s: round(cov.r.frames.length / coverWall, 2),
    split_s: { decoding: round(cov.stats.decodeMs / 1000, 1), vision: round(vision.ms / 1000, 1), decoder: round(decoder.ms / 1000, 1) },
  };
  out.memory_mb = { rss_end: Math.round(process.memoryUsage().rss / 1048576) };
  await model.release();
  console.log(JSON.stringify(out));
}

await main();
