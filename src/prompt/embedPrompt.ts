// One embedding conversation → the ids the model runs on. The official embedder tokenises the whole
// expanded prompt and lets the processor truncate it on the right to max_length (8192): the last
// token kept is the one pooled. A cut through an image's or video's pads makes the reference's
// processor fail, so Sift refuses such an input ('media-truncated') instead of embedding half an image.
import type { RerankConversation } from './conversation.ts';
import { checkTextLengths, countMedia } from './documentPrompt.ts';
import { DEFAULT_MAX_TEXT_CHARS, PromptError } from './promptError.ts';
import { encodePromptIds, type PromptMedia } from './promptIds.ts';
import { renderPromptSegments } from './render.ts';
import type { PromptTokenizer } from './tokens.ts';

/** The official embedder's MAX_LENGTH. */
export const EMBED_MAX_LENGTH = 8192;

export interface EmbedPromptOptions {
  maxLength?: number;
  maxTextChars?: number;
  mergeSize?: number;
}

export interface EmbedPrompt {
  ids: number[];
  truncated: boolean;
  warnings: string[];
}

const VISION_TOKENS = ['<|vision_start|>', '<|vision_end|>', '<|image_pad|>', '<|video_pad|>'] as const;

export function encodeEmbedPrompt(
  conversation: RerankConversation,
  tokenizer: PromptTokenizer,
  media: PromptMedia,
  options: EmbedPromptOptions = {},
): EmbedPrompt {
  const maxLength = options.maxLength ?? EMBED_MAX_LENGTH;
  if (!Number.isInteger(maxLength) || maxLength < 1) throw new Error(`maxLength must be a positive integer, got ${maxLength}`);
  checkTextLengths(conversation, options.maxTextChars ?? DEFAULT_MAX_TEXT_CHARS);
  const segments = renderPromptSegments(conversation);
  const { images, videos } = countMedia(segments);
  if (media.images.length !== images || media.videos.length !== videos)
    throw new Error(
      `the prompt has ${images} image(s) and ${videos} video(s) but ${media.images.length} and ${media.videos.length} grids were given`,
    );
  const { ids } = encodePromptIds(segments, tokenizer, media, options.mergeSize ?? 2);
  if (ids.length <= maxLength) return { ids, truncated: false, warnings: [] };

  const vision = new Set(VISION_TOKENS.map((t) => tokenizer.addedTokenId(t)));
  const lastVision = ids.findLastIndex((id) => vision.has(id));
  if (lastVision >= maxLength) {
    const visionTokens = ids.filter((id) => vision.has(id)).length;
    throw new PromptError(
      'media-truncated',
      `the input's images and videos take ${visionTokens.toLocaleString('en-US')} tokens and end at token ${(lastVision + 1).toLocaleString('en-US')}, beyond the ${maxLength.toLocaleString('en-US')}-token limit: ` +
        'use fewer or smaller images, a shorter video (or a lower fps / max_frames), or shorter text before them.',
    );
  }
  return {
    ids: ids.slice(0, maxLength),
    truncated: true,
    warnings: [
      `the input is ${ids.length.toLocaleString('en-US')} tokens long: only its first ${maxLength.toLocaleString('en-US')} are embedded (as the reference does)`,
    ],
  };
}
