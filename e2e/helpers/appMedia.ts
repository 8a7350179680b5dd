// Test media made at test time (nothing binary in the repo) and the scores `sift rank` gives them in
// Node — what the app must show for the same inputs.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeJpeg, encodePng, patternImage, toRgba } from '../../test/media/fixtures.ts';

export interface AppMedia {
  dir: string;
  png: string;
  jpeg: string;
  mp4: string;
  webm: string;
}

/** A PNG, a JPEG, an h264 mp4 and a vp9 webm (2 s, 10 fps) in a fresh temporary directory. */
export function makeAppMedia(): AppMedia {
  const dir = mkdtempSync(join(tmpdir(), 'sift-app-media-'));
  const png = join(dir, 'pattern.png');
  const jpeg = join(dir, 'pattern.jpg');
  const a = patternImage(96, 64);
  writeFileSync(png, encodePng(a.width, a.height, toRgba(a)));
  const b = patternImage(80, 120);
  writeFileSync(jpeg, encodeJpeg(b.width, b.height, toRgba(b), 92));
  const mp4 = join(dir, 'clip.mp4');
  const webm = join(dir, 'clip.webm');
  const src = ['-f', 'lavfi', '-i', 'testsrc2=size=160x128:rate=10:duration=2'];
  execFileSync('ffmpeg', ['-v', 'error', '-y', ...src, '-c:v', 'libx264', '-pix_fmt', 'yuv420p', mp4]);
  execFileSync('ffmpeg', ['-v', 'error', '-y', ...src, '-c:v', 'libvpx-vp9', '-pix_fmt', 'yuv420p', '-b:v', '400k', webm]);
  return { dir, png, jpeg, mp4, webm };
}

export interface CliRank {
  scores: (number | null)[];
  errors: { index: number; message: string }[];
}

/**
 * `sift rank --model <dir> --backend wasm <request.json>` in Node, on the same model files the app serves
 * and on the app's engine (onnxruntime-web's WASM build): native vs WASM is test/cli/nativeBackend.test.ts's.
 */
export function cliRank(modelDir: string, request: unknown, dir: string): CliRank {
  const path = join(dir, `request-${Date.now()}.json`);
  writeFileSync(path, JSON.stringify(request));
  const r = spawnSync(process.execPath, ['bin/sift.mjs', 'rank', '--model', modelDir, '--backend', 'wasm', path], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sift rank failed (${r.status}): ${r.stdout}${r.stderr}`);
  return JSON.parse(r.stdout) as CliRank;
}
