// Strict base64 and `data:` URLs on the platform's decoder (atob, in browsers and Node). Python's
// base64.b64decode (what qwen-vl-utils uses) silently drops characters outside the alphabet; Sift
// refuses them, so a mangled upload fails with a message naming the problem rather than decoding to
// garbage that then fails later as "not an image".
import { MediaError } from './errors.ts';

const bad = (detail: string) => new MediaError('bad-base64', `invalid base64: ${detail}`);

/**
 * Decodes standard base64 (RFC 4648 §4). ASCII whitespace is ignored (line-wrapped base64 is common);
 * padding may be present or left out; any other character, misplaced '=', or an impossible length
 * throws MediaError('bad-base64') saying which.
 */
export function decodeBase64(s: string): Uint8Array {
  const stray = /[^A-Za-z0-9+/=\t\n\f\r ]/.exec(s);
  if (stray) throw bad(`character ${JSON.stringify(stray[0])} at position ${stray.index} is not in the base64 alphabet`);
  const after = /=[=\s]*[^=\s]/.exec(s);
  if (after) throw bad(`data after '=' padding at position ${after.index + after[0].length - 1}`);
  const data = s.replace(/\s+/g, '');
  const body = data.replace(/=+$/, '');
  const pad = data.length - body.length;
  if (body.length % 4 === 1) throw bad(`${body.length} data characters cannot encode whole bytes`);
  if (pad > 2 || (pad > 0 && data.length % 4 !== 0)) throw bad(`wrong '=' padding (${pad} after ${body.length} characters)`);
  const binary = atob(body);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
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
  const params = url
    .slice(5, comma)
    .split(';')
    .map((p) => p.trim());
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
