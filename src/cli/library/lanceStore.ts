// The Node library index: a LanceDB table (pinned @lancedb/lancedb 0.31.0), so the same data can move
// to LanceDB on object storage when one machine is not enough, and N processes (`sift index --shard
// i/N`) can append to one table. Vectors are float16; search is LanceDB's exact (flat) cosine scan.
import type { Connection, Table } from '@lancedb/lancedb';
import { Binary, Field, FixedSizeList, Float16, Float64, Int32, Schema, Utf8 } from 'apache-arrow';
import type { IndexedFile, LibraryEntry, LibraryHit, LibraryMeta, LibraryStore } from '../../store/libraryIndex.ts';
import { LibraryError } from '../../store/libraryIndex.ts';
import type { LibraryKind } from '../../store/libraryIndex.ts';

const ITEMS = 'items';
const META = 'meta';

async function lancedb() {
  // Lance logs at warn level on stderr (e.g. "No existing dataset … it will be created" for every new table); errors still show.
  process.env.LANCEDB_LOG ??= 'error';
  try {
    return await import('@lancedb/lancedb');
  } catch (err) {
    throw new Error(`the Node library index needs @lancedb/lancedb (${(err as Error).message}): run npm ci`);
  }
}

function itemSchema(dims: number): Schema {
  const f = (name: string, type: ConstructorParameters<typeof Field>[1], nullable = false) => new Field(name, type, nullable);
  return new Schema([
    f('path', new Utf8()),
    f('kind', new Utf8()),
    f('size', new Float64()),
    f('mtime_ms', new Float64()),
    f('hash', new Utf8()),
    f('segment', new Int32()),
    f('segments', new Int32()),
    f('start', new Float64(), true),
    f('end', new Float64(), true),
    f('duration', new Float64(), true),
    f('thumbnail', new Binary(), true),
    f('vector', new FixedSizeList(dims, new Field('item', new Float16(), true))),
  ]);
}

/**
 * The values as apache-arrow 18 can store as float16: its converter turns |x| < 2^-25 into −Infinity
 * (a unit vector of 2048 values has one such value about once in 500 vectors, and LanceDB then refuses
 * the whole table's search with "Vector column contains NaN values"). Those values round to 0 in float16
 * anyway, so they are written as 0.
 */
export function float16Safe(v: Float32Array): number[] {
  return Array.from(v, (x) => (Math.abs(x) < 2 ** -25 ? 0 : x));
}

const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`;

type Row = Record<string, unknown>;

function entryOf(r: Row): Omit<LibraryEntry, 'vector'> {
  const opt = (k: string) => (r[k] === null || r[k] === undefined ? {} : { [k]: Number(r[k]) });
  return {
    path: String(r.path),
    kind: String(r.kind) as LibraryKind,
    size: Number(r.size),
    mtimeMs: Number(r.mtime_ms),
    hash: String(r.hash),
    segment: Number(r.segment),
    segments: Number(r.segments),
    ...opt('start'),
    ...opt('end'),
    ...opt('duration'),
    ...(r.thumbnail ? { thumbnail: new Uint8Array(r.thumbnail as Uint8Array) } : {}),
  };
}

export class LanceLibraryStore implements LibraryStore {
  private constructor(
    private db: Connection,
    private items: Table | null,
  ) {}

  /** Opens (or prepares to create) the index at `uri` (a directory, or an object-store URI). */
  static async open(uri: string): Promise<LanceLibraryStore> {
    const { connect } = await lancedb();
    const db = await connect(uri);
    const names = await db.tableNames();
    return new LanceLibraryStore(db, names.includes(ITEMS) ? await db.openTable(ITEMS) : null);
  }

  async meta(): Promise<LibraryMeta | null> {
    if (!(await this.db.tableNames()).includes(META)) return null;
    const rows = await (await this.db.openTable(META)).query().toArray();
    return rows.length ? (JSON.parse(String(rows[0].json)) as LibraryMeta) : null;
  }

  async setMeta(meta: LibraryMeta): Promise<void> {
    const same = (m: LibraryMeta | null) => m !== null && JSON.stringify(m) === JSON.stringify(meta);
    if (!same(await this.meta())) {
      try {
        await this.db.createTable(META, [{ json: JSON.stringify(meta) }], { mode: 'overwrite' });
      } catch (err) {
        // Another shard wrote the same meta at the same moment: its commit stands.
        if (!same(await this.meta())) throw new LibraryError('bad-library', `cannot write the index's meta: ${(err as Error).message}`);
      }
    }
    // Another process (a shard) may have created the table since this store was opened.
    if (!this.items) this.items = await this.itemsTable(meta.dims);
  }

  private async itemsTable(dims: number): Promise<Table> {
    if ((await this.db.tableNames()).includes(ITEMS)) return this.db.openTable(ITEMS);
    try {
      return await this.db.createEmptyTable(ITEMS, itemSchema(dims), { existOk: true });
    } catch (err) {
      // Created by another shard between the two calls.
      if ((await this.db.tableNames()).includes(ITEMS)) return this.db.openTable(ITEMS);
      throw new LibraryError('bad-library', `cannot create the index table: ${(err as Error).message}`);
    }
  }

  /** Drops every entry and the meta (sift index --reindex). */
  async clear(): Promise<void> {
    for (const name of await this.db.tableNames()) await this.db.dropTable(name);
    this.items = null;
  }

  async files(): Promise<Map<string, IndexedFile>> {
    const out = new Map<string, IndexedFile>();
    if (!this.items) return out;
    const rows = await this.items.query().select(['path', 'size', 'mtime_ms', 'hash', 'segments']).toArray();
    for (const r of rows) {
      const path = String(r.path);
      const f = out.get(path);
      if (f) f.stored++;
      else
        out.set(path, {
          path,
          size: Number(r.size),
          mtimeMs: Number(r.mtime_ms),
          hash: String(r.hash),
          segments: Number(r.segments),
          stored: 1,
        });
    }
    return out;
  }

  async putFile(path: string, entries: LibraryEntry[]): Promise<void> {
    const table = this.table();
    // Delete, then add every entry in one commit: an interruption leaves the file absent (indexed again next run), never half there.
    await table.delete(`path = ${sqlString(path)}`);
    await table.add(
      entries.map((e) => ({
        path: e.path,
        kind: e.kind,
        size: e.size,
        mtime_ms: e.mtimeMs,
        hash: e.hash,
        segment: e.segment,
        segments: e.segments,
        start: e.start ?? null,
        end: e.end ?? null,
        duration: e.duration ?? null,
        thumbnail: e.thumbnail ?? null,
        vector: float16Safe(e.vector),
      })),
    );
  }

  async removeFiles(paths: string[]): Promise<void> {
    if (!this.items) return;
    for (let i = 0; i < paths.length; i += 500)
      await this.items.delete(
        `path IN (${paths
          .slice(i, i + 500)
          .map(sqlString)
          .join(', ')})`,
      );
  }

  async touchFile(path: string, size: number, mtimeMs: number): Promise<void> {
    await this.table().update({ where: `path = ${sqlString(path)}`, values: { size, mtime_ms: mtimeMs } });
  }

  /** Merges the small fragments per-file writes leave and drops versions older than a minute. */
  async compact(): Promise<void> {
    await this.items?.optimize({ cleanupOlderThan: new Date(Date.now() - 60_000) });
  }

  async count(): Promise<number> {
    return this.items ? this.items.countRows() : 0;
  }

  async search(query: Float32Array, k: number): Promise<LibraryHit[]> {
    if (!this.items) return [];
    const rows = await this.items
      .vectorSearch(Array.from(query))
      .distanceType('cosine')
      .bypassVectorIndex() // exact: every stored vector is compared
      .limit(k)
      .toArray();
    return rows.map((r: Row) => ({ entry: entryOf(r), similarity: 1 - Number(r._distance) }));
  }

  private table(): Table {
    if (!this.items) throw new LibraryError('bad-library', 'the index has no table yet (setMeta first)');
    return this.items;
  }
}
