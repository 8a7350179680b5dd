// Strict base64 and `data:` URLs, without atob/Buffer so the same code runs in the browser and Node.
// Python's base64.b64decode (what qwen-vl-utils uses) silently drops characters outside the alphabet;
// Sift refuses them instead, so a mangled upload fails with a clear message rather than decoding to
// garbage that then fails later as "not an image".
import { MediaError } from './errors.ts';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const VALUE = (() => {
  const t = new Int8Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) t[ALPHABET.charCodeAt(i)] = i;
  return t;
})();

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0c;
}

/**
 * Decodes standard base64 (RFC 4648 §4). ASCII whitespace is ignored (line-wrapped base64 is common);
 * padding may be present or left out; any other character, misplaced '=', or an impossible length
 * throws MediaError('bad-base64').
 */
export function decodeBase64(s: string): Uint8Array {
  const chars: number[] = [];
  let pad = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (isSpace(c)) continue;
    if (c === 0x3d /* = */) {
      pad++;
      continue;
    }
    const v = c < 128 ? VALUE[c] : -1;
    if (v < 0) {
      const shown = JSON.stringify(s[i]);
      throw new MediaError('bad-base64', `invalid base64: character ${shown} at position ${i} is not in the base64 alphabet`);
    }
    if (pad > 0) throw new MediaError('bad-base64', `invalid base64: data after '=' padding at position ${i}`);
    chars.push(v);
  }
  const n = chars.length;
  if (n % 4 === 1) throw new MediaError('bad-base64', `invalid base64: ${n} data characters cannot encode whole bytes`);
  if (pad > 2 || (pad > 0 && (n + pad) % 4 !== 0)) {
    throw new MediaError('bad-base64', `invalid base64: wrong '=' padding (${pad} after ${n} characters)`);
  }
  const out = new Uint8Array(Math.floor((n * 3) / 4));
  let o = 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = (chars[i] << 18) | (chars[i + 1] << 12) | (chars[i + 2] << 6) | chars[i + 3];
    out[o++] = v >> 16;
    out[o++] = (v >> 8) & 0xff;
    out[o++] = v & 0xff;
  }
  const rest = n - i;
  if (rest === 2) {
    out[o++] = (chars[i] << 2) | (chars[i + 1] >> 4);
  } else if (rest === 3) {
    const v = (chars[i] << 10) | (chars[i + 1] << 4) | (chars[i + 2] >> 2);
    out[o++] = v >> 8;
    out[o++] = v & 0xff;
  }
  return out;
}

/**
 * Parses `data:[<mime>][;param…];base64,<data>` (RFC 2397). Only base64 payloads are accepted: the
 * reference (`fetch_image`) only decodes data URLs containing "base64,", and a percent-encoded image is
 * almost always a mistake. The mime type is lower-cased; it defaults to text/plain as in RFC 2397.
 */
export function parseDataUrl(url: string): { mime: string; bytes: Uint8Array } {
  if (!/^data:/i.test(url)) throw new MediaError('bad-base64', 'not a data URL: it must start with "data:"');
  const comma = url.indexOf(',');
  if (comma < 0) throw new MediaError('bad-base64', 'malformed data URL: no "," before the data');
  const params = url.slice(5, comma).split(';').map((p) => p.trim());
  if (params[params.length - 1].toLowerCase() !== 'base64') {
    throw new MediaError('bad-base64', 'the data URL is not base64-encoded (expected "data:<type>;base64,<data>")');
  }
  const mime = (params[0] || 'text/plain').toLowerCase();
  let bytes: Uint8Array;
  try {
    bytes = decodeBase64(url.slice(comma + 1));
  } catch (e) {
    throw new MediaError('bad-base64', `data URL: ${(e as Error).message}`);
  }
  return { mime, bytes };
}
