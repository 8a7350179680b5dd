// Shared by the moments / covers tests: the tiny reranker (fp32, random weights: scores mean nothing,
// equality between paths does), a Node decoder that opens videos, and generated videos with distinct
// scenes (testsrc2 with its hue turned per scene, so every scene and every frame differs).
import { join } from 'node:path';
import { RerankSession } from '../../src/engine/rerank.ts';
import type { VideoScoringContext } from '../../src/engine/moments.ts';
import { nodeMediaDecoder } from '../../src/media/nodeDecoder.ts';
import type { VideoReaderDecoder } from '../../src/media/decoder.ts';
import { nodeVideoDecoder, type NodeVideoReader } from '../../src/media/nodeVideoReader.ts';
import { loadPromptTokenizer, type RerankRequest } from '../../src/prompt/index.ts';
import { tinyModel } from '../engine/tinyModel.ts';
import { ffmpeg } from '../media/helpers.ts';

export { ffmpeg, tempDir } from '../media/helpers.ts';

export async function tinyContext(
  dir: string,
): Promise<Omit<VideoScoringContext, 'media'> & { media: VideoReaderDecoder<NodeVideoReader>; release: () => Promise<void> }> {
  const tiny = await tinyModel(32);
  const json = (f: string) => JSON.parse(new TextDecoder().decode(tiny.files.get(f)!));
  const tokenizer = loadPromptTokenizer(json('tokenizer.json'), json('tokenizer_config.json'));
  return { model: tiny.model, tokenizer, media: nodeVideoDecoder(dir), release: () => tiny.model.release() };
}

/** Scores as `sift rank` does: a RerankSession over the plain Node decoder (one document = one clip or file). */
export async function rankScores(ctx: VideoScoringContext, dir: string, request: RerankRequest) {
  return new RerankSession(ctx.model, ctx.tokenizer, nodeMediaDecoder(dir)).run(request);
}

/**
 * `seconds` of 64×48 video at `fps`, a new scene (hue) every `scene` seconds, H.264 with B-frames and a
 * 10-second GOP (so windows start between key frames).
 */
export function scenesVideo(dir: string, name: string, o: { seconds: number; fps: number; scene: number }): string {
  const src = `testsrc2=s=64x48:r=${o.fps}:d=${o.seconds},hue=H=PI*floor(t/${o.scene})/3`;
  const out = join(dir, name);
  ffmpeg([
    '-f',
    'lavfi',
    '-i',
    src,
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-bf',
    '2',
    '-g',
    String(10 * o.fps),
    '-pix_fmt',
    'yuv420p',
    out,
  ]);
  return out;
}
