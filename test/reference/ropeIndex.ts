// M-RoPE position ids, following Qwen3VLModel.get_rope_index for one unpadded sequence.

import type { ModelConfig } from '../../src/model/config.ts';

type Grid = [number, number, number];

/**
 * Returns [t, h, w] position ids, one Int32Array of length inputIds.length each.
 *
 * Mirrors the HF loop: videos are first split into one grid per temporal group (t = 1 each,
 * since Qwen3-VL marks time with timestamp text instead); each vision span is located by
 * searching for the next image / video pad from the current cursor; the text before it counts
 * on from (max of the previous span) + 1 on all three axes; the span itself gets
 * (0, row, col) + text_len + st_idx; trailing text continues from the last max + 1.
 */
export function referenceRopeIndex(
  inputIds: number[],
  imageGrids: Grid[],
  videoGrids: Grid[],
  cfg: ModelConfig,
): [Int32Array, Int32Array, Int32Array] {
  const S = inputIds.length;
  const out: [Int32Array, Int32Array, Int32Array] = [new Int32Array(S), new Int32Array(S), new Int32Array(S)];

  // HF takes the 1-D arange branch when no grids are passed at all.
  if (imageGrids.length === 0 && videoGrids.length === 0) {
    for (let a = 0; a < 3; a++) for (let s = 0; s < S; s++) out[a][s] = s;
    return out;
  }

  const videoGroups: Grid[] = [];
  for (const [t, h, w] of videoGrids) for (let i = 0; i < t; i++) videoGroups.push([1, h, w]);

  const merge = cfg.vision.spatialMergeSize;
  const imageId = cfg.imageTokenId;
  const videoId = cfg.videoTokenId;

  // Count spans by the token right after each <|vision_start|>, as HF does.
  let imageNums = 0;
  let videoNums = 0;
  for (let i = 0; i < S; i++) {
    if (inputIds[i] !== cfg.visionStartTokenId) continue;
    if (i + 1 >= S) throw new Error('rope index: <|vision_start|> is the last token');
    if (inputIds[i + 1] === imageId) imageNums++;
    else if (inputIds[i + 1] === videoId) videoNums++;
  }

  // HF appends chunks to llm_pos_ids_list and reads llm_pos_ids_list[-1].max(); the last chunk
  // is always a vision span when that is read, so `lastMax` tracks the latest span's max.
  let cursor = 0; // write position in out
  let lastMax = -1;
  let haveChunk = false; // len(llm_pos_ids_list) > 0
  const pushText = (len: number, base: number) => {
    for (let i = 0; i < len; i++) {
      for (let a = 0; a < 3; a++) out[a][cursor] = base + i;
      cursor++;
    }
  };

  let st = 0;
  let imageIndex = 0;
  let videoIndex = 0;
  let remainImages = imageNums;
  let remainVideos = videoNums;
  for (let n = 0; n < imageNums + videoNums; n++) {
    const edImage = remainImages > 0 ? indexFrom(inputIds, imageId, st) : S + 1;
    const edVideo = remainVideos > 0 ? indexFrom(inputIds, videoId, st) : S + 1;
    let grid: Grid | undefined;
    let ed: number;
    if (edImage < edVideo) {
      grid = imageGrids[imageIndex++];
      remainImages--;
      ed = edImage;
    } else {
      grid = videoGroups[videoIndex++];
      remainVideos--;
      ed = edVideo;
    }
    if (!grid) throw new Error('rope index: more vision spans in the ids than grids given');
    const gt = grid[0];
    const gh = Math.floor(grid[1] / merge);
    const gw = Math.floor(grid[2] / merge);
    const textLen = ed - st;
    const stIdx = haveChunk ? lastMax + 1 : 0;
    pushText(textLen, stIdx);

    const base = textLen + stIdx;
    let spanMax = -1;
    for (let ti = 0; ti < gt; ti++) {
      for (let hi = 0; hi < gh; hi++) {
        for (let wi = 0; wi < gw; wi++) {
          if (cursor >= S) throw new Error('rope index: a vision span runs past the end of the ids');
          out[0][cursor] = base + ti;
          out[1][cursor] = base + hi;
          out[2][cursor] = base + wi;
          spanMax = Math.max(spanMax, base + ti, base + hi, base + wi);
          cursor++;
        }
      }
    }
    lastMax = spanMax;
    haveChunk = true;
    st = ed + gt * gh * gw;
  }

  if (st < S) {
    const stIdx = haveChunk ? lastMax + 1 : 0;
    pushText(S - st, stIdx);
  }
  if (cursor !== S) throw new Error(`rope index: produced ${cursor} positions for ${S} ids`);
  return out;
}

/** Python's list.index(value, start): first index ≥ start, or an error (HF would raise ValueError). */
function indexFrom(ids: number[], value: number, start: number): number {
  const i = ids.indexOf(value, start);
  if (i < 0) throw new Error(`rope index: token ${value} not found after position ${start}`);
  return i;
}
