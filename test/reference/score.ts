// The whole reranker forward for one prompt: vision per image/video, scatter into the pad
// positions (Qwen3VLModel.forward's masked_scatter + DeepStack joining), rope index, text model,
// and the yes−no logit from the last position.

import type { ModelConfig } from '../../src/model/config.ts';
import { sigmoid } from './erf.ts';
import { referenceRopeIndex } from './ropeIndex.ts';
import { outputEmbeddings, referenceEmbed, referenceText } from './text.ts';
import { referenceVision } from './vision.ts';
import type { Weights } from './weights.ts';

export interface VisualInput {
  /** [N, C·T·P·P] in the processor's merge order. */
  patches: Float32Array;
  grid: [number, number, number];
}

export interface ScoreInput {
  inputIds: number[];
  images: VisualInput[];
  videos: VisualInput[];
  yesId: number;
  noId: number;
}

export interface ScoreResult {
  logit: number;
  score: number;
  layerOutputs: Float32Array[];
  lastHidden: Float32Array;
}

/** Concatenates same-width row blocks. */
function concatRows(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export interface AssembledInputs {
  /** inputs_embeds [S, H] with vision rows scattered into the pads. */
  embeds: Float32Array;
  /** True at every image or video pad (null when there are none). */
  visualMask: boolean[] | null;
  /** One [numVisual, H] per DeepStack level, rows in sequence order of the visual positions. */
  deepstack: Float32Array[];
  positions: [Int32Array, Int32Array, Int32Array];
}

/** Everything Qwen3VLModel.forward hands to the language model, for one prompt. */
export function assembleInputs(w: Weights, cfg: ModelConfig, input: ScoreInput): AssembledInputs {
  const { inputIds, images, videos } = input;
  const H = cfg.text.hiddenSize;
  const S = inputIds.length;
  if (S === 0) throw new Error('score: empty input');
  if (cfg.vision.outHiddenSize !== H) throw new Error('score: vision out_hidden_size differs from the text hidden size');

  const imageRuns = images.map((im) => referenceVision(w, cfg, im.patches, im.grid));
  const videoRuns = videos.map((vd) => referenceVision(w, cfg, vd.patches, vd.grid));
  // HF runs all images in one visual() call and concatenates; per-image calls then concat are equal.
  const imageEmbeds = concatRows(imageRuns.map((r) => r.embeds));
  const videoEmbeds = concatRows(videoRuns.map((r) => r.embeds));

  const embeds = referenceEmbed(w, cfg, inputIds);
  const isImage = inputIds.map((id) => id === cfg.imageTokenId);
  const isVideo = inputIds.map((id) => id === cfg.videoTokenId);
  const nImage = isImage.filter(Boolean).length;
  const nVideo = isVideo.filter(Boolean).length;
  if (nImage * H !== imageEmbeds.length) throw new Error(`score: ${nImage} image pads but ${imageEmbeds.length / H} image rows`);
  if (nVideo * H !== videoEmbeds.length) throw new Error(`score: ${nVideo} video pads but ${videoEmbeds.length / H} video rows`);

  // masked_scatter: the k-th image pad (in sequence order) takes image row k; same for videos.
  // DeepStack rows follow the joint visual mask: position order, images and videos interleaved.
  const nDeep = cfg.vision.deepstackVisualIndexes.length;
  const anyVisual = nImage + nVideo > 0;
  const deepstack = anyVisual ? Array.from({ length: nDeep }, () => new Float32Array((nImage + nVideo) * H)) : [];
  const imageDeep = Array.from({ length: nDeep }, (_, j) => concatRows(imageRuns.map((r) => r.deepstack[j])));
  const videoDeep = Array.from({ length: nDeep }, (_, j) => concatRows(videoRuns.map((r) => r.deepstack[j])));
  let ki = 0;
  let kv = 0;
  let kvis = 0;
  for (let s = 0; s < S; s++) {
    if (!isImage[s] && !isVideo[s]) continue;
    const [src, k, deep] = isImage[s] ? [imageEmbeds, ki++, imageDeep] : [videoEmbeds, kv++, videoDeep];
    embeds.set(src.subarray(k * H, (k + 1) * H), s * H);
    for (let j = 0; j < nDeep; j++) deepstack[j].set(deep[j].subarray(k * H, (k + 1) * H), kvis * H);
    kvis++;
  }
  const visualMask = anyVisual ? isImage.map((m, s) => m || isVideo[s]) : null;

  const positions = referenceRopeIndex(
    inputIds,
    images.map((im) => im.grid),
    videos.map((vd) => vd.grid),
    cfg,
  );
  return { embeds, visualMask, deepstack, positions };
}

export function referenceScore(w: Weights, cfg: ModelConfig, input: ScoreInput): ScoreResult {
  const H = cfg.text.hiddenSize;
  const S = input.inputIds.length;
  const { embeds, visualMask, deepstack, positions } = assembleInputs(w, cfg, input);
  const { layerOutputs, lastHidden } = referenceText(w, cfg, embeds, positions, visualMask, deepstack);

  // logit_yes − logit_no = h · (W[yes] − W[no]); sigmoid of it is the two-way softmax.
  const W = outputEmbeddings(w, cfg);
  const { yesId, noId } = input;
  let logit = 0;
  const last = (S - 1) * H;
  for (let c = 0; c < H; c++) logit += lastHidden[last + c] * (W[yesId * H + c] - W[noId * H + c]);
  return { logit, score: sigmoid(logit), layerOutputs, lastHidden };
}
