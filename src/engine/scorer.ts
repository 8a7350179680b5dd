// Scores documents against one query: the query prefix runs once and its KV cache is reused; short
// documents are packed into one decoder call (each sees the prefix and itself, never its neighbours);
// long ones run alone in chunks. A document that fails is retried alone and fails alone.
import { KvCache } from './kvcache.ts';
import { ropePositions, textRotary, type Grid } from './rope.ts';
import { runDecoder, runVision, type DecoderResult, type LoadedModel, type VisionOutput } from './session.ts';
import { modelIdentity, visionCacheOf, visionKey, type VisionCache } from './visionCache.ts';

export interface VisionItem {
  patches: Float32Array;
  grid: Grid;
}

/** A full prompt (query + document) as token ids, with its images and videos in pad order. */
export interface PromptInput {
  ids: number[];
  images: VisionItem[];
  videos: VisionItem[];
}

export interface DocScore {
  score: number | null;
  logit: number | null;
  /** An embedding model's output for the prompt's last token: final_norm(h), not yet normalised. */
  vector?: Float32Array;
  error?: string;
  /** The failure's stable code, when the error thrown had one (e.g. a prompt error's). */
  code?: string;
  ms: number;
}

export interface ScoreOptions {
  /** Reuse the query prefix's KV cache (default true); false scores each full prompt from scratch. */
  reusePrefix?: boolean;
  /** Most new tokens in one decoder call. */
  chunkTokens?: number;
  /** Bound on attention score memory per call (bytes). */
  attentionBytes?: number;
  onScore?: (index: number, result: DocScore) => void;
  signal?: AbortSignal;
}

const MASKED = -1e9;
const DEFAULT_ATTENTION_BYTES = 256 * 1024 * 1024;

/**
 * Lets the event loop run between decoder calls. onnxruntime's WASM runs compute synchronously and
 * resolve as microtasks, so without this a whole request runs in one macrotask and a cancel() message
 * sent to the worker is only read after every document is scored. A MessageChannel task, not
 * setTimeout: nested timeouts are clamped to 4 ms, paid once per decoder call.
 */
function yieldThenCheck(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => {
      port1.close();
      if (signal?.aborted) reject(new DOMException('scoring was cancelled', 'AbortError'));
      else resolve();
    };
    port2.postMessage(null);
  });
}

const isAbort = (e: unknown) => (e as { name?: string } | null)?.name === 'AbortError';

/** What the model says at a prompt's last token: the reranker's logit, or the embedding model's hidden state. */
interface LastToken {
  logit: number | null;
  vector?: Float32Array;
}

function lastTokenOf(r: DecoderResult, row: number, hidden: number): LastToken {
  if (r.finalHidden) return { logit: null, vector: r.finalHidden.slice(row * hidden, (row + 1) * hidden) };
  return { logit: r.logits[row] };
}

/** Where each token's embedding comes from, for one prompt. */
interface Plan {
  input: PromptInput;
  pos: [Int32Array, Int32Array, Int32Array];
  /** −1 text; else (kind << 30 | row) with kind 0 image, 1 video, row into that kind's concatenation. */
  source: Int32Array;
  shared: number; // tokens covered by the reused prefix cache
}

export interface ScorerOptions {
  /** Vision outputs kept across requests (default: the model's own, visionCacheOf); null runs the tower every time. */
  visionCache?: VisionCache | null;
}

export class Scorer {
  /** This scorer's items (the query's stay for every document); the cross-request cache sits behind it. */
  private vision = new Map<VisionItem, Promise<VisionOutput>>();
  private visionCache: VisionCache | null;
  private identity: string | null = null;

  constructor(
    private m: LoadedModel,
    opts: ScorerOptions = {},
  ) {
    this.visionCache = opts.visionCache === undefined ? visionCacheOf(m) : opts.visionCache;
  }

  private visionOf(item: VisionItem): Promise<VisionOutput> {
    let p = this.vision.get(item);
    if (!p) {
      p = this.cachedVision(item);
      this.vision.set(item, p);
    }
    return p;
  }

  /** The item's vision output from the model's cache (by content, not by object), else a tower run. */
  private async cachedVision(item: VisionItem): Promise<VisionOutput> {
    const run = () => runVision(this.m, item.patches, item.grid);
    const cache = this.visionCache;
    if (!cache?.enabled) return run(); // budget 0: not even the hash is paid
    this.identity ??= modelIdentity(this.m);
    const key = await visionKey(this.identity, item.patches, item.grid);
    return key === null ? run() : cache.get(key, run);
  }

  private plan(input: PromptInput, prefixIds: number[] | null): Plan {
    const { cfg } = this.m;
    const pos = ropePositions(
      input.ids,
      input.images.map((i) => i.grid),
      input.videos.map((v) => v.grid),
      cfg,
    );
    const source = new Int32Array(input.ids.length).fill(-1);
    let img = 0;
    let vid = 0;
    input.ids.forEach((id, i) => {
      if (id === cfg.imageTokenId) source[i] = img++;
      else if (id === cfg.videoTokenId) source[i] = (1 << 30) | vid++;
    });
    let shared = 0;
    if (prefixIds) {
      const limit = Math.min(prefixIds.length, input.ids.length - 1);
      while (shared < limit && prefixIds[shared] === input.ids[shared]) shared++;
    }
    return { input, pos, source, shared };
  }

  /** inputs_embeds, DeepStack rows and rotary tables for tokens [from, to) of a plan. */
  private async segment(p: Plan, from: number, to: number) {
    const { cfg, embedding } = this.m;
    const H = cfg.text.hiddenSize;
    const nds = cfg.vision.deepstackVisualIndexes.length;
    const S = to - from;
    const embeds = embedding.rowsOf(p.input.ids.slice(from, to));
    const deepstack = new Float32Array(nds * S * H);
    const outputs = async (items: VisionItem[]) => Promise.all(items.map((it) => this.visionOf(it)));
    const needs = Array.from(p.source.subarray(from, to)).some((s) => s >= 0);
    if (needs) {
      const rows = (list: VisionOutput[]) => {
        // Row r of the concatenation → (output, local row).
        const owners: [VisionOutput, number][] = [];
        for (const o of list) for (let r = 0; r < o.tokens; r++) owners.push([o, r]);
        return owners;
      };
      const imageRows = rows(await outputs(p.input.images));
      const videoRows = rows(await outputs(p.input.videos));
      for (let s = 0; s < S; s++) {
        const src = p.source[from + s];
        if (src < 0) continue;
        const [out, r] = (src >> 30 ? videoRows : imageRows)[src & 0x3fffffff] ?? [];
        if (!out) throw new Error('the prompt has more vision pads than the vision encoder produced');
        embeds.set(out.embeds.subarray(r * H, (r + 1) * H), s * H);
        for (let d = 0; d < nds; d++) {
          deepstack.set(out.deepstack.subarray((d * out.tokens + r) * H, (d * out.tokens + r + 1) * H), (d * S + s) * H);
        }
      }
    }
    const { cos, sin } = textRotary(cfg, p.pos, from, to);
    return { embeds, deepstack, cos, sin };
  }

  /**
   * One decoder call over several (plan, range) pieces packed back to back. Piece k sees past slots
   * 1…visible[k] and, causally, its own new tokens.
   */
  private async call(past: KvCache, pieces: { plan: Plan; from: number; to: number; visible: number }[], wantPresent: boolean) {
    const { cfg } = this.m;
    const H = cfg.text.hiddenSize;
    const D = cfg.text.headDim;
    const nds = cfg.vision.deepstackVisualIndexes.length;
    const S = pieces.reduce((n, p) => n + p.to - p.from, 0);
    const P = past.length;
    const T = P + S;
    const embeds = new Float32Array(S * H);
    const deepstack = new Float32Array(nds * S * H);
    const cos = new Float32Array(S * D);
    const sin = new Float32Array(S * D);
    const bias = new Float32Array(S * T).fill(MASKED);
    let at = 0;
    for (const piece of pieces) {
      const seg = await this.segment(piece.plan, piece.from, piece.to);
      const n = piece.to - piece.from;
      embeds.set(seg.embeds, at * H);
      cos.set(seg.cos, at * D);
      sin.set(seg.sin, at * D);
      for (let d = 0; d < nds; d++) deepstack.set(seg.deepstack.subarray(d * n * H, (d + 1) * n * H), (d * S + at) * H);
      for (let r = 0; r < n; r++) {
        const row = (at + r) * T;
        bias.fill(0, row + 1, row + 1 + piece.visible);
        bias.fill(0, row + P + at, row + P + at + r + 1);
      }
      at += n;
    }
    return runDecoder(this.m, { embeds, cos, sin, bias, deepstack, past, wantPresent });
  }

  /** Extends `past` (of which slots 1…visible are this plan's) with tokens [from, to), in chunks. */
  private async extend(
    past: KvCache,
    visible: number,
    plan: Plan,
    from: number,
    to: number,
    chunk: number,
    keep: boolean,
    signal?: AbortSignal,
  ) {
    let cache = past.slice(visible + 1);
    let last: LastToken = { logit: null };
    for (let a = from; a < to; a += chunk) {
      if (a > from) await yieldThenCheck(signal); // a long prompt is many calls: stay cancellable
      const b = Math.min(to, a + chunk);
      const more = b < to || keep;
      const r = await this.call(cache, [{ plan, from: a, to: b, visible: cache.length - 1 }], more);
      last = lastTokenOf(r, b - a - 1, this.m.cfg.text.hiddenSize);
      if (more) cache = cache.append(r.keys, r.values, b - a);
    }
    return { cache, last };
  }

  private chunkFor(pastLength: number, want: number, budget: number): number {
    const heads = this.m.cfg.text.numHeads;
    let c = Math.max(1, want);
    while (c > 16 && 8 * heads * c * (pastLength + c) > budget) c = Math.floor(c / 2);
    return c;
  }

  /** One full-prompt call with nothing cached (tests compare every layer with the CPU reference). */
  async forwardFull(input: PromptInput, opts: { hidden?: boolean } = {}) {
    const plan = this.plan(input, null);
    const S = input.ids.length;
    const seg = await this.segment(plan, 0, S);
    const T = S + 1;
    const bias = new Float32Array(S * T).fill(MASKED);
    for (let r = 0; r < S; r++) bias.fill(0, r * T + 1, r * T + 2 + r);
    return runDecoder(this.m, { ...seg, bias, past: KvCache.empty(this.m.cfg), wantPresent: false, wantHidden: opts.hidden });
  }

  private prefixCache: KvCache | null = null;
  private prefixIds: number[] | null = null;
  private prefixItems = new Set<VisionItem>();

  /** Runs the shared query prefix once; later `scoreDocs` calls reuse its KV cache. */
  async setPrefix(prefix: PromptInput | null, opts: ScoreOptions = {}): Promise<void> {
    this.prefixCache = KvCache.empty(this.m.cfg);
    this.prefixIds = null;
    this.prefixItems = new Set(prefix ? [...prefix.images, ...prefix.videos] : []);
    if (!prefix || opts.reusePrefix === false) return;
    const plan = this.plan(prefix, null);
    const chunk = this.chunkFor(prefix.ids.length, opts.chunkTokens ?? 512, opts.attentionBytes ?? DEFAULT_ATTENTION_BYTES);
    this.prefixCache = (await this.extend(this.prefixCache, 0, plan, 0, prefix.ids.length, chunk, true, opts.signal)).cache;
    this.prefixIds = prefix.ids;
  }

  /** Convenience: prefix + every document in one go. */
  async score(prefix: PromptInput | null, docs: (PromptInput | Error)[], opts: ScoreOptions = {}): Promise<DocScore[]> {
    await this.setPrefix(opts.reusePrefix === false ? null : prefix, opts);
    return this.scoreDocs(docs, opts);
  }

  /** Scores documents against the current prefix; `onScore` streams each result (index into `docs`). */
  async scoreDocs(docs: (PromptInput | Error)[], opts: ScoreOptions = {}): Promise<DocScore[]> {
    const prefixCache = this.prefixCache ?? KvCache.empty(this.m.cfg);
    const budget = opts.attentionBytes ?? DEFAULT_ATTENTION_BYTES;
    const results: DocScore[] = new Array(docs.length);
    const done = (i: number, r: DocScore) => {
      results[i] = r;
      opts.onScore?.(i, r);
    };
    const pending: { index: number; plan: Plan; start: number }[] = [];
    docs.forEach((d, index) => {
      if (d instanceof Error) return done(index, { score: null, logit: null, error: d.message, ms: 0 });
      try {
        pending.push({ index, plan: this.plan(d, this.prefixIds), start: performance.now() });
      } catch (e) {
        done(index, { score: null, logit: null, error: (e as Error).message, code: (e as { code?: string }).code, ms: 0 });
      }
    });
    const chunk = this.chunkFor(prefixCache.length, opts.chunkTokens ?? 512, budget);
    const finish = (item: (typeof pending)[number], { logit, vector }: LastToken) =>
      done(item.index, { score: logit === null ? null : 1 / (1 + Math.exp(-logit)), logit, vector, ms: performance.now() - item.start });
    const solo = async (item: (typeof pending)[number]) => {
      try {
        const { plan } = item;
        const r = await this.extend(prefixCache, plan.shared, plan, plan.shared, plan.input.ids.length, chunk, false, opts.signal);
        finish(item, r.last);
      } catch (e) {
        if (isAbort(e)) throw e;
        done(item.index, {
          score: null,
          logit: null,
          error: `scoring failed: ${(e as Error).message}`,
          ms: performance.now() - item.start,
        });
      }
    };
    const suffix = (p: Plan) => p.input.ids.length - p.shared;
    try {
      let i = 0;
      while (i < pending.length) {
        await yieldThenCheck(opts.signal);
        const group = [pending[i++]];
        let tokens = suffix(group[0].plan);
        while (tokens <= chunk && i < pending.length && tokens + suffix(pending[i].plan) <= chunk) {
          tokens += suffix(pending[i].plan);
          group.push(pending[i++]);
        }
        if (group.length === 1) {
          await solo(group[0]);
          continue;
        }
        try {
          const pieces = group.map((g) => ({ plan: g.plan, from: g.plan.shared, to: g.plan.input.ids.length, visible: g.plan.shared }));
          const r = await this.call(prefixCache, pieces, false);
          let at = 0;
          group.forEach((g, k) => {
            at += pieces[k].to - pieces[k].from;
            finish(g, lastTokenOf(r, at - 1, this.m.cfg.text.hiddenSize));
          });
        } catch {
          for (const g of group) await solo(g); // isolate the failing document
        }
      }
    } finally {
      // This request needs documents' outputs no more (the query's stay for its next documents); the
      // model's vision cache keeps what its budget allows for later requests.
      for (const item of this.vision.keys()) if (!this.prefixItems.has(item)) this.vision.delete(item);
    }
    return results;
  }
}
