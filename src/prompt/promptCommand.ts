// The pure core of `sift prompt <request.json> [--expand]`: the prompt text of every
// (query, document) pair as the reference renders it (before vision-pad expansion) and, with
// --expand, how many tokens the model would run on (after expansion and truncation).
// Media grids come from the media module through `gridsFor`; nothing here opens media.

import { buildRerankConversations, mediaItems, type ImageItem, type VideoItem } from './conversation.ts';
import { encodeDocumentPrompt } from './documentPrompt.ts';
import type { PromptMedia } from './promptIds.ts';
import { renderPromptSegments, renderWithChatTemplate, segmentsToText } from './render.ts';
import { DEFAULT_CONVERSATION_OPTIONS, type ConversationOptions, type RerankRequest } from './request.ts';
import type { PromptTokenizer } from './tokens.ts';
import { separateMalformedDocuments } from './validate.ts';

export type { MediaGridInfo } from '../contracts/request.ts';
import type { MediaGridInfo } from '../contracts/request.ts';

export interface PromptCommandOptions {
  expand: boolean;
  /** Required when `expand` is on. */
  tokenizer?: PromptTokenizer;
  /** Required when `expand` is on: the grid (and, for videos, timestamps) of one media item. */
  gridsFor?: (item: ImageItem | VideoItem) => Promise<MediaGridInfo>;
  maxLength?: number;
  mergeSize?: number;
  /** Chat template to render with (default: the Qwen3-VL template). */
  chatTemplate?: string;
  conversation?: Partial<ConversationOptions>;
}

export interface PromptCommandEntry {
  text: string;
  /** Token count after expansion and truncation; null without --expand or on error. */
  tokens: number | null;
  warnings?: string[];
  /** Set when this document's media could not be measured (Sift fails only that document). */
  error?: string;
}

export interface PromptCommandOutput {
  prompts: PromptCommandEntry[];
}

/** Runs `sift prompt` on a parsed request. */
export async function promptCommand(request: RerankRequest, options: PromptCommandOptions): Promise<PromptCommandOutput> {
  const convOptions = { ...DEFAULT_CONVERSATION_OPTIONS, ...options.conversation };
  // A malformed document gets its problem instead of a prompt, as `sift rank` gives it no score.
  const { request: usable, problems } = separateMalformedDocuments(request);
  const conversations = buildRerankConversations(usable, convOptions);
  if (options.expand && (!options.tokenizer || !options.gridsFor)) {
    throw new Error('--expand needs a tokenizer and a media grid source');
  }
  // The query's media recur in every pair: measure each handle once.
  const cache = new Map<string, Map<unknown, Promise<MediaGridInfo>>>();
  const measure = (item: ImageItem | VideoItem): Promise<MediaGridInfo> => {
    const handle = item.type === 'image' ? item.image : item.video;
    let byHandle = cache.get(item.type);
    if (!byHandle) cache.set(item.type, (byHandle = new Map()));
    let info = byHandle.get(handle);
    if (!info) byHandle.set(handle, (info = options.gridsFor!(item)));
    return info;
  };

  const prompts: PromptCommandEntry[] = [];
  for (const [index, conversation] of conversations.entries()) {
    const problem = problems.get(index);
    if (problem) {
      prompts.push({ text: '', tokens: null, error: problem.message });
      continue;
    }
    const segments = renderPromptSegments(conversation);
    const text = renderWithChatTemplate(conversation.messages, options.chatTemplate);
    // Token ids come from the direct renderer's segments, so it must agree with the template.
    if (segmentsToText(segments) !== text) {
      throw new Error("the chat template renders this prompt differently from Sift's Qwen3-VL renderer");
    }
    if (!options.expand) {
      prompts.push({ text, tokens: null });
      continue;
    }
    try {
      const media: PromptMedia = { images: [], videos: [] };
      for (const item of mediaItems(conversation)) {
        if (item.type === 'image') media.images.push((await measure(item)).grid);
        else {
          const info = await measure(item);
          if (!info.timestamps) throw new Error('a video grid came without timestamps');
          media.videos.push({ grid: info.grid, timestamps: info.timestamps });
        }
      }
      const doc = encodeDocumentPrompt(conversation, options.tokenizer!, media, {
        maxLength: options.maxLength,
        mergeSize: options.mergeSize,
      });
      const entry: PromptCommandEntry = { text, tokens: doc.ids.length };
      if (doc.warnings.length > 0) entry.warnings = doc.warnings;
      prompts.push(entry);
    } catch (e) {
      prompts.push({ text, tokens: null, error: e instanceof Error ? e.message : String(e) });
    }
  }
  return { prompts };
}
