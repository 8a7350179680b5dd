// `sift moments --model <dir> <request.json> [--fetch-timeout S] [--stall-timeout S]`: which seconds of a
// long video match a query. The request: {"instruction"?, "query": {text?, image?, video?}, "video":
// "<path or URL>", "window"?, "stride"?, "fps"?, "max_frames"?}; prints {"duration", "windows": [{"start",
// "end", "score"} | {"start", "end", "score": null, "error", "code"}], "top": [indices, best first]}.
// Each window scores as `sift rank` of that clip as a video document (src/engine/moments.ts).
import { dirname, resolve } from 'node:path';
import { moments, windowSettings } from '../engine/moments.ts';
import { MediaError } from '../media/errors.ts';
import { nodeVideoDecoder } from '../media/nodeVideoReader.ts';
import { PromptError, RequestError, validateRequest, type RerankSide } from '../prompt/index.ts';
import { parseArgs, printJson, secondsOption, type ParsedArgs } from './args.ts';
import { BACKEND_OPTIONS, backendChoice, type BackendChoice } from './backend.ts';
import { loadModelDir } from './nodeModel.ts';
import { readRequestFile } from './rank.ts';

export interface MomentsRequest {
  instruction?: string;
  query: RerankSide;
  video: string;
  window?: number;
  stride?: number;
  fps?: number;
  max_frames?: number;
}

const FIELDS = ['instruction', 'query', 'video', 'window', 'stride', 'fps', 'max_frames'];

/** The request checked (the query, instruction, fps and max_frames as `sift rank` checks them). */
export function validateMomentsRequest(json: unknown): MomentsRequest {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new RequestError('the request must be a JSON object');
  const r = json as Record<string, unknown>;
  for (const key of Object.keys(r)) {
    if (!FIELDS.includes(key)) throw new RequestError(`unknown request field "${key}" (expected ${FIELDS.join(', ')})`);
  }
  if (typeof r.video !== 'string' || !r.video) throw new RequestError('"video" must be the path or URL of a video file');
  if (!r.query || typeof r.query !== 'object') throw new RequestError('"query" must be an object like {"text": "…"}');
  validateRequest({ instruction: r.instruction, query: r.query, documents: [], fps: r.fps, max_frames: r.max_frames });
  windowSettings({ window: r.window as number | undefined, stride: r.stride as number | undefined });
  return r as unknown as MomentsRequest;
}

export async function runMomentsCommand(argv: string[]): Promise<number> {
  let args: ParsedArgs;
  let timeouts: { fetchTimeoutMs?: number; stallTimeoutMs?: number };
  let backend: BackendChoice;
  try {
    args = parseArgs(argv, { model: 'string', 'fetch-timeout': 'string', 'stall-timeout': 'string', ...BACKEND_OPTIONS });
    backend = backendChoice(args);
    timeouts = { fetchTimeoutMs: secondsOption(args, 'fetch-timeout'), stallTimeoutMs: secondsOption(args, 'stall-timeout') };
  } catch (err) {
    printJson({ error: (err as Error).message });
    return 2;
  }
  const modelDir = args.options.get('model');
  const [requestPath] = args.positional;
  if (typeof modelDir !== 'string' || !requestPath) {
    printJson({ error: 'usage: sift moments --model <reranker-dir> <request.json>' });
    return 2;
  }
  let request: MomentsRequest;
  try {
    request = validateMomentsRequest(await readRequestFile(requestPath));
  } catch (err) {
    printJson({ error: (err as Error).message });
    return 1;
  }
  const { model, tokenizer } = await loadModelDir(modelDir, backend);
  const media = nodeVideoDecoder(dirname(resolve(requestPath)), timeouts);
  try {
    const r = await moments({ model, tokenizer, media }, request.query, request.video, {
      instruction: request.instruction,
      window: request.window,
      stride: request.stride,
      fps: request.fps,
      maxFrames: request.max_frames,
    });
    printJson(r);
    return 0;
  } catch (err) {
    // The video cannot be opened, or the query cannot be used: the request fails as a whole.
    if (!(err instanceof MediaError || err instanceof PromptError || err instanceof RequestError || (err as { code?: string }).code))
      throw err;
    printJson({ error: (err as Error).message, code: (err as { code?: string }).code });
    return 1;
  } finally {
    await model.release();
  }
}
