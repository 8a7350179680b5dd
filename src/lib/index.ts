// `import { Reranker } from 'sift'`: the public API (browser; the worker does the model work).
export { Reranker, type RerankerOptions, type ProcessOptions, type RankedDocument } from './reranker.ts';
export type * from './types.ts';
