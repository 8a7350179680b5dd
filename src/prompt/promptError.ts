// Errors in building a prompt, with a stable `code` to branch on (the message is for people).
//  - 'query-truncated': the token budget (maxLength) cannot hold the whole query, so the document
//    would be scored against a cut or missing query (README, 'Where Sift deliberately differs': Sift refuses rather than warns).
//  - 'text-too-long': one text is longer than the configured character limit (maxTextChars).
//  - 'media-truncated': an embedding input's images or videos do not fit in its token limit (the
//    reference's processor fails on such an input too: its vision pads would be cut).

export type PromptErrorCode = 'query-truncated' | 'text-too-long' | 'media-truncated';

export class PromptError extends Error {
  override name = 'PromptError';
  constructor(
    readonly code: PromptErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Default longest single text (instruction, query text or document text), in UTF-16 characters.
 * Far above what a prompt can hold (10,240 tokens are at most a few hundred thousand characters),
 * so it only refuses texts nobody means to score whole.
 */
export const DEFAULT_MAX_TEXT_CHARS = 4 * 1024 * 1024;
