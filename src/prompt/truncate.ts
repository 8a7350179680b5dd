// The reference's truncation (qwen3_vl_reranker.py, `tokenize`):
//   ids = truncate_tokens_optimized(ids[:-5], max_length, all_special_ids) + ids[-5:]
// Special ids (including every vision pad) always survive; other ids are kept first-come while the
// budget max_length − (number of special ids) lasts. The last 5 ids (`<|im_end|>\n<|im_start|>assistant\n`)
// are set aside first, so the end of the document text is what gets cut. Note the result can be up to
// max_length + 5 long, and longer still when the special ids alone exceed max_length.

export const DEFAULT_MAX_LENGTH = 10240;
const TAIL = 5;

/** Python's `xs[:-5]` and `xs[-5:]`, including their behaviour on lists shorter than 5. */
function splitTail<T>(xs: T[]): [T[], T[]] {
  const cut = Math.max(0, xs.length - TAIL);
  return [xs.slice(0, cut), xs.slice(cut)];
}

export interface TruncationResult {
  ids: number[];
  /** Indices (into the input) of the ids that were kept, ascending. */
  kept: number[];
  /** Indices (into the input) of the ids that were removed, ascending. */
  removed: number[];
}

/** `truncate_tokens_optimized(ids[:-5], maxLength, specialIds) + ids[-5:]`, tracking which ids survive. */
export function truncateLikeReference(ids: number[], maxLength: number, specialIds: ReadonlySet<number>): TruncationResult {
  const [head, tail] = splitTail(ids);
  const kept: number[] = [];
  const removed: number[] = [];
  if (head.length <= maxLength) {
    for (let i = 0; i < ids.length; i++) kept.push(i);
    return { ids: ids.slice(), kept, removed };
  }
  let numSpecial = 0;
  for (const id of head) if (specialIds.has(id)) numSpecial++;
  const budget = maxLength - numSpecial; // may be negative: then no ordinary id is kept
  let ordinaryKept = 0;
  head.forEach((id, i) => {
    if (specialIds.has(id)) kept.push(i);
    else if (ordinaryKept < budget) {
      kept.push(i);
      ordinaryKept++;
    } else removed.push(i);
  });
  for (let i = head.length; i < head.length + tail.length; i++) kept.push(i);
  return { ids: kept.map((i) => ids[i]), kept, removed };
}
