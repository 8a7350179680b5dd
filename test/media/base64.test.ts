// Strict base64 / data URLs. Expected bytes are the RFC 4648 §10 test vectors; the accepted data-URL
// shape follows fetch_image (vision_process.py l.110–115: "data:image" + "base64," + b64decode).
import { describe, expect, it } from 'vitest';
import { decodeBase64, parseDataUrl } from '../../src/media/base64.ts';
import { MediaError } from '../../src/media/errors.ts';

const text = (b: Uint8Array) => new TextDecoder().decode(b);

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(MediaError);
    return (e as MediaError).code;
  }
  return 'no error';
}

describe('decodeBase64', () => {
  it('decodes the RFC 4648 test vectors', () => {
    const vectors: [string, string][] = [
      ['', ''],
      ['Zg==', 'f'],
      ['Zm8=', 'fo'],
      ['Zm9v', 'foo'],
      ['Zm9vYg==', 'foob'],
      ['Zm9vYmE=', 'fooba'],
      ['Zm9vYmFy', 'foobar'],
    ];
    for (const [enc, dec] of vectors) expect(text(decodeBase64(enc))).toBe(dec);
  });

  it('accepts missing padding and line breaks', () => {
    expect(text(decodeBase64('Zm9vYg'))).toBe('foob');
    expect(text(decodeBase64('Zm9v\r\nYmFy\n'))).toBe('foobar');
  });

  it('decodes every byte value (+ and / included)', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(decodeBase64(Buffer.from(all).toString('base64'))).toEqual(all);
  });

  it('refuses characters outside the alphabet, naming them', () => {
    expect(codeOf(() => decodeBase64('Zm9v*mFy'))).toBe('bad-base64');
    expect(() => decodeBase64('Zm9v*mFy')).toThrow(/character "\*" at position 4/);
    // URL-safe base64 is a different alphabet.
    expect(codeOf(() => decodeBase64('-_-_'))).toBe('bad-base64');
    expect(codeOf(() => decodeBase64('Zm9vé'))).toBe('bad-base64');
  });

  it('refuses impossible lengths and misplaced padding', () => {
    expect(() => decodeBase64('Zm9vY')).toThrow(/5 data characters/);
    expect(codeOf(() => decodeBase64('Zg=a'))).toBe('bad-base64');
    expect(codeOf(() => decodeBase64('Zg==='))).toBe('bad-base64');
    expect(codeOf(() => decodeBase64('Zm8=='))).toBe('bad-base64');
  });
});

describe('parseDataUrl', () => {
  it('returns the mime type and the bytes', () => {
    const { mime, bytes } = parseDataUrl('data:image/PNG;base64,Zm9vYmFy');
    expect(mime).toBe('image/png');
    expect(text(bytes)).toBe('foobar');
    expect(parseDataUrl('data:image/jpeg;name=x.jpg;base64,Zg==').mime).toBe('image/jpeg');
    // RFC 2397: no type means text/plain.
    expect(parseDataUrl('data:;base64,Zg==').mime).toBe('text/plain');
  });

  it('refuses data URLs that are not base64 (the reference cannot use them either)', () => {
    expect(codeOf(() => parseDataUrl('data:image/svg+xml,<svg></svg>'))).toBe('bad-base64');
    expect(() => parseDataUrl('data:image/svg+xml,<svg></svg>')).toThrow(/not base64-encoded/);
    expect(codeOf(() => parseDataUrl('data:image/png;base64'))).toBe('bad-base64');
    expect(codeOf(() => parseDataUrl('http://example.com/a.png'))).toBe('bad-base64');
  });

  it('reports bad payloads as data URL errors', () => {
    expect(() => parseDataUrl('data:image/png;base64,iVBOR%0A')).toThrow(/^data URL: invalid base64/);
  });
});
