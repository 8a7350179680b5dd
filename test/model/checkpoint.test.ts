// The streaming safetensors reader: dtype widening, headers, shards, row reads, and the same
// checkpoint read from disk and over HTTP Range requests — plus the errors a user would hit.
import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bf16ToFloat32,
  f16BitsToNumber,
  f16ToFloat32,
  f32ToFloat32,
  float32ArrayToBf16,
  float32ToBf16Bits,
} from '../../src/model/checkpoint/dtypes.ts';
import { fileListLocation, MapLocation, UrlLocation } from '../../src/model/checkpoint/locations.ts';
import { NodeDirLocation } from '../../src/model/checkpoint/nodeFiles.ts';
import { type Checkpoint, openCheckpoint } from '../../src/model/checkpoint/open.ts';
import { readSafetensorsHeader } from '../../src/model/checkpoint/safetensors.ts';
import { encodeSafetensors } from '../../src/model/checkpoint/safetensorsWriter.ts';
import { HttpRangeSource, MemorySource } from '../../src/model/checkpoint/sources.ts';
import { textNames } from '../../src/model/names.ts';
import { makeTinyCheckpoint } from '../../src/model/tiny.ts';
import { resolveSizes, tinyConfigJson } from '../../src/model/tinyConfig.ts';
import { writeTinyCheckpoint } from '../../src/cli/tiny.ts';

const u16bytes = (bits: number[]) => new Uint8Array(new Uint16Array(bits).buffer);
const configBytes = new TextEncoder().encode(JSON.stringify(tinyConfigJson(resolveSizes())));

describe('dtype widening', () => {
  it('bf16 bit patterns convert exactly', () => {
    const cases: [number, number][] = [
      [0x3f80, 1],
      [0xbf80, -1],
      [0x4049, 3.140625],
      [0x0080, 2 ** -126], // smallest normal
      [0x0001, 2 ** -133], // smallest subnormal
      [0x007f, 127 * 2 ** -133], // largest subnormal
      [0x7f7f, 255 * 2 ** 120], // largest finite
      [0x7f80, Infinity],
      [0xff80, -Infinity],
    ];
    const out = bf16ToFloat32(u16bytes(cases.map((c) => c[0])));
    cases.forEach(([, v], i) => expect(out[i]).toBe(v));
    const special = bf16ToFloat32(u16bytes([0x7fc0, 0xffc1, 0x8000, 0x0000]));
    expect(Number.isNaN(special[0])).toBe(true);
    expect(Number.isNaN(special[1])).toBe(true);
    expect(Object.is(special[2], -0)).toBe(true);
    expect(Object.is(special[3], 0)).toBe(true);
  });

  it('f16 bit patterns convert exactly, subnormals included', () => {
    const cases: [number, number][] = [
      [0x3c00, 1],
      [0xc000, -2],
      [0x3555, 0.333251953125],
      [0x0001, 2 ** -24], // smallest subnormal
      [0x03ff, 1023 * 2 ** -24], // largest subnormal
      [0x0400, 2 ** -14], // smallest normal
      [0x7bff, 65504], // largest finite
      [0x7c00, Infinity],
      [0xfc00, -Infinity],
      [0x8001, -(2 ** -24)],
    ];
    const out = f16ToFloat32(u16bytes(cases.map((c) => c[0])));
    cases.forEach(([, v], i) => expect(out[i]).toBe(v));
    expect(Number.isNaN(f16BitsToNumber(0x7e00))).toBe(true);
    expect(Number.isNaN(f16BitsToNumber(0xfc01))).toBe(true);
    expect(Object.is(f16ToFloat32(u16bytes([0x8000]))[0], -0)).toBe(true);
  });

  it('f32 bytes copy exactly, also from unaligned offsets and into an offset', () => {
    const src = new Float32Array([1.5, -2.25, 3e-40, NaN]);
    const padded = new Uint8Array(17);
    padded.set(new Uint8Array(src.buffer), 1);
    const out = new Float32Array(6);
    f32ToFloat32(padded.subarray(1), out, 2);
    expect(Array.from(out.subarray(2, 5))).toEqual([1.5, -2.25, Math.fround(3e-40)]);
    expect(Number.isNaN(out[5])).toBe(true);
    const odd = new Uint8Array(5);
    odd.set(u16bytes([0x3f80, 0xc000]), 1);
    expect(Array.from(bf16ToFloat32(odd.subarray(1)))).toEqual([1, -2]);
  });

  it('bf16 rounding is to nearest, ties to even, and round-trips every pattern', () => {
    expect(float32ToBf16Bits(1 + 2 ** -8)).toBe(0x3f80); // tie, even stays
    expect(float32ToBf16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82); // tie, rounds up to even
    expect(float32ToBf16Bits(1 + 2 ** -8 + 2 ** -20)).toBe(0x3f81); // above the tie
    expect(float32ToBf16Bits(Infinity)).toBe(0x7f80);
    expect(Number.isNaN(bf16ToFloat32(u16bytes([float32ToBf16Bits(NaN)]))[0])).toBe(true);
    const all = new Uint16Array(65536).map((_, i) => i);
    const widened = bf16ToFloat32(new Uint8Array(all.buffer));
    const back = float32ArrayToBf16(widened);
    for (let i = 0; i < 65536; i++) {
      const isNaN = (i & 0x7f80) === 0x7f80 && (i & 0x7f) !== 0;
      if (!isNaN && back[i] !== i) throw new Error(`bf16 0x${i.toString(16)} did not round-trip`);
    }
  });
});

/** A small mixed-dtype file plus config.json, as an in-memory location. */
function mixedCheckpoint() {
  const bf = u16bytes([0x3f80, 0x4000, 0x4040, 0x4080, 0x40a0, 0x40c0]); // 1..6
  const half = u16bytes([0x3c00, 0x0001]);
  const f32 = new Uint8Array(new Float32Array([0.5, -0.25, 8]).buffer);
  const i32 = new Uint8Array(new Int32Array([7]).buffer);
  const file = encodeSafetensors([
    { name: 'a.bf16', dtype: 'BF16', shape: [3, 2], data: bf },
    { name: 'b.f16', dtype: 'F16', shape: [2], data: half },
    { name: 'c.f32', dtype: 'F32', shape: [3, 1], data: f32 },
    { name: 'd.i32', dtype: 'I32', shape: [1], data: i32 },
  ]);
  return {
    file,
    location: (f = file) =>
      new MapLocation([
        ['config.json', configBytes],
        ['model.safetensors', f],
      ]),
  };
}

/** Rewrites a file's header JSON (keeping it the same length) and length field. */
function withHeader(file: Uint8Array, edit: (json: string) => string, length?: bigint): Uint8Array {
  const out = file.slice();
  const view = new DataView(out.buffer);
  const n = Number(view.getBigUint64(0, true));
  const text = edit(new TextDecoder().decode(out.subarray(8, 8 + n)));
  const bytes = new TextEncoder().encode(text.padEnd(n, ' '));
  out.set(bytes.subarray(0, n), 8);
  if (length !== undefined) view.setBigUint64(0, length, true);
  return out;
}

describe('safetensors header and tensor reads', () => {
  it('parses the header: dtypes, shapes, absolute offsets, 8-byte aligned data', async () => {
    const { file } = mixedCheckpoint();
    const header = await readSafetensorsHeader(new MemorySource('m.safetensors', file));
    expect(header.dataStart % 8).toBe(0);
    expect(header.metadata).toEqual({ format: 'pt' });
    const a = header.tensors.find((t) => t.name === 'a.bf16')!;
    expect(a).toMatchObject({ dtype: 'BF16', shape: [3, 2], begin: header.dataStart, end: header.dataStart + 12 });
  });

  it('reads tensors and rows of every float dtype', async () => {
    const ck = await openCheckpoint(mixedCheckpoint().location());
    expect(Array.from(await ck.readTensor('a.bf16'))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(await ck.readRows('a.bf16', 1, 2))).toEqual([3, 4, 5, 6]);
    expect(Array.from(await ck.readTensor('b.f16'))).toEqual([1, 2 ** -24]);
    expect(Array.from(await ck.readRows('c.f32', 2, 1))).toEqual([8]);
    expect(ck.shape('a.bf16')).toEqual([3, 2]);
    expect(ck.tensorBytes('c.f32')).toBe(12);
    await expect(ck.readTensor('d.i32')).rejects.toThrow(/"d\.i32" has dtype I32, unsupported/);
    await expect(ck.readRows('a.bf16', 2, 2)).rejects.toThrow(/rows 2\.\.3 requested, it has 3/);
    await expect(ck.readTensor('nope')).rejects.toThrow(/no tensor "nope"/);
  });

  it('rejects an absurd header length', async () => {
    const { file, location } = mixedCheckpoint();
    await expect(openCheckpoint(location(withHeader(file, (j) => j, 1n << 40n)))).rejects.toThrow(
      /model\.safetensors: header length 1099511627776 is absurd/,
    );
  });

  it('rejects a header that is not JSON', async () => {
    const { file, location } = mixedCheckpoint();
    await expect(openCheckpoint(location(withHeader(file, (j) => `{oops${j.slice(5)}`)))).rejects.toThrow(
      /model\.safetensors: header is not valid JSON/,
    );
  });

  it('rejects a truncated file, naming the tensor whose bytes are missing', async () => {
    const { file, location } = mixedCheckpoint();
    await expect(openCheckpoint(location(file.subarray(0, file.length - 3)))).rejects.toThrow(
      /model\.safetensors: tensor "d\.i32": bytes 28–32 of the data section are out of range .*truncated/,
    );
    await expect(openCheckpoint(location(file.subarray(0, 40)))).rejects.toThrow(/header says \d+ bytes .*truncated/);
    await expect(openCheckpoint(location(file.subarray(0, 5)))).rejects.toThrow(/only 5 bytes, too short .*truncated/);
  });

  it('rejects offsets that do not match the shape', async () => {
    const { file, location } = mixedCheckpoint();
    const bad = withHeader(file, (j) => j.replace('"shape":[3,2]', '"shape":[2,2]'));
    await expect(openCheckpoint(location(bad))).rejects.toThrow(/"a\.bf16": BF16 \[2,2\] needs 8 bytes but data_offsets span 12/);
  });
});

describe('sharded checkpoints', () => {
  const single = makeTinyCheckpoint({ seed: 3 });
  const sharded = makeTinyCheckpoint({ seed: 3, maxShardBytes: 200_000 });

  it('reads through model.safetensors.index.json, identically to the single file', async () => {
    const shardNames = [...sharded.keys()].filter((n) => n.endsWith('.safetensors'));
    expect(shardNames.length).toBeGreaterThan(2);
    expect(shardNames[0]).toMatch(/^model-00001-of-000\d\d\.safetensors$/);
    const a = await openCheckpoint(new MapLocation(single));
    const b = await openCheckpoint(new MapLocation(sharded));
    expect(b.files).toEqual(shardNames);
    expect([...b.tensors.keys()].sort()).toEqual([...a.tensors.keys()].sort());
    for (const name of a.tensors.keys()) {
      expect(Buffer.from(await b.readTensorBytes(name)).equals(Buffer.from(await a.readTensorBytes(name)))).toBe(true);
    }
  });

  it('reports a tensor the index names but the shard lacks', async () => {
    const files = new Map(sharded);
    const index = JSON.parse(new TextDecoder().decode(files.get('model.safetensors.index.json')!));
    const first = Object.values(index.weight_map)[0] as string;
    index.weight_map['model.language_model.layers.99.mlp.up_proj.weight'] = first;
    files.set('model.safetensors.index.json', new TextEncoder().encode(JSON.stringify(index)));
    await expect(openCheckpoint(new MapLocation(files))).rejects.toThrow(
      new RegExp(
        `maps tensor "model\\.language_model\\.layers\\.99\\.mlp\\.up_proj\\.weight" to ${first.replace(/\./g, '\\.')}, but .* has no such tensor`,
      ),
    );
  });

  it('reads browser Files (a directory pick) like bytes', async () => {
    const picked = [...sharded].map(([name, bytes]) => {
      const file = new File([bytes], name);
      Object.defineProperty(file, 'webkitRelativePath', { value: `Qwen3-VL-Reranker-2B/${name}` });
      return file;
    });
    const a = await openCheckpoint(new MapLocation(sharded));
    const b = await openCheckpoint(fileListLocation(picked));
    expect(b.hasFile('chat_template.json')).toBe(true);
    for (const name of [textNames.finalNorm, textNames.layer(2).o]) {
      expect(Array.from(await b.readTensor(name))).toEqual(Array.from(await a.readTensor(name)));
    }
    expect(Array.from(await b.readRows(textNames.embed, 2152, 1))).toEqual(Array.from(await a.readRows(textNames.embed, 2152, 1)));
  });

  it('reads rows of the embedding table without reading the table', async () => {
    const ck = await openCheckpoint(new MapLocation(sharded));
    const [rows, cols] = ck.shape(textNames.embed);
    const whole = await ck.readTensor(textNames.embed);
    for (const r of [0, 2152, 9693, rows - 1]) {
      expect(Array.from(await ck.readRows(textNames.embed, r, 1))).toEqual(Array.from(whole.subarray(r * cols, (r + 1) * cols)));
    }
    const block = await ck.readRows(textNames.embed, 100, 7);
    expect(Array.from(block)).toEqual(Array.from(whole.subarray(100 * cols, 107 * cols)));
  });
});

type ServerMode = 'range' | 'ignore-range' | 'flaky';

/** A static file server on 127.0.0.1 that honours (or ignores) Range requests. */
async function startServer(dir: string, mode: ServerMode) {
  let requests = 0;
  const server: Server = createServer(async (req, res) => {
    requests++;
    if (mode === 'flaky' && requests % 2 === 1) {
      res.writeHead(503).end();
      return;
    }
    let body: Buffer;
    try {
      body = await readFile(join(dir, decodeURIComponent(new URL(req.url!, 'http://x').pathname.slice(1))));
    } catch {
      res.writeHead(404).end();
      return;
    }
    const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    if (mode === 'ignore-range' || !m) {
      res.writeHead(200, { 'Content-Length': body.length }).end(body);
      return;
    }
    const start = Number(m[1]);
    const end = Math.min(Number(m[2]), body.length - 1);
    if (start >= body.length) {
      res.writeHead(416, { 'Content-Range': `bytes */${body.length}` }).end();
      return;
    }
    res
      .writeHead(206, { 'Content-Range': `bytes ${start}-${end}/${body.length}`, 'Content-Length': end - start + 1 })
      .end(body.subarray(start, end + 1));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // keep-alive sockets would hold close() for seconds
      }),
  };
}

describe('Node files and HTTP Range requests', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sift-ckpt-'));
    await writeTinyCheckpoint(join(dir, 'tiny'), { seed: 11, maxShardBytes: 300_000 });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads byte-identical tensors and files from disk and over HTTP', async () => {
    const server = await startServer(join(dir, 'tiny'), 'range');
    let local: Checkpoint | null = null;
    try {
      local = await openCheckpoint(new NodeDirLocation(join(dir, 'tiny')));
      const remote = await openCheckpoint(new UrlLocation(server.url, { retryDelayMs: 1 }));
      expect(remote.config).toEqual(local.config);
      expect(remote.files).toEqual(local.files);
      expect(remote.files.length).toBeGreaterThan(1);
      expect([...remote.tensors.values()]).toEqual([...local.tensors.values()]);
      for (const name of local.tensors.keys()) {
        const a = await local.readTensorBytes(name);
        const b = await remote.readTensorBytes(name);
        if (!Buffer.from(a).equals(Buffer.from(b))) throw new Error(`tensor ${name} differs over HTTP`);
      }
      const name = textNames.layer(1).q;
      expect(Array.from(await remote.readTensor(name))).toEqual(Array.from(await local.readTensor(name)));
      expect(Array.from(await remote.readRows(textNames.embed, 9693, 2))).toEqual(
        Array.from(await local.readRows(textNames.embed, 9693, 2)),
      );
      for (const f of ['tokenizer.json', 'chat_template.json', 'preprocessor_config.json']) {
        expect(remote.hasFile(f)).toBe(true);
        expect(local.hasFile(f)).toBe(true);
        expect(Buffer.from(await remote.readFile(f)).equals(Buffer.from(await local.readFile(f)))).toBe(true);
      }
      expect(remote.hasFile('generation_config.json')).toBe(false);
      await expect(remote.readFile('missing.json')).rejects.toThrow(/file "missing\.json" not found/);
    } finally {
      await local?.close();
      await server.close();
    }
  });

  it('fails clearly when the server ignores Range', async () => {
    const server = await startServer(join(dir, 'tiny'), 'ignore-range');
    try {
      await expect(openCheckpoint(new UrlLocation(server.url, { retryDelayMs: 1 }))).rejects.toThrow(
        /server ignored the Range header \(answered 200 to bytes=0-7\).*range requests/,
      );
    } finally {
      await server.close();
    }
  });

  it('retries transient server errors and reports error statuses', async () => {
    const server = await startServer(join(dir, 'tiny'), 'flaky');
    try {
      const src = new HttpRangeSource(`${server.url}config.json`, { retryDelayMs: 1 });
      const bytes = await src.read(0, await src.size());
      expect(JSON.parse(new TextDecoder().decode(bytes)).model_type).toBe('qwen3_vl');
      expect(server.requests()).toBe(4); // each of the two requests failed once with 503
      const once = new HttpRangeSource(`${server.url}config.json`, { retryDelayMs: 1, attempts: 1 });
      await expect(once.size()).rejects.toThrow(/HTTP 503 .* for Range bytes=0-0/);
    } finally {
      await server.close();
    }
  });

  it('reports network failures after retrying', async () => {
    const server = await startServer(join(dir, 'tiny'), 'range');
    const url = server.url;
    await server.close();
    const src = new HttpRangeSource(`${url}config.json`, { retryDelayMs: 1, attempts: 2 });
    await expect(src.size()).rejects.toThrow(/config\.json: size request failed after 2 attempt\(s\)/);
  });

  it('reports a truncated file on disk', async () => {
    const copy = join(dir, 'cut');
    await writeTinyCheckpoint(copy, { seed: 1 });
    await truncate(join(copy, 'model.safetensors'), 1_000_000);
    await expect(openCheckpoint(new NodeDirLocation(copy))).rejects.toThrow(
      /cut\/model\.safetensors: tensor ".*": bytes .* out of range .*truncated/,
    );
    await writeFile(join(copy, 'model.safetensors'), new Uint8Array(3));
    await expect(openCheckpoint(new NodeDirLocation(copy))).rejects.toThrow(/only 3 bytes/);
  });
});
