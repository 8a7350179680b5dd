// The embedding parity inputs, prepared by Sift: each input's prompt ids (src/prompt: the embedder's
// conversation, the chat template, plain-text tokenisation, vision pads, truncation at 8192) and its
// images' and videos' patches and grids (src/media/nodeDecoder through src/engine/decodeMedia, as
// EmbedSession decodes them), written to a folder so the official embedder (embedOfficial.py) runs the
// very same inputs. What differs between the two is then only the model code and the arithmetic.
//   node --import tsx bench/fidelity/embedInputs.ts <checkpoint-dir> <media-dir> <out-dir> [--set tiny|real]
// The media dir holds tiny.png, mid.jpg, big.png and v.mp4 (embedRun.mjs makes them with ffmpeg).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeMediaItem, promptMediaOf, type DecodedMedia } from '../../src/engine/decodeMedia.ts';
import { nodeMediaDecoder } from '../../src/media/nodeDecoder.ts';
import { buildEmbedConversation, encodeEmbedPrompt, loadPromptTokenizer, mediaItems, type EmbedInput } from '../../src/prompt/index.ts';

export interface EmbedFidelityMedia {
  file: string;
  grid: [number, number, number];
}

export interface EmbedFidelityInput {
  name: string;
  /** The input as the embedder takes it (paths relative to the media dir). */
  input: EmbedInput;
  ids: number[];
  truncated: boolean;
  images: EmbedFidelityMedia[];
  videos: EmbedFidelityMedia[];
}

/** Words of the vocabulary, so that a text's token count is predictable (about one token per word). */
function longText(words: number): string {
  const vocab = 'river mountain light quiet golden forest music morning window paper garden stone ocean winter city'.split(' ');
  return Array.from({ length: words }, (_, i) => vocab[(i * 7 + (i >> 3)) % vocab.length]).join(' ') + '.';
}

/** Every kind of input: texts (CJK, long, NULL), instructions, images of several sizes, a video, mixes. */
export function embedCases(set: 'tiny' | 'real'): Record<string, EmbedInput> {
  const all: Record<string, EmbedInput> = {
    text: { text: 'A woman playing with her dog on a beach at sunset.' },
    text_cjk: { text: '一位女士在日落时分的海滩上和她的狗玩耍。夕焼けの浜辺で犬と遊ぶ女性。해질녘 해변에서 개와 노는 여자.' },
    instruction_no_punct: { text: 'golden retriever', instruction: 'Retrieve images of the animal named in the query' },
    instruction_cjk_punct: { text: '海滩上的狗', instruction: '  找出与查询相关的图片。 ' },
    null: {},
    long_text: { text: longText(10_000) },
    image_tiny: { image: 'tiny.png' },
    image_mid: { image: 'mid.jpg' },
    image_big: { image: 'big.png' },
    image_text: { image: 'mid.jpg', text: 'A test pattern with colour bars.' },
    images_text: { image: ['tiny.png', 'mid.jpg'], text: 'Two pictures.' },
    image_instruction: { image: 'big.png', instruction: 'Represent this image for retrieving similar fractals' },
    video: { video: 'v.mp4' },
    video_text: { video: 'v.mp4', text: 'A moving test pattern.' },
  };
  // The full-size model runs in minutes per long input on a CPU: text and images only, nothing past a few thousand tokens.
  const real = ['text', 'text_cjk', 'instruction_no_punct', 'null', 'image_tiny', 'image_mid', 'image_text'];
  return set === 'tiny' ? all : Object.fromEntries(real.map((k) => [k, all[k]]));
}

export async function writeEmbedInputs(
  checkpointDir: string,
  mediaDir: string,
  outDir: string,
  set: 'tiny' | 'real' = 'tiny',
): Promise<EmbedFidelityInput[]> {
  const json = (f: string) => JSON.parse(readFileSync(join(checkpointDir, f), 'utf8'));
  const tokenizer = loadPromptTokenizer(json('tokenizer.json'), json('tokenizer_config.json'));
  const config = json('config.json') as { vision_config?: { spatial_merge_size?: number } };
  const media = nodeMediaDecoder(mediaDir);
  mkdirSync(outDir, { recursive: true });
  const out: EmbedFidelityInput[] = [];
  for (const [name, input] of Object.entries(embedCases(set))) {
    // What EmbedSession.prepare does for one input.
    const conv = buildEmbedConversation(input);
    const items = mediaItems(conv);
    const decoded: DecodedMedia[] = [];
    for (const item of items) decoded.push(await decodeMediaItem(media, item));
    const { images, videos, media: promptMedia } = promptMediaOf(items, decoded);
    const prompt = encodeEmbedPrompt(conv, tokenizer, promptMedia, { mergeSize: config.vision_config?.spatial_merge_size ?? 2 });
    const write = (kind: string, list: typeof images) =>
      list.map((v, k) => {
        const file = `${name}-${kind}${k}.f32`;
        writeFileSync(join(outDir, file), new Uint8Array(v.patches.buffer, v.patches.byteOffset, v.patches.byteLength));
        return { file, grid: v.grid as [number, number, number] };
      });
    out.push({
      name,
      input,
      ids: prompt.ids,
      truncated: prompt.truncated,
      images: write('image', images),
      videos: write('video', videos),
    });
  }
  writeFileSync(join(outDir, 'inputs.json'), JSON.stringify(out));
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [ckpt, mediaDir, outDir] = process.argv.slice(2);
  const set = process.argv.includes('--set') ? (process.argv[process.argv.indexOf('--set') + 1] as 'tiny' | 'real') : 'tiny';
  for (const inp of await writeEmbedInputs(ckpt, mediaDir, outDir, set)) {
    const grids = [...inp.images, ...inp.videos].map((m) => m.grid.join('×')).join(' ');
    console.log(`${inp.name}: ${inp.ids.length} tokens${inp.truncated ? ' (truncated)' : ''}${grids ? `, grids ${grids}` : ''}`);
  }
}
