// One embedding input → the chat messages the official embedder builds (QwenLM/Qwen3-VL-Embedding
// `qwen3_vl_embedding.py`, `Qwen3VLEmbedder.format_model_input`): a system turn holding the
// instruction, then a user turn of the input's videos, images and texts (no items: the text NULL).
// The items follow the reranker's rules (same pixel budgets and frame sampling), without its prefix.
import type { RerankConversation, PromptPart } from './conversation.ts';
import { buildSideItems } from './conversation.ts';
import { DEFAULT_CONVERSATION_OPTIONS, type ConversationOptions, type RerankSide } from './request.ts';
import { RequestError } from './validate.ts';

export const DEFAULT_EMBED_INSTRUCTION = "Represent the user's input.";

/** One input of `sift embed` / the library: any mix of text, images and videos. */
export interface EmbedInput extends RerankSide {
  /** This input's instruction (else the request's, else the default). */
  instruction?: string | null;
  /** This input's video sampling (else the request's, else 1 fps / 64 frames). */
  fps?: number | null;
  max_frames?: number | null;
  /** Only this window of the input's video, decoded as that clip cut to its own file (seconds, end exclusive). */
  clip?: { start: number; end: number };
}

// Python's str.strip(): Unicode White_Space plus the separators U+001C–U+001F, but not U+FEFF (JS trim strips it).
const PY_SPACE = '[\\s\\u001c-\\u001f]';
const PY_STRIP = new RegExp(`^(?:(?!\\ufeff)${PY_SPACE})+|(?:(?!\\ufeff)${PY_SPACE})+$`, 'gu');

/** The instruction as the reference uses it: stripped, a full stop added unless it ends in punctuation (category P*). */
export function embedInstruction(instruction: string | null | undefined): string {
  if (!instruction) return DEFAULT_EMBED_INSTRUCTION;
  const stripped = instruction.replace(PY_STRIP, '');
  if (!stripped) return DEFAULT_EMBED_INSTRUCTION;
  const last = Array.from(stripped).pop()!;
  return /\p{P}/u.test(last) ? stripped : stripped + '.';
}

/** The conversation of one input; `request` gives the video fps / frame cap when the input has none. */
export function buildEmbedConversation(
  input: EmbedInput,
  request: { instruction?: string | null; fps?: number | null; max_frames?: number | null } = {},
  options: ConversationOptions = DEFAULT_CONVERSATION_OPTIONS,
): RerankConversation {
  const instruction = input.instruction ?? request.instruction;
  if (instruction !== undefined && instruction !== null && typeof instruction !== 'string')
    throw new RequestError(`instruction must be a string, got ${typeof instruction}`);
  for (const key of ['fps', 'max_frames'] as const) {
    const v = input[key];
    if (v !== undefined && v !== null && !(typeof v === 'number' && v > 0))
      throw new RequestError(`${key} must be a positive number, got ${JSON.stringify(v)}`);
  }
  // buildSideItems writes the reranker's side prefix first; the embedder has none.
  const items = buildSideItems(
    input,
    '',
    { fps: input.fps ?? request.fps, max_frames: input.max_frames ?? request.max_frames },
    options,
  ).slice(1);
  return {
    messages: [
      { role: 'system', content: [{ type: 'text', text: embedInstruction(instruction) }] },
      { role: 'user', content: items },
    ],
    userItemParts: items.map((): PromptPart => 'document'),
  };
}
