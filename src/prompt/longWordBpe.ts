// BPE for very long pre-tokenised words (a run of one letter, of spaces, a DNA string…). A word's
// first tokens can depend on its last characters, so a long word is encoded whole; tokenizers.js
// does that with one object per character and a string key per pair (minutes and gigabytes for a
// few million characters). This does the same merges in the same order on typed arrays: always the
// lowest-ranked adjacent pair, the leftmost one among equals (test/prompt/longWordBpe.test.ts
// compares it with tokenizers.js).

const ID_BITS = 2 ** 18; // vocabulary ids < 262,144
const POS_BITS = 2 ** 26; // word positions < 67M characters

export interface WordEncoding {
  ids: number[];
  /** Byte length (= byte-level characters) of each token. */
  byteLengths: number[];
}

/** A growable binary min-heap of numbers. */
class NumberHeap {
  private a = new Float64Array(1024);
  size = 0;
  push(v: number): void {
    if (this.size === this.a.length) {
      const b = new Float64Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.a[p] <= v) break;
      this.a[i] = this.a[p];
      i = p;
    }
    this.a[i] = v;
  }
  pop(): number {
    const top = this.a[0];
    const last = this.a[--this.size];
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= this.size) break;
      const c = l + 1 < this.size && this.a[l + 1] < this.a[l] ? l + 1 : l;
      if (this.a[c] >= last) break;
      this.a[i] = this.a[c];
      i = c;
    }
    this.a[i] = last;
    return top;
  }
}

/** Open-addressing map from a pair of vocabulary ids to a merge rank (Map with number keys is slow here). */
class PairRanks {
  private bits: number;
  private a: Int32Array;
  private b: Int32Array;
  private rank: Int32Array;
  constructor(capacity: number) {
    this.bits = Math.max(4, Math.ceil(Math.log2(capacity * 2 + 1)));
    const size = 1 << this.bits;
    this.a = new Int32Array(size).fill(-1);
    this.b = new Int32Array(size);
    this.rank = new Int32Array(size);
  }
  private slot(a: number, b: number): number {
    const mask = (1 << this.bits) - 1;
    let i = (Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca77)) >>> (32 - this.bits);
    while (this.a[i] !== -1 && (this.a[i] !== a || this.b[i] !== b)) i = (i + 1) & mask;
    return i;
  }
  set(a: number, b: number, rank: number): void {
    const i = this.slot(a, b);
    this.a[i] = a;
    this.b[i] = b;
    this.rank[i] = rank;
  }
  /** The rank, or -1 when the pair never merges. */
  get(a: number, b: number): number {
    const i = this.slot(a, b);
    return this.a[i] === -1 ? -1 : this.rank[i];
  }
}

export class LongWordBpe {
  private ranks: PairRanks;
  private mergedId: Int32Array;
  private tokenLength: Int32Array;

  private constructor(
    private vocab: Map<string, number>,
    merges: [string, string][],
  ) {
    let maxId = 0;
    for (const id of vocab.values()) maxId = Math.max(maxId, id);
    if (maxId >= ID_BITS) throw new Error('vocabulary too large for LongWordBpe');
    this.tokenLength = new Int32Array(maxId + 1);
    for (const [token, id] of vocab) this.tokenLength[id] = token.length;
    this.mergedId = new Int32Array(merges.length).fill(-1);
    this.ranks = new PairRanks(merges.length);
    merges.forEach(([a, b], rank) => {
      const ia = vocab.get(a);
      const ib = vocab.get(b);
      const m = vocab.get(a + b);
      if (ia === undefined || ib === undefined) return;
      // Like tokenizers.js, a pair listed twice takes its last rank; a merge into a token outside the
      // vocabulary stays -1 and makes `encode` give up.
      this.ranks.set(ia, ib, rank);
      if (m !== undefined) this.mergedId[rank] = m;
    });
  }

  /** From tokenizer.json's BPE model (`vocab`, `merges` as "a b" strings or [a, b] pairs). */
  static fromModel(model: { vocab: Record<string, number>; merges: (string | [string, string])[] }): LongWordBpe {
    const merges = model.merges.map((m) => (Array.isArray(m) ? m : (m.split(' ', 2) as [string, string])));
    return new LongWordBpe(new Map(Object.entries(model.vocab)), merges);
  }

  /** The word's tokens, or null when one of its characters is not in the vocabulary. */
  encode(word: string): WordEncoding | null {
    const n = word.length;
    if (n === 0) return { ids: [], byteLengths: [] };
    if (n >= POS_BITS) throw new Error(`a word of ${n} characters is too long to encode`);
    const sym = new Int32Array(n);
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const id = this.vocab.get(word[i]);
      if (id === undefined) return null;
      sym[i] = id;
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    const heap = new NumberHeap();
    const rankAt = (i: number) => (next[i] < 0 ? -1 : this.ranks.get(sym[i], sym[next[i]]));
    const offer = (i: number) => {
      const r = rankAt(i);
      if (r >= 0) heap.push(r * POS_BITS + i);
    };
    for (let i = 0; i + 1 < n; i++) offer(i);
    while (heap.size > 0) {
      const entry = heap.pop();
      const i = entry % POS_BITS;
      const r = (entry - i) / POS_BITS;
      // Stale entries (the pair at i has changed since) are skipped; sym[i] < 0 marks a merged-away node.
      if (sym[i] < 0 || rankAt(i) !== r) continue;
      const j = next[i];
      if (this.mergedId[r] < 0) return null;
      sym[i] = this.mergedId[r];
      sym[j] = -1;
      next[i] = next[j];
      if (next[j] >= 0) prev[next[j]] = i;
      if (prev[i] >= 0) offer(prev[i]);
      offer(i);
    }
    const ids: number[] = [];
    const byteLengths: number[] = [];
    for (let i = 0; i >= 0; i = next[i]) {
      ids.push(sym[i]);
      byteLengths.push(this.tokenLength[sym[i]]);
    }
    return { ids, byteLengths };
  }
}
