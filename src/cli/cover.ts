// `sift cover --model <dir> --title "…" <video> [--fps 1] [--top 5] [--out cover.jpg] [--instruction "…"]`:
// ranks the video's frames sampled at --fps as image documents against the title and prints
// {"frames": [{"time", "score"}…] (every sampled frame, time order), "top": [indices, best first],
// "best": time}; with --out, writes the best frame there at the video's display size.
import { resolve } from 'node:path';
import { coverFramesOf } from '../engine/covers.ts';
import { MediaError } from '../media/errors.ts';
import { nodeVideoDecoder } from '../media/nodeVideoReader.ts';
import { PromptError, RequestError } from '../prompt/index.ts';
import { numberOption, parseArgs, printJson, secondsOption, UsageError, type ParsedArgs } from './args.ts';
import { BACKEND_OPTIONS, backendChoice, type BackendChoice } from './backend.ts';
import { loadModelDir } from './nodeModel.ts';

const OPTIONS = {
  model: 'string',
  title: 'string',
  fps: 'string',
  top: 'string',
  out: 'string',
  instruction: 'string',
  'fetch-timeout': 'string',
  'stall-timeout': 'string',
  ...BACKEND_OPTIONS,
} as const;

export async function runCoverCommand(argv: string[]): Promise<number> {
  let args: ParsedArgs;
  let settings: { fps?: number; top?: number; fetchTimeoutMs?: number; stallTimeoutMs?: number };
  let backend: BackendChoice;
  try {
    args = parseArgs(argv, OPTIONS);
    backend = backendChoice(args);
    settings = {
      fps: numberOption(args, 'fps'),
      top: numberOption(args, 'top'),
      fetchTimeoutMs: secondsOption(args, 'fetch-timeout'),
      stallTimeoutMs: secondsOption(args, 'stall-timeout'),
    };
    if (settings.top !== undefined && !(Number.isInteger(settings.top) && settings.top >= 1)) {
      throw new UsageError(`--top must be a whole number ≥ 1, got ${settings.top}`);
    }
  } catch (err) {
    printJson({ error: (err as Error).message });
    return 2;
  }
  const modelDir = args.options.get('model');
  const title = args.options.get('title');
  const out = args.options.get('out');
  const instruction = args.options.get('instruction');
  const [video] = args.positional;
  if (typeof modelDir !== 'string' || typeof title !== 'string' || !video) {
    printJson({ error: 'usage: sift cover --model <reranker-dir> --title "…" <video> [--fps 1] [--top 5] [--out cover.jpg]' });
    return 2;
  }
  const { model, tokenizer } = await loadModelDir(modelDir, backend);
  const media = nodeVideoDecoder(process.cwd(), settings);
  try {
    const r = await media.withVideo({ type: 'video', video }, async (reader) => {
      const result = await coverFramesOf({ model, tokenizer, media }, reader, title, {
        fps: settings.fps,
        top: settings.top,
        instruction: typeof instruction === 'string' ? instruction : undefined,
      });
      if (typeof out === 'string' && result.bestFrame !== null) await reader.saveFrame(result.bestFrame, resolve(out));
      return result;
    });
    printJson({ frames: r.frames, top: r.top, best: r.best, ...(typeof out === 'string' && r.best !== null ? { out } : {}) });
    return r.best === null && r.frames.length > 0 ? 1 : 0;
  } catch (err) {
    if (!(err instanceof MediaError || err instanceof PromptError || err instanceof RequestError)) throw err;
    printJson({ error: err.message, code: (err as { code?: string }).code });
    return 1;
  } finally {
    await model.release();
  }
}
