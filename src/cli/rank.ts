// `sift rank --model <converted-dir> <request.json> [--no-prefix-reuse] [--max-length N]
//   [--fetch-timeout S] [--stall-timeout S] [--max-image-pixels N] [--max-request-mb N] [--max-text-chars N]`
// Prints {"scores": [...], "errors": [...], "warnings": [...]}; a document that fails gets null and an
// error entry (exit code 0); an invalid request exits non-zero with {"error": "…"}.
import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { RerankSession } from '../engine/rerank.ts';
import { PromptError, RequestError, validateRequest, type RerankRequest } from '../prompt/index.ts';
import { nodeMediaDecoder } from '../media/nodeDecoder.ts';
import { maxImagePixelsOption, numberOption, parseArgs, printJson, secondsOption, UsageError, type ParsedArgs } from './args.ts';
import { BACKEND_OPTIONS, backendChoice, type BackendChoice } from './backend.ts';
import { loadModelDir } from './nodeModel.ts';

/** Largest request file `sift rank` / `sift prompt` read by default (--max-request-mb), checked before reading. */
export const DEFAULT_MAX_REQUEST_MB = 64;

export async function readRequestFile(path: string, maxMB = DEFAULT_MAX_REQUEST_MB): Promise<unknown> {
  const size = (await stat(path).catch(() => undefined))?.size;
  if (size !== undefined && size > maxMB * 1024 * 1024) {
    const mb = (size / 1024 / 1024).toFixed(1);
    throw new RequestError(
      `the request file ${path} is ${mb} MB, above the ${maxMB} MB limit (--max-request-mb). Split its documents over several requests, ` +
        `refer to images and videos by path or URL instead of data URLs, or raise --max-request-mb.`,
    );
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new RequestError(`cannot read the request file ${path}: ${(e as Error).message}`);
  }
  // Editors on Windows often save UTF-8 with a byte-order mark: JSON.parse would refuse it, invisibly.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new RequestError(`${path} is not valid JSON: ${readableJsonError((err as Error).message, text)}`);
  }
}

/** JSON.parse's message with invisible characters spelled out and the line and column of a position. */
function readableJsonError(message: string, text: string): string {
  // Control characters are exactly what must be made visible.
  // eslint-disable-next-line no-control-regex
  const invisible = /[\u0000-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u2028\u2029\u2060\ufeff]/g;
  const visible = message.replace(invisible, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const at = /at position (\d+)/.exec(message);
  if (!at || /line \d/.test(message)) return visible;
  const before = text.slice(0, Number(at[1]));
  const line = before.split('\n').length;
  return `${visible} (line ${line}, column ${before.length - before.lastIndexOf('\n')})`;
}

/** The validated request in `path`; on a bad file or request, prints {"error"} and returns null (exit 1). */
export async function readValidRequest(path: string, maxMB?: number): Promise<RerankRequest | null> {
  try {
    return validateRequest(await readRequestFile(path, maxMB));
  } catch (err) {
    printJson({ error: (err as Error).message });
    return null;
  }
}

function positiveOption(args: ParsedArgs, key: string): number | undefined {
  const n = numberOption(args, key);
  if (n !== undefined && !(n > 0)) throw new UsageError(`--${key} must be a positive number, got ${n}`);
  return n;
}

const RANK_OPTIONS = {
  model: 'string',
  'no-prefix-reuse': 'boolean',
  'max-length': 'string',
  'fetch-timeout': 'string',
  'stall-timeout': 'string',
  'max-image-pixels': 'string',
  'max-request-mb': 'string',
  'max-text-chars': 'string',
  ...BACKEND_OPTIONS,
} as const;

export async function runRankCommand(argv: string[]): Promise<number> {
  let args: ParsedArgs;
  try {
    args = parseArgs(argv, RANK_OPTIONS);
  } catch (err) {
    printJson({ error: (err as Error).message });
    return 2;
  }
  const modelDir = args.options.get('model');
  const [requestPath] = args.positional;
  if (typeof modelDir !== 'string' || !requestPath) {
    printJson({ error: 'usage: sift rank --model <converted-dir> <request.json>' });
    return 2;
  }
  let timeouts: { fetchTimeoutMs?: number; stallTimeoutMs?: number };
  let maxDecodePixels: number | undefined;
  let limits: { maxRequestMB?: number; maxTextChars?: number };
  let backend: BackendChoice;
  try {
    backend = backendChoice(args);
    timeouts = { fetchTimeoutMs: secondsOption(args, 'fetch-timeout'), stallTimeoutMs: secondsOption(args, 'stall-timeout') };
    maxDecodePixels = maxImagePixelsOption(args);
    limits = { maxRequestMB: positiveOption(args, 'max-request-mb'), maxTextChars: positiveOption(args, 'max-text-chars') };
  } catch (err) {
    printJson({ error: (err as Error).message });
    return 2;
  }
  const request = await readValidRequest(requestPath, limits.maxRequestMB);
  if (!request) return 1;
  const { model, tokenizer } = await loadModelDir(modelDir, backend);
  const session = new RerankSession(model, tokenizer, nodeMediaDecoder(dirname(resolve(requestPath)), { ...timeouts, maxDecodePixels }));
  let result;
  try {
    result = await session.run(request, {
      reusePrefix: !args.options.has('no-prefix-reuse'),
      maxLength: numberOption(args, 'max-length'),
      maxTextChars: limits.maxTextChars,
    });
  } catch (err) {
    // The request cannot be scored as given (a query that does not fit, an over-long query text).
    if (!(err instanceof PromptError)) throw err;
    printJson({ error: err.message, code: err.code });
    await model.release();
    return 1;
  }
  printJson(result.warnings.length ? result : { scores: result.scores, errors: result.errors });
  await model.release();
  return 0;
}
