// The manifest a conversion writes (its type and reading live with the store, src/store/manifest.ts),
// and the description of what each part is stored as.
import type { LinearFormat, LinearPlan } from './graphs/linear.ts';
import type { Storage } from '../store/manifest.ts';

export * from '../store/manifest.ts';

const blockFormat = (bits: number, blockSize: number) => (bits === 32 ? 'fp32' : `${bits}-bit block ${blockSize}`);

const linearStorage = (f: LinearFormat): string =>
  f.kind === 'fp32'
    ? 'fp32'
    : f.kind === 'nbits'
      ? `${blockFormat(f.bits, f.blockSize)}${f.residual ? ` + ${f.bits}-bit residual block ${f.blockSize}` : ''}`
      : `int8 per output channel (from the checkpoint weights${f.weights === 's8' ? '' : ', stored as uint8 around 128'}), int8 activations per token${f.rotate ? `, both rotated in blocks of ${f.rotate}` : ''}`;

/** e.g. "int8 per output channel …; fp32: mlp/down_proj, mlp/up_proj" (roles of one format listed together). */
const planStorage = (plan: LinearPlan): string => {
  const byFormat = new Map<string, string[]>();
  for (const [role, f] of Object.entries(plan.roles ?? {})) {
    const format = linearStorage(f);
    byFormat.set(format, [...(byFormat.get(format) ?? []), role]);
  }
  return [linearStorage(plan.base), ...[...byFormat].map(([format, roles]) => `${format}: ${roles.join(', ')}`)].join('; ');
};

export function describeStorage(linear: LinearPlan, embeddingBits: 4 | 8 | 32, blockSize: number): Storage {
  return { linear: planStorage(linear), embedding: blockFormat(embeddingBits, blockSize), other: 'fp32' };
}
