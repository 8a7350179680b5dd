// `sift rank --model <converted-dir> <request.json> [--no-prefix-reuse] [--max-length N]
//   [--fetch-timeout S] [--stall-timeout S] [--max-image-pixels N]`
// Prints {"scores": [...], "errors": [...], "warnings": [...]}; a document that fails gets null and an
// error entry (exit code 0); an invalid request exits non-zero with {"error": "…"}.
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { RerankSession } from '../engine/rerank.ts';
import { RequestError, validateRequest, type RerankRequest } from '../prompt/index.ts';
import { nodeMediaDecoder } from '../media/nodeDecoder.ts';
import { maxImagePixelsOption, numberOption, parseArgs, printJson, secondsOption } from './args.ts';
import { loadModelDir } from './nodeModel.ts';

export async function readRequestFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new RequestError(`cannot read the request file ${path}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new RequestError(`${path} is not valid JSON: ${(err as Error).message}`);
  }
}

/** The validated request in `path`; on a bad file or request, prints {"error"} and returns null (exit 1). */
export async function readValidRequest(path: string): Promise<RerankRequest | null> {
  try {
    return validateRequest(await readRequestFile(path));
  } catch (err) {
    printJson({ error: (err as Error).message });
    return null;
  }
}

export async function runRankCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, ['no-prefix-reuse']);
  const modelDir = args.options.get('model');
  const [requestPath] = args.positional;
  if (typeof modelDir !== 'string' || !requestPath) {
    printJson({ error: 'usage: sift rank --model <converted-dir> <request.json>' });
    return 2;
  }
  let timeouts: { fetchTimeoutMs?: number; stallTimeoutMs?: number };
  let maxDecodePixels: number | undefined;
  try {
    timeouts = { fetchTimeoutMs: secondsOption(args, 'fetch-timeout'), stallTimeoutMs: secondsOption(args, 'stall-timeout') };
    maxDecodePixels = maxImagePixelsOption(args);
  } catch (err) {
    printJson({ error: (err as Error).message });
    return 2;
  }
  const request = await readValidRequest(requestPath);
  if (!request) return 1;
  const { model, tokenizer } = await loadModelDir(modelDir);
  const session = new RerankSession(model, tokenizer, nodeMediaDecoder(dirname(resolve(requestPath)), { ...timeouts, maxDecodePixels }));
  const result = await session.run(request, {
    reusePrefix: !args.options.has('no-prefix-reuse'),
    maxLength: numberOption(args, 'max-length'),
  });
  printJson(result.warnings.length ? result : { scores: result.scores, errors: result.errors });
  await model.release();
  return 0;
}
