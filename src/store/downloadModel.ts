// Downloads a converted model (manifest.json and every file it lists) into IndexedDB. Chunks are
// stored as they arrive, so a reload, a crash or a dropped connection resumes where it stopped; each
// file is verified against its sha256 before it counts, and the version becomes "ready" only when all
// of them have. A newer version replaces an older one only once it is ready.
import type { Manifest } from './manifest.ts';
import type { ShardInfo } from './manifest.ts';
import { deleteFileChunks, getChunks, getRecord, putChunkAndRecord, putRecord, type ModelRecord } from './db.ts';
import { ModelStoreError, TransientError } from './errors.ts';
import { fetchFileIntoChunks, type ChunkSink } from './fetchChunks.ts';
import { ChunkHasher, hashStoredChunks } from './fileHash.ts';
import { etaSeconds, SpeedMeter, type DownloadPhase, type DownloadProgress } from './progress.ts';
import { assertRoomFor, explainQuotaError, requestPersistentStorage } from './quota.ts';
import { evictOtherVersions, readyModelOf, storedBytesOf, type ReadyModel } from './readModel.ts';
import { fetchManifest, fileUrl } from './remoteManifest.ts';
import { withRetries } from './retry.ts';

export const DEFAULT_CHUNK_BYTES = 8 * 1024 * 1024;

export interface DownloadOptions {
  onProgress?: (progress: DownloadProgress) => void;
  /** Told about each transient failure before the wait that precedes a retry. */
  onRetry?: (message: string, attempt: number, delayMs: number) => void;
  signal?: AbortSignal;
  fetch?: typeof fetch;
  /** Size of the stored chunks (a resumed download keeps the size it started with). */
  chunkBytes?: number;
  /** Retries of a transient failure without progress before giving up. */
  retries?: number;
  /** First backoff delay; doubles on each retry. */
  retryDelayMs?: number;
  /** Least time between two progress reports within a file. */
  progressIntervalMs?: number;
}

export interface DownloadReport {
  model: ReadyModel;
  /** Bytes received from the network by this call. */
  fetchedBytes: number;
  /** Bytes an earlier, interrupted download had already stored (not fetched again). */
  resumedBytes: number;
  seconds: number;
  /** Whether the browser agreed not to evict the stored models. */
  persisted: boolean;
}

/** Throttled progress reports with speed and time left. */
class ProgressReporter {
  private meter = new SpeedMeter();
  private lastReport = 0;
  /** Received bytes not yet part of a stored chunk. */
  pending = 0;
  fetched = 0;
  fileIndex = 0;
  file = '';

  constructor(
    private record: ModelRecord,
    private onProgress: ((p: DownloadProgress) => void) | undefined,
    private intervalMs: number,
  ) {}

  received(n: number): void {
    this.pending += n;
    this.fetched += n;
    this.meter.add(n, performance.now());
    this.report('downloading', false);
  }

  report(phase: DownloadPhase, force = true): void {
    if (!this.onProgress) return;
    const now = performance.now();
    if (!force && now - this.lastReport < this.intervalMs) return;
    this.lastReport = now;
    const total = this.record.totalBytes;
    const done = Math.min(total, storedBytesOf(this.record) + this.pending);
    const bytesPerSecond = this.meter.bytesPerSecond(now);
    this.onProgress({
      id: this.record.id,
      version: this.record.version,
      phase,
      bytesDone: done,
      bytesTotal: total,
      fileIndex: this.fileIndex,
      fileCount: this.record.manifest.shards.length,
      file: this.file,
      mbPerSecond: bytesPerSecond / 1e6,
      etaSeconds: phase === 'ready' ? 0 : etaSeconds(total - done, bytesPerSecond),
    });
  }
}

/**
 * The record to download into: the stored one when resuming (files whose size or hash changed are
 * reset), or a new one.
 */
async function recordToResume(manifest: Manifest, manifestUrl: string, chunkBytes: number): Promise<ModelRecord> {
  const stored = await getRecord(manifest.id, manifest.version);
  const record: ModelRecord = stored ?? {
    id: manifest.id,
    version: manifest.version,
    label: manifest.label || manifest.id,
    manifest,
    manifestUrl,
    state: 'downloading',
    chunkBytes,
    totalBytes: 0,
    files: {},
    createdAt: Date.now(),
  };
  const files: ModelRecord['files'] = {};
  for (const s of manifest.shards) {
    const old = record.files[s.file];
    if (old && old.bytes === s.bytes && old.sha256 === s.sha256) {
      files[s.file] = old;
    } else {
      if (old) await deleteFileChunks(record, s.file);
      files[s.file] = { bytes: s.bytes, sha256: s.sha256, chunks: 0, verified: false };
    }
  }
  return { ...record, manifest, manifestUrl, files, totalBytes: manifest.shards.reduce((n, s) => n + s.bytes, 0) };
}

async function forgetFile(record: ModelRecord, file: string): Promise<void> {
  record.files[file] = { ...record.files[file], chunks: 0, verified: false, hash: undefined };
  await putRecord(record);
  await deleteFileChunks(record, file);
}

/**
 * Chunks of one file go to IndexedDB together with the record that counts them and the file's running
 * sha256 after them (hashed here, as they arrive).
 */
function chunkSinkFor(record: ModelRecord, file: string, progress: ProgressReporter, hashing: { hasher?: ChunkHasher }): ChunkSink {
  return {
    storedChunks: () => record.files[file].chunks,
    async write(index, data) {
      const before = record.files[file];
      const hasher = await hasherAt(record, file, index, hashing);
      record.files[file] = { ...before, chunks: index + 1, hash: hasher.add(data) };
      try {
        await putChunkAndRecord(record, file, index, data);
      } catch (err) {
        record.files[file] = before;
        hashing.hasher = undefined;
        throw err;
      }
      progress.pending = Math.max(0, progress.pending - data.length);
      progress.report('downloading', false);
    },
    async restart() {
      progress.pending = 0;
      hashing.hasher = undefined;
      await forgetFile(record, file);
    },
  };
}

/**
 * A hasher that has taken in exactly the first `chunks` chunks of `file`: the one in use, the state kept
 * in the record, or (a store written before hashes were kept) the stored chunks hashed one at a time.
 */
async function hasherAt(record: ModelRecord, file: string, chunks: number, hashing: { hasher?: ChunkHasher }): Promise<ChunkHasher> {
  if (hashing.hasher?.chunks === chunks) return hashing.hasher;
  const saved = record.files[file].hash;
  const hasher = await ChunkHasher.resume(saved && saved.chunks <= chunks ? saved : undefined);
  await hashStoredChunks(hasher, file, chunks, (indices) => getChunks(record, file, indices));
  hashing.hasher = hasher;
  return hasher;
}

interface FileJob {
  record: ModelRecord;
  shard: ShardInfo;
  manifestUrl: string;
  progress: ProgressReporter;
  options: DownloadOptions;
  fetchFn: typeof fetch;
}

/** Fetches the rest of one file and verifies it; a corrupt file is fetched again once. */
async function downloadVerifiedFile({ record, shard, manifestUrl, progress, options, fetchFn }: FileJob): Promise<void> {
  const { file } = shard;
  const hashing: { hasher?: ChunkHasher } = {};
  const sink = chunkSinkFor(record, file, progress, hashing);
  const job = {
    url: fileUrl(manifestUrl, file),
    file,
    bytes: shard.bytes,
    chunkBytes: record.chunkBytes,
    fetch: fetchFn,
    signal: options.signal,
    onBytes: (n: number) => progress.received(n),
  };
  for (let round = 1; ; round++) {
    let problem: string | undefined;
    try {
      let chunksBefore = sink.storedChunks();
      await withRetries(
        () => {
          chunksBefore = sink.storedChunks();
          progress.pending = 0;
          return fetchFileIntoChunks(job, sink);
        },
        {
          retries: options.retries ?? 4,
          baseDelayMs: options.retryDelayMs ?? 500,
          signal: options.signal,
          progressed: () => sink.storedChunks() > chunksBefore,
          onRetry: (err, attempt, delayMs) => options.onRetry?.(err.message, attempt, delayMs),
        },
      );
      progress.pending = 0;
      progress.report('verifying');
      const stored = record.files[file];
      const digest = (await hasherAt(record, file, stored.chunks, hashing)).hex();
      if (digest === shard.sha256) {
        record.files[file] = { ...record.files[file], verified: true };
        await putRecord(record);
        return;
      }
      problem = `its sha256 is ${digest}, the manifest lists ${shard.sha256}`;
    } catch (err) {
      if (!(err instanceof ModelStoreError && err.kind === 'integrity')) throw err;
      problem = err.message;
    }
    await forgetFile(record, file);
    if (round >= 2) {
      throw new ModelStoreError(
        'integrity',
        `${file} of model ${record.label} is corrupt even after downloading it again (${problem}). ` +
          `The copy at ${job.url} does not match its manifest; the model was not marked ready.`,
      );
    }
  }
}

/** Serializes downloads of one model across tabs and workers (Web Locks), where available. */
async function withModelLock<T>(id: string, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  if (!locks) return fn();
  return locks.request(`sift-model-store:${id}`, { signal }, fn);
}

function networkFailure(err: unknown, record: ModelRecord): unknown {
  if (!(err instanceof TransientError)) return err;
  const stored = storedBytesOf(record);
  return new ModelStoreError(
    'network',
    `Download of model ${record.label} stopped: ${err.message}. ${(stored / 1e6).toFixed(1)} of ` +
      `${(record.totalBytes / 1e6).toFixed(1)} MB are stored; download again to resume.`,
  );
}

/**
 * Downloads the model described by `manifestUrl` (relative URLs resolve against the page or worker)
 * and resolves once every file is stored and verified. Calling it again after a failure or a reload
 * resumes; calling it for a version that is already ready only fetches the manifest.
 */
export async function downloadModel(manifestUrl: string, options: DownloadOptions = {}): Promise<DownloadReport> {
  const started = performance.now();
  const fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
  const retry = { retries: options.retries ?? 4, baseDelayMs: options.retryDelayMs ?? 500, signal: options.signal };
  const { manifest, url } = await withRetries(() => fetchManifest(manifestUrl, fetchFn, options.signal), retry).catch((err) => {
    throw err instanceof TransientError ? new ModelStoreError('network', `Could not reach the model server: ${err.message}`) : err;
  });

  return withModelLock(manifest.id, options.signal, async () => {
    const existing = await getRecord(manifest.id, manifest.version);
    if (existing?.state === 'ready') {
      const seconds = (performance.now() - started) / 1000;
      const persisted = await requestPersistentStorage();
      return { model: readyModelOf(existing), fetchedBytes: 0, resumedBytes: existing.totalBytes, seconds, persisted };
    }
    // Half-downloaded older versions will never finish; a ready one stays until this one is ready.
    await evictOtherVersions(manifest.id, manifest.version, true);
    const record = await recordToResume(manifest, url, options.chunkBytes ?? DEFAULT_CHUNK_BYTES);
    const resumedBytes = storedBytesOf(record);
    await assertRoomFor(record.label, record.totalBytes - resumedBytes, record.totalBytes);
    const persisted = await requestPersistentStorage();

    const progress = new ProgressReporter(record, options.onProgress, options.progressIntervalMs ?? 250);
    try {
      await putRecord(record);
      for (const [i, shard] of manifest.shards.entries()) {
        progress.fileIndex = i + 1;
        progress.file = shard.file;
        if (record.files[shard.file].verified) continue;
        progress.report('downloading');
        await downloadVerifiedFile({ record, shard, manifestUrl: url, progress, options, fetchFn });
      }
      record.state = 'ready';
      record.readyAt = Date.now();
      await putRecord(record);
    } catch (err) {
      throw networkFailure(
        await explainQuotaError(err, record.label, record.totalBytes - storedBytesOf(record), record.totalBytes),
        record,
      );
    }
    progress.report('ready');
    await evictOtherVersions(manifest.id, manifest.version);
    return {
      model: readyModelOf(record),
      fetchedBytes: progress.fetched,
      resumedBytes,
      seconds: (performance.now() - started) / 1000,
      persisted,
    };
  });
}
