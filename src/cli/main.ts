// `sift` command dispatcher. Each command lives in its own module and is loaded on demand.
import { UsageError } from './args.ts';

const USAGE = `sift — multimodal search and reranking with Qwen3-VL-Embedding and Qwen3-VL-Reranker

  sift tiny <dir> [--kind reranker|embedding] [--seed N] [--layers N] [--vision-depth N] [--real-size]
      write a random-weight checkpoint with the official layout (for tests and trying the app)
  sift convert <checkpoint-dir-or-url> <out-dir> [--kind reranker|embedding] [--bits 4|8|32]
               [--embed-bits 4|8|32] [--linear nbits|int8] [--graph-format ort|onnx] [--shard-mb N] [--id ID]
      convert an official safetensors checkpoint into a Sift model directory (--linear int8: the WASM
      backend's format, int8 per output channel from the checkpoint's weights); the kind is detected
      (an embedding checkpoint has no lm_head or a model card naming it) unless --kind says
  sift embed --model <embedding-model-dir> <request.json> [--max-length N] [--fetch-timeout S] …
      embed inputs: {"instruction"?, "inputs": [{text?, image?, video?}], "dims"?} → prints
      {"embeddings": [[…] | null], "errors": [...]} (unit vectors; dims keeps the first D ≥ 64, renormalised)
  sift index <folder> --model <embedding-model-dir> --out <index-dir> [--instruction "…"] [--shard i/N]
             [--segment-seconds S] [--dims D] [--reindex]
      index a folder's images, videos (long ones as overlapping segments) and texts into a LanceDB table,
      incrementally: prints {"items", "added", "updated", "removed", "unchanged", "failed"}
  sift search <index-dir> --query "…" [--image q.jpg | --video q.mp4] [--instruction "…"] [--top 20]
              [--rerank <reranker-dir>] [--candidates K]
      search the index (exact cosine); with --rerank the reranker orders the top K (default 50)
  sift rank --model <converted-dir> <request.json> [--no-prefix-reuse] [--max-length N]
            [--fetch-timeout S] [--stall-timeout S] [--max-image-pixels N]
            [--max-request-mb N] [--max-text-chars N]
      score documents: prints {"scores": [...], "errors": [...]}; a media URL fails its document when
      its server sends no response within --fetch-timeout (default 30 s) or stops sending for
      --stall-timeout (default 15 s); an image above --max-image-pixels (default 89,478,485, PIL's
      decompression-bomb threshold) fails its document before it is decoded; a request file above
      --max-request-mb (default 64) is refused before it is read, a text above --max-text-chars
      (default 4,194,304) fails its document (or the request, for the instruction or query), and a
      query that --max-length (default 10,240 tokens) would cut fails the request (query-truncated)
  sift moments --model <reranker-dir> <request.json>
      which seconds of a long video match: {"instruction"?, "query": {text?, image?, video?}, "video": "…",
      "window"?: s (10), "stride"?: s (window / 2), "fps"?, "max_frames"?} → prints {"duration", "windows":
      [{"start", "end", "score"} | {…, "score": null, "error"}], "top": [indices, best first]}; each window
      scores as "sift rank" of that clip as a video document
  sift cover --model <reranker-dir> --title "…" <video> [--fps 1] [--top 5] [--out cover.jpg]
      rank the video's frames (sampled at --fps) as images against the title: prints {"frames": [{"time",
      "score"}], "top": [indices, best first], "best": time}; --out writes the best frame at display size
  sift prompt <request.json> [--expand] [--model <dir>] [--max-image-pixels N]
      print the prompt of every document: {"prompts": [{"text", "tokens"}]}
  sift plan-image --width W --height H [--min-pixels N --max-pixels N]
  sift plan-video --frames N --source-fps F --width W --height H [--fps F --max-frames N]

  rank, embed, index, search, moments and cover also take [--backend native|cuda|wasm] [--threads N]:
  native (default) is onnxruntime-node's CPU EP, cuda its CUDA EP (needs onnxruntime-node's CUDA
  libraries), wasm onnxruntime-web's WASM build as in the browser; --threads defaults to every core.
  Without --backend, an int8 model in ORT format runs on wasm on x86 CPUs without VNNI, where
  onnxruntime-node's int8 kernels saturate.
`;

type Command = (argv: string[]) => Promise<number>;

const commands: Record<string, () => Promise<Command>> = {
  tiny: async () => (await import('./tiny.ts')).runTinyCommand,
  convert: async () => (await import('./convert.ts')).runConvertCommand,
  rank: async () => (await import('./rank.ts')).runRankCommand,
  embed: async () => (await import('./embed.ts')).runEmbedCommand,
  index: async () => (await import('./index.ts')).runIndexCommand,
  search: async () => (await import('./search.ts')).runSearchCommand,
  moments: async () => (await import('./moments.ts')).runMomentsCommand,
  cover: async () => (await import('./cover.ts')).runCoverCommand,
  prompt: async () => (await import('./prompt.ts')).runPromptCommand,
  'plan-image': async () => (await import('./plan.ts')).runPlanImageCommand,
  'plan-video': async () => (await import('./plan.ts')).runPlanVideoCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE);
    return name ? 0 : 2;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(`sift: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  try {
    return await (
      await load()
    )(rest);
  } catch (err) {
    process.stderr.write(`sift ${name}: ${(err as Error).message}\n`);
    return err instanceof UsageError ? 2 : 1;
  }
}
