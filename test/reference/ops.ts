// Dense building blocks on row-major Float32Arrays. Storage is float32 like the HF model run in
// fp32; dot products and reductions accumulate in float64 (JS numbers) and round once when stored.

/** y[r, o] = Σ_i x[r, i]·W[o, i] (+ b[o]) — nn.Linear with W row-major [out, in]. */
export function linear(x: Float32Array, rows: number, inDim: number, W: Float32Array, outDim: number, b?: Float32Array): Float32Array {
  if (x.length !== rows * inDim) throw new Error(`linear: input has ${x.length} values, expected ${rows}×${inDim}`);
  if (W.length !== outDim * inDim) throw new Error(`linear: weight has ${W.length} values, expected ${outDim}×${inDim}`);
  const y = new Float32Array(rows * outDim);
  for (let r = 0; r < rows; r++) {
    const xo = r * inDim;
    for (let o = 0; o < outDim; o++) {
      const wo = o * inDim;
      let acc = 0;
      for (let i = 0; i < inDim; i++) acc += x[xo + i] * W[wo + i];
      y[r * outDim + o] = b ? acc + b[o] : acc;
    }
  }
  return y;
}

/** nn.LayerNorm over the last dim (biased variance, eps inside the sqrt). */
export function layerNorm(x: Float32Array, rows: number, dim: number, weight: Float32Array, bias: Float32Array, eps: number): Float32Array {
  const y = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    const o = r * dim;
    let mean = 0;
    for (let i = 0; i < dim; i++) mean += x[o + i];
    mean /= dim;
    let v = 0;
    for (let i = 0; i < dim; i++) v += (x[o + i] - mean) ** 2;
    v /= dim;
    const inv = 1 / Math.sqrt(v + eps);
    for (let i = 0; i < dim; i++) y[o + i] = (x[o + i] - mean) * inv * weight[i] + bias[i];
  }
  return y;
}

/**
 * Qwen3VLTextRMSNorm: x · rsqrt(mean(x²) + eps), computed in fp32, then times the weight
 * (no "1 + weight" offset, no bias). Used for whole rows and, via `dim`, for each head.
 */
export function rmsNorm(x: Float32Array, rows: number, dim: number, weight: Float32Array, eps: number): Float32Array {
  const y = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    const o = r * dim;
    let ss = 0;
    for (let i = 0; i < dim; i++) ss += x[o + i] * x[o + i];
    // HF rounds the normalised value to the input dtype before the weight multiply; in fp32 that
    // is one rounding, which storing into the Float32Array below reproduces to within an ulp.
    const inv = 1 / Math.sqrt(ss / dim + eps);
    for (let i = 0; i < dim; i++) y[o + i] = weight[i] * Math.fround(x[o + i] * inv);
  }
  return y;
}

/** Element-wise map into a new array. */
export function mapArray(x: Float32Array, f: (v: number) => number): Float32Array {
  const y = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = f(x[i]);
  return y;
}

/** a + b element-wise (residual connections). */
export function add(a: Float32Array, b: Float32Array): Float32Array {
  if (a.length !== b.length) throw new Error(`add: lengths ${a.length} and ${b.length} differ`);
  const y = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) y[i] = a[i] + b[i];
  return y;
}

/**
 * rotate_half RoPE on one head vector in place: out = v·cos + rotate_half(v)·sin, where
 * rotate_half(v) = cat(−v[D/2:], v[:D/2]). cos/sin are the full head_dim rows (cat(f, f) layout).
 */
export function applyRotaryInPlace(
  v: Float32Array,
  offset: number,
  dim: number,
  cos: Float32Array,
  sin: Float32Array,
  csOffset: number,
): void {
  const half = dim / 2;
  const tmp = new Float64Array(dim);
  for (let d = 0; d < dim; d++) {
    const rot = d < half ? -v[offset + d + half] : v[offset + d - half];
    tmp[d] = v[offset + d] * cos[csOffset + d] + rot * sin[csOffset + d];
  }
  for (let d = 0; d < dim; d++) v[offset + d] = tmp[d];
}

/** One head's vectors inside a row-major matrix: row r's vector starts at r·stride + col. */
export interface HeadView {
  data: Float32Array;
  stride: number;
  col: number;
}

/**
 * Scaled dot-product attention for one head. Rows r in [start, end) attend to keys
 * [start, end) — or, when causal, to keys [start, r]. Scores and softmax in float64.
 */
export function attendHead(
  q: HeadView,
  k: HeadView,
  v: HeadView,
  out: HeadView,
  headDim: number,
  start: number,
  end: number,
  causal: boolean,
  scale: number,
): void {
  const scores = new Float64Array(end - start);
  const acc = new Float64Array(headDim);
  for (let r = start; r < end; r++) {
    const last = causal ? r : end - 1;
    const qo = r * q.stride + q.col;
    let max = -Infinity;
    for (let j = start; j <= last; j++) {
      const ko = j * k.stride + k.col;
      let s = 0;
      for (let d = 0; d < headDim; d++) s += q.data[qo + d] * k.data[ko + d];
      s *= scale;
      scores[j - start] = s;
      if (s > max) max = s;
    }
    let denom = 0;
    for (let j = start; j <= last; j++) {
      const e = Math.exp(scores[j - start] - max);
      scores[j - start] = e;
      denom += e;
    }
    acc.fill(0);
    for (let j = start; j <= last; j++) {
      const p = scores[j - start] / denom;
      const vo = j * v.stride + v.col;
      for (let d = 0; d < headDim; d++) acc[d] += p * v.data[vo + d];
    }
    const oo = r * out.stride + out.col;
    for (let d = 0; d < headDim; d++) out.data[oo + d] = acc[d];
  }
}
