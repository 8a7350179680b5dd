// Request → the reference's chat messages, one conversation per document
// (`format_mm_instruction` + `format_mm_content` of qwen3_vl_reranker.py). The messages are the
// exact structure the reference hands to `apply_chat_template`; a side table records which part of
// the pair each user item belongs to, so later stages can tell the query from the document.

import {
  DEFAULT_CONVERSATION_OPTIONS,
  normalizeSide,
  sampleFrames,
  type ConversationOptions,
  type RerankRequest,
  type RerankSide,
} from './request.ts';

export const SYSTEM_PROMPT =
  'Judge whether the Document meets the requirements based on the Query and the Instruct provided. Note that the answer can only be "yes" or "no".';

export type { TextItem, ImageItem, VideoItem, ContentItem } from '../contracts/request.ts';
import type { ContentItem, ImageItem, VideoItem } from '../contracts/request.ts';

export interface ChatMessage {
  role: 'system' | 'user';
  content: ContentItem[];
}

/** Which part of the pair a user item belongs to. */
export type PromptPart = 'instruction' | 'query' | 'document';

export interface RerankConversation {
  messages: ChatMessage[];
  /** parts[i] is the part of messages[1].content[i]. */
  userItemParts: PromptPart[];
}

/** `format_mm_content`: the prefix text, then videos, images, texts — or `NULL` for an empty side. */
export function buildSideItems(
  side: RerankSide | null | undefined,
  prefix: string,
  request: Pick<RerankRequest, 'fps' | 'max_frames'>,
  options: ConversationOptions = DEFAULT_CONVERSATION_OPTIONS,
): ContentItem[] {
  const content: ContentItem[] = [{ type: 'text', text: prefix }];
  const { texts, images, videos } = normalizeSide(side, options.isImageHandle);
  if (texts.length === 0 && images.length === 0 && videos.length === 0) {
    content.push({ type: 'text', text: 'NULL' });
    return content;
  }

  for (const vid of videos) {
    if (Array.isArray(vid)) {
      // Frame lists are subsampled with the reranker's own max_frames, not the request's (as the reference).
      const frames = sampleFrames(vid, options.maxFrames);
      if (frames.length > 0) content.push({ type: 'video', video: frames, total_pixels: options.totalPixels });
    } else {
      // `fps or self.fps`: 0 / null fall back, as in Python.
      const item: VideoItem = {
        type: 'video',
        video: vid,
        fps: request.fps || options.fps,
        max_frames: request.max_frames || options.maxFrames,
      };
      if (options.totalPixelsOnFiles) item.total_pixels = options.totalPixels;
      content.push(item);
    }
  }
  // A side's `clip` (validate.ts) is a window of its video, decoded as that clip alone (media/videoPlan.ts).
  const clip = (side as { clip?: { start: number; end: number } } | null | undefined)?.clip;
  if (clip) for (const item of content) if (item.type === 'video' && !Array.isArray(item.video)) Object.assign(item, { clip });
  for (const img of images) {
    content.push({ type: 'image', image: img, min_pixels: options.minPixels, max_pixels: options.maxPixels });
  }
  for (const txt of texts) content.push({ type: 'text', text: txt });
  return content;
}

/** `format_mm_instruction` for one (query, document) pair. */
export function buildRerankConversation(
  request: RerankRequest,
  document: RerankSide,
  options: ConversationOptions = DEFAULT_CONVERSATION_OPTIONS,
): RerankConversation {
  const instruction = request.instruction || options.defaultInstruction;
  if (typeof instruction !== 'string') throw new TypeError('instruction must be a string');
  const queryItems = buildSideItems(request.query, '<Query>:', request, options);
  const docItems = buildSideItems(document, '\n<Document>:', request, options);
  const user: ContentItem[] = [{ type: 'text', text: '<Instruct>: ' + instruction }, ...queryItems, ...docItems];
  const userItemParts: PromptPart[] = [
    'instruction',
    ...queryItems.map((): PromptPart => 'query'),
    ...docItems.map((): PromptPart => 'document'),
  ];
  return {
    messages: [
      { role: 'system', content: [{ type: 'text', text: SYSTEM_PROMPT }] },
      { role: 'user', content: user },
    ],
    userItemParts,
  };
}

/**
 * The image and video items of a conversation in prompt order — the order their pads appear, hence
 * the order of the grids that `encodeDocumentPrompt` takes (images and videos each in this order).
 */
export function mediaItems(conversation: RerankConversation): (ImageItem | VideoItem)[] {
  const out: (ImageItem | VideoItem)[] = [];
  // Only the user turn can carry media; the template ignores non-text items of the system turn.
  for (const message of conversation.messages) {
    if (message.role !== 'user') continue;
    for (const item of message.content) if (item.type !== 'text') out.push(item);
  }
  return out;
}

function isEmptyQuery(query: RerankSide | null | undefined): boolean {
  // Python `not query` on a dict: missing or without keys.
  return query === null || query === undefined || Object.keys(query).length === 0;
}

/**
 * `process`'s pairing: one conversation per document, in document order; none when the query is
 * missing / `{}` or there are no documents (the reference then returns an empty score list).
 */
export function buildRerankConversations(
  request: RerankRequest,
  options: ConversationOptions = DEFAULT_CONVERSATION_OPTIONS,
): RerankConversation[] {
  const documents = request.documents ?? [];
  if (isEmptyQuery(request.query) || documents.length === 0) return [];
  return documents.map((doc) => buildRerankConversation(request, doc ?? {}, options));
}
