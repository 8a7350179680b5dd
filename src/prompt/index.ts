// The prompt module: request → conversations → prompt text → token ids (see ARCHITECTURE.md step 2).

export * from './request.ts';
export * from './conversation.ts';
export * from './render.ts';
export * from './pyFormat.ts';
export * from './tokens.ts';
export * from './promptIds.ts';
export * from './truncate.ts';
export * from './documentPrompt.ts';
export * from './promptCommand.ts';
export { QWEN3_VL_CHAT_TEMPLATE, QWEN3_VL_CHAT_TEMPLATE_SHA256 } from '../contracts/chatTemplate.ts';
export * from './validate.ts';
export * from './promptError.ts';
export * from './budgetedPrompt.ts';
export * from './embedConversation.ts';
export * from './embedPrompt.ts';
