// get_rope_index on small cases worked out by hand from the HF loop.
import { describe, expect, it } from 'vitest';
import { referenceRopeIndex } from './ropeIndex.ts';
import { IDS, tinyConfig } from './testModel.ts';

const cfg = tinyConfig();
const VS = IDS.visionStart;
const VE = IDS.visionEnd;
const I = IDS.image;
const V = IDS.video;
const txt = 5; // any ordinary token

const asArrays = (p: Int32Array[]) => p.map((a) => Array.from(a));

describe('referenceRopeIndex', () => {
  it('text only: 0..S−1 on all three axes', () => {
    const p = referenceRopeIndex([txt, txt, txt, txt], [], [], cfg);
    expect(asArrays(p)).toEqual([
      [0, 1, 2, 3],
      [0, 1, 2, 3],
      [0, 1, 2, 3],
    ]);
  });

  it('one image grid [1, 4, 6] between text', () => {
    // ids: a b VS [6 pads: llm grid 2×3] VE c d.
    // "a b VS" → 0 1 2; pads → 3 + (0, row, col); rest continues from max(3..5) + 1 = 6.
    const ids = [txt, txt, VS, I, I, I, I, I, I, VE, txt, txt];
    const p = referenceRopeIndex(ids, [[1, 4, 6]], [], cfg);
    expect(asArrays(p)).toEqual([
      [0, 1, 2, 3, 3, 3, 3, 3, 3, 6, 7, 8],
      [0, 1, 2, 3, 3, 3, 4, 4, 4, 6, 7, 8],
      [0, 1, 2, 3, 4, 5, 3, 4, 5, 6, 7, 8],
    ]);
  });

  it('video grid [2, 4, 4] becomes two groups with their own timestamps text', () => {
    // x <t1> VS [4 pads 2×2] VE <t2> VS [4 pads] VE y
    // group 1: text 0 1 2, pads 3 + (0,r,c) → max 4; text VE <t2> VS → 5 6 7; pads 8 + (0,r,c) → max 9; VE y → 10 11.
    const ids = [txt, txt, VS, V, V, V, V, VE, txt, VS, V, V, V, V, VE, txt];
    const p = referenceRopeIndex(ids, [], [[2, 4, 4]], cfg);
    expect(asArrays(p)).toEqual([
      [0, 1, 2, 3, 3, 3, 3, 5, 6, 7, 8, 8, 8, 8, 10, 11],
      [0, 1, 2, 3, 3, 4, 4, 5, 6, 7, 8, 8, 9, 9, 10, 11],
      [0, 1, 2, 3, 4, 3, 4, 5, 6, 7, 8, 9, 8, 9, 10, 11],
    ]);
  });

  it('two images [1, 2, 4] and [1, 4, 2] back to back', () => {
    // VS [pads 1×2] VE VS [pads 2×1] VE z
    // VS → 0; pads 1 + (0,0,c) → (1,1,1),(1,1,2), max 2; VE VS → 3 4; pads 5 + (0,r,0) → (5,5,5),(5,6,5); VE z → 7 8.
    const ids = [VS, I, I, VE, VS, I, I, VE, txt];
    const p = referenceRopeIndex(
      ids,
      [
        [1, 2, 4],
        [1, 4, 2],
      ],
      [],
      cfg,
    );
    expect(asArrays(p)).toEqual([
      [0, 1, 1, 3, 4, 5, 5, 7, 8],
      [0, 1, 1, 3, 4, 5, 6, 7, 8],
      [0, 1, 2, 3, 4, 5, 5, 7, 8],
    ]);
  });

  it('a video before an image takes the video grid first', () => {
    // VS [video 1 group, pads 1×2] VE VS [image pads 2×1] VE
    // VS → 0; video pads 1 + (0,0,c) → w 1,2; VE VS → 3 4; image pads 5 + (0,r,0); VE → 7.
    const ids = [VS, V, V, VE, VS, I, I, VE];
    const p = referenceRopeIndex(ids, [[1, 4, 2]], [[1, 2, 4]], cfg);
    expect(asArrays(p)).toEqual([
      [0, 1, 1, 3, 4, 5, 5, 7],
      [0, 1, 1, 3, 4, 5, 6, 7],
      [0, 1, 2, 3, 4, 5, 5, 7],
    ]);
  });

  it('vision at the very end leaves no trailing text', () => {
    const ids = [txt, VS, I, I, I, I];
    const p = referenceRopeIndex(ids, [[1, 4, 4]], [], cfg);
    expect(asArrays(p)).toEqual([
      [0, 1, 2, 2, 2, 2],
      [0, 1, 2, 2, 3, 3],
      [0, 1, 2, 3, 2, 3],
    ]);
  });

  it('pads without a grid are an error', () => {
    expect(() => referenceRopeIndex([VS, I, VE], [], [[1, 2, 2]], cfg)).toThrow();
  });
});
