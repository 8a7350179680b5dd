// Packs graph weights into external-data shards of bounded size. A shard is handed to its output as
// soon as it is full, so a conversion holds at most one shard (plus the tensor being written). A tensor
// larger than the limit gets a shard of its own: onnxruntime reads an initializer from ONE file.
import type { ExternalRef, WeightSink } from './onnx/graph.ts';
import type { ShardInfo } from '../store/manifest.ts';
import { sha256Hex } from '../store/fileHash.ts';

export type { ShardInfo } from '../store/manifest.ts';

export type ShardOutput = (file: string, bytes: Uint8Array) => Promise<void>;

export { sha256Hex } from '../store/fileHash.ts';

const ALIGN = 64; // keeps every tensor's offset aligned for direct typed-array views

export class ShardWriter implements WeightSink {
  private chunks: Uint8Array[] = [];
  private size = 0;
  private index = 0;
  private pending: Promise<ShardInfo>[] = [];

  constructor(
    private prefix: string,
    private maxBytes: number,
    private output: ShardOutput,
  ) {}

  private fileName(i: number): string {
    return `${this.prefix}-${String(i).padStart(3, '0')}.bin`;
  }

  write(_name: string, bytes: Uint8Array): ExternalRef {
    let pad = (ALIGN - (this.size % ALIGN)) % ALIGN;
    if (this.size + pad + bytes.length > this.maxBytes) {
      this.seal();
      pad = 0;
    }
    if (pad) this.chunks.push(new Uint8Array(pad));
    const offset = this.size + pad;
    this.chunks.push(bytes.slice());
    this.size = offset + bytes.length;
    const ref = { location: this.fileName(this.index), offset, length: bytes.length };
    if (this.size > this.maxBytes) this.seal();
    return ref;
  }

  /** Starts the next write in a new shard (a part that must not share its file). */
  endShard(): void {
    this.seal();
  }

  private seal(): void {
    if (this.size === 0) return;
    const data = new Uint8Array(this.size);
    let off = 0;
    for (const c of this.chunks) {
      data.set(c, off);
      off += c.length;
    }
    const file = this.fileName(this.index);
    this.chunks = [];
    this.size = 0;
    this.index++;
    this.pending.push(
      (async () => {
        const sha256 = await sha256Hex(data);
        await this.output(file, data);
        return { file, bytes: data.length, sha256 };
      })(),
    );
  }

  /** Seals the last shard and waits until every shard has been written. */
  async finish(): Promise<ShardInfo[]> {
    this.seal();
    return Promise.all(this.pending);
  }
}
