// Rendering a rerank conversation to the prompt text, two ways:
//  - with the checkpoint's own chat template through @huggingface/jinja (what the reference does), and
//  - directly, into segments that keep template-inserted special tokens apart from text, which is
//    what tokenization needs (a special-looking string inside user text must stay text).
// Tests prove both give the same text. The text is the prompt BEFORE vision-pad expansion.

import { Template } from '@huggingface/jinja';
import { QWEN3_VL_CHAT_TEMPLATE } from '../contracts/chatTemplate.ts';
import type { ChatMessage, PromptPart, RerankConversation } from './conversation.ts';

/** The special tokens the template itself writes. */
export const TEMPLATE_SPECIAL_TOKENS = [
  '<|im_start|>',
  '<|im_end|>',
  '<|vision_start|>',
  '<|vision_end|>',
  '<|image_pad|>',
  '<|video_pad|>',
] as const;
export type TemplateSpecialToken = (typeof TEMPLATE_SPECIAL_TOKENS)[number];

/** Where a piece of text came from; `template` is text the chat template writes (role names, newlines). */
export type SegmentPart = PromptPart | 'system' | 'template';

export type PromptSegment =
  | { kind: 'text'; text: string; part: SegmentPart }
  | { kind: 'special'; token: TemplateSpecialToken }
  /** `<|vision_start|><|image_pad|><|vision_end|>` for the index-th image of the prompt. */
  | { kind: 'image'; index: number; part: SegmentPart }
  /** `<|vision_start|><|video_pad|><|vision_end|>` for the index-th video of the prompt. */
  | { kind: 'video'; index: number; part: SegmentPart };

const compiledTemplates = new Map<string, Template>();

/** `apply_chat_template(messages, tokenize=False, add_generation_prompt=True)` with the given template. */
export function renderWithChatTemplate(messages: ChatMessage[], template: string = QWEN3_VL_CHAT_TEMPLATE): string {
  let compiled = compiledTemplates.get(template);
  if (!compiled) {
    compiled = new Template(template);
    compiledTemplates.set(template, compiled);
  }
  // Media handles may be arbitrary objects; the template only tests for the keys, so pass markers.
  const plain = messages.map((m) => ({
    role: m.role,
    content: m.content.map((item) =>
      item.type === 'text' ? { type: 'text', text: item.text } : { type: item.type, [item.type]: 'media' },
    ),
  }));
  return compiled.render({ messages: plain, add_generation_prompt: true });
}

/**
 * The Qwen3-VL template specialised to what a rerank conversation contains (a system turn whose
 * content is a list of text items, then a user turn of text / image / video items; no tools):
 *   <|im_start|>system\n{texts}<|im_end|>\n<|im_start|>user\n{items}<|im_end|>\n<|im_start|>assistant\n
 */
export function renderPromptSegments(conversation: RerankConversation): PromptSegment[] {
  const { messages, userItemParts } = conversation;
  const segments: PromptSegment[] = [];
  let images = 0;
  let videos = 0;
  messages.forEach((message, m) => {
    if (message.role === 'system' && m !== 0) {
      // The template only renders a system message in first position; the builder never makes others.
      throw new Error('a system message is only rendered in first position');
    }
    segments.push({ kind: 'special', token: '<|im_start|>' });
    segments.push({ kind: 'text', text: message.role + '\n', part: 'template' });
    message.content.forEach((item, i) => {
      const part: SegmentPart = message.role === 'system' ? 'system' : (userItemParts[i] ?? 'document');
      if (item.type === 'text') {
        segments.push({ kind: 'text', text: item.text, part });
      } else if (message.role === 'system') {
        // The system branch of the template renders text items only.
      } else if (item.type === 'image') {
        segments.push({ kind: 'image', index: images++, part });
      } else {
        segments.push({ kind: 'video', index: videos++, part });
      }
    });
    segments.push({ kind: 'special', token: '<|im_end|>' });
    segments.push({ kind: 'text', text: '\n', part: 'template' });
  });
  segments.push({ kind: 'special', token: '<|im_start|>' });
  segments.push({ kind: 'text', text: 'assistant\n', part: 'template' });
  return segments;
}

/** The text the segments stand for (equal to `renderWithChatTemplate` of the same conversation). */
export function segmentsToText(segments: PromptSegment[]): string {
  let out = '';
  for (const s of segments) {
    if (s.kind === 'text') out += s.text;
    else if (s.kind === 'special') out += s.token;
    else if (s.kind === 'image') out += '<|vision_start|><|image_pad|><|vision_end|>';
    else out += '<|vision_start|><|video_pad|><|vision_end|>';
  }
  return out;
}

/** The direct renderer's text for a conversation. */
export function renderPromptText(conversation: RerankConversation): string {
  return segmentsToText(renderPromptSegments(conversation));
}
