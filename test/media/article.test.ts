// Built messages read "an 800×600 image" and "an arithmetic-coded JPEG", not "a 800×600" / "a arithmetic".
import { describe, expect, it } from 'vitest';
import { withArticle } from '../../src/media/article.ts';

describe('withArticle', () => {
  it.each([
    ['arithmetic-coded JPEG', 'an arithmetic-coded JPEG'],
    ['lossless JPEG', 'a lossless JPEG'],
    ['hierarchical JPEG', 'a hierarchical JPEG'],
    ['8-bit JPEG', 'an 8-bit JPEG'],
    ['12-bit JPEG', 'a 12-bit JPEG'],
    ['800×600 image', 'an 800×600 image'],
    ['96×64 image', 'a 96×64 image'],
    ['11×11 image', 'an 11×11 image'],
    ['18-byte file', 'an 18-byte file'],
    ['180-byte file', 'a 180-byte file'],
    ['11000-byte file', 'an 11000-byte file'],
    ['1100-byte file', 'a 1100-byte file'],
    ['MP4 file', 'an MP4 file'],
    ['PNG image', 'a PNG image'],
    ['SVG image', 'an SVG image'],
    ['HEVC video', 'an HEVC video'],
    ['JPEG', 'a JPEG'],
    ['image', 'an image'],
    ['unicode name', 'a unicode name'],
    ['uncompressed file', 'an uncompressed file'],
    ['WebP image', 'a WebP image'],
  ])('%s', (phrase, want) => expect(withArticle(phrase)).toBe(want));
});
