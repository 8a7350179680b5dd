// The manifest a conversion writes (its type and reading live with the store, src/store/manifest.ts),
// and the description of what each part is stored as.
import type { LinearFormat } from './graphs/linear.ts';
import type { Storage } from '../store/manifest.ts';

export * from '../store/manifest.ts';

const blockFormat = (bits: number, blockSize: number) => (bits === 32 ? 'fp32' : `${bits}-bit block ${blockSize}`);

const linearStorage = (f: LinearFormat): string =>
  f.kind === 'fp32'
    ? 'fp32'
    : f.kind === 'nbits'
      ? blockFormat(f.bits, f.blockSize)
      : 'int8 per output channel (from the checkpoint weights), int8 activations per token';

export function describeStorage(linear: LinearFormat, embeddingBits: 4 | 8 | 32, blockSize: number): Storage {
  return { linear: linearStorage(linear), embedding: blockFormat(embeddingBits, blockSize), other: 'fp32' };
}
