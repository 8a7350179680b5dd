// `sift embed --model <embedding-model-dir> <request.json> [--max-length N] [--fetch-timeout S]
//   [--stall-timeout S] [--max-image-pixels N] [--max-request-mb N] [--max-text-chars N]`
// The request is {"instruction"?, "inputs": [{text?, image?, video?}, …], "dims"?, "fps"?, "max_frames"?};
// prints {"embeddings": [[…] | null, …], "errors": [{index, code, message}]} (unit vectors, input
// order); a bad input gets null and an error (exit 0), a bad request exits non-zero with {"error"}.
import { dirname, resolve } from 'node:path';
import { EmbedSession, type EmbedRequest } from '../engine/embed.ts';
import { nodeMediaDecoder } from '../media/nodeDecoder.ts';
import { RequestError } from '../prompt/index.ts';
import { maxImagePixelsOption, numberOption, parseArgs, printJson, secondsOption, type ParsedArgs } from './args.ts';
import { BACKEND_OPTIONS, backendChoice, type BackendChoice } from './backend.ts';
import { loadModelDir } from './nodeModel.ts';
import { readRequestFile } from './rank.ts';

const EMBED_OPTIONS = {
  model: 'string',
  'max-length': 'string',
  'fetch-timeout': 'string',
  'stall-timeout': 'string',
  'max-image-pixels': 'string',
  'max-request-mb': 'string',
  'max-text-chars': 'string',
  ...BACKEND_OPTIONS,
} as const;

const USAGE = 'usage: sift embed --model <embedding-model-dir> <request.json>';

/** The request's shape, checked before any model is loaded. */
export function validateEmbedRequest(json: unknown): EmbedRequest {
  const r = json as Partial<EmbedRequest> | null;
  if (!r || typeof r !== 'object' || Array.isArray(r)) throw new RequestError('the request must be a JSON object with "inputs"');
  if (!Array.isArray(r.inputs)) throw new RequestError('"inputs" must be a list of {text?, image?, video?} objects');
  if (r.instruction !== undefined && r.instruction !== null && typeof r.instruction !== 'string')
    throw new RequestError('"instruction" must be a string');
  if (r.dims !== undefined && r.dims !== null && !Number.isInteger(r.dims)) throw new RequestError('"dims" must be a whole number');
  return r as EmbedRequest;
}

export async function runEmbedCommand(argv: string[]): Promise<number> {
  let args: ParsedArgs;
  let decoderOptions: { fetchTimeoutMs?: number; stallTimeoutMs?: number; maxDecodePixels?: number };
  let backend: BackendChoice;
  try {
    args = parseArgs(argv, EMBED_OPTIONS);
    backend = backendChoice(args);
    decoderOptions = {
      fetchTimeoutMs: secondsOption(args, 'fetch-timeout'),
      stallTimeoutMs: secondsOption(args, 'stall-timeout'),
      maxDecodePixels: maxImagePixelsOption(args),
    };
  } catch (err) {
    printJson({ error: (err as Error).message });
    return 2;
  }
  const modelDir = args.options.get('model');
  const [requestPath] = args.positional;
  if (typeof modelDir !== 'string' || !requestPath) {
    printJson({ error: USAGE });
    return 2;
  }
  let request: EmbedRequest;
  try {
    request = validateEmbedRequest(await readRequestFile(requestPath, numberOption(args, 'max-request-mb')));
  } catch (err) {
    printJson({ error: (err as Error).message });
    return 1;
  }
  const { model, tokenizer } = await loadModelDir(modelDir, backend);
  try {
    const session = new EmbedSession(model, tokenizer, nodeMediaDecoder(dirname(resolve(requestPath)), decoderOptions));
    const result = await session.run(request, {
      maxLength: numberOption(args, 'max-length'),
      maxTextChars: numberOption(args, 'max-text-chars'),
    });
    const embeddings = result.embeddings.map((e) => (e ? Array.from(e) : null));
    printJson(
      result.warnings.length ? { embeddings, errors: result.errors, warnings: result.warnings } : { embeddings, errors: result.errors },
    );
    return 0;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== 'bad-request') throw err;
    printJson({ error: (err as Error).message, code });
    return 1;
  } finally {
    await model.release();
  }
}
