// Helpers for driving e2e/pages/store.html: opening it, calling the store inside the page, and
// watching which model files the page requests and how many bytes it receives.
import { expect, type BrowserContext, type CDPSession, type Page, type Request } from '@playwright/test';
import type { StoreTestApi } from '../pages/store.ts';

export const STORE_PAGE = '/e2e/pages/store.html';
export const TINY_MANIFEST = '/models/tiny/manifest.json';

export async function openStorePage(page: Page): Promise<void> {
  await page.goto(STORE_PAGE);
  await expect(page.locator('body[data-ready="true"]')).toBeAttached();
}

type DownloadArgs = Parameters<StoreTestApi['tryDownload']>;
export type DownloadOutcome = Awaited<ReturnType<StoreTestApi['tryDownload']>>;

/** downloadModel inside the page; resolves with the report or the error's name/kind/message. */
export function download(page: Page, options: DownloadArgs[1] = {}, url = TINY_MANIFEST): Promise<DownloadOutcome> {
  return page.evaluate(([u, o]) => (window as unknown as { storeTest: StoreTestApi }).storeTest.tryDownload(u, o), [url, options] as const);
}

export function rawStoreView(page: Page) {
  return page.evaluate(() => (window as unknown as { storeTest: StoreTestApi }).storeTest.rawStoreView());
}

/** Rewrites the stored chunks as Uint8Array values, the format of stores written before chunks were Blobs. */
export function rewriteChunksAsBytes(page: Page) {
  return page.evaluate(() => (window as unknown as { storeTest: StoreTestApi }).storeTest.rewriteChunksAsBytes());
}

export function readBackHashes(page: Page, id = 'sift-tiny', way: Parameters<StoreTestApi['readBackHashes']>[1] = 'file') {
  return page.evaluate(([i, w]) => (window as unknown as { storeTest: StoreTestApi }).storeTest.readBackHashes(i, w), [id, way] as const);
}

export function listModels(page: Page) {
  return page.evaluate(() => (window as unknown as { storeTest: StoreTestApi }).storeTest.store.listModels());
}

export function writeFromServer(page: Page, options: Parameters<StoreTestApi['writeFromServer']>[1] = {}, url = TINY_MANIFEST) {
  return page.evaluate(([u, o]) => (window as unknown as { storeTest: StoreTestApi }).storeTest.writeFromServer(u, o), [
    url,
    options,
  ] as const);
}

export function deleteModel(page: Page, id: string) {
  return page.evaluate((i) => (window as unknown as { storeTest: StoreTestApi }).storeTest.store.deleteModel(i), id);
}

export function readyVersion(page: Page, id = 'sift-tiny') {
  return page.evaluate(
    async (i) => (await (window as unknown as { storeTest: StoreTestApi }).storeTest.store.loadReadyModel(i))?.version,
    id,
  );
}

export interface ModelRequest {
  file: string;
  range: string | undefined;
  /** Response body bytes; undefined if the request failed. */
  bodyBytes: number | undefined;
}

/** Records every request for a file under /models/ made by `page` from now on. */
export function watchModelRequests(page: Page) {
  const seen: ModelRequest[] = [];
  const pending: Promise<void>[] = [];
  const isModel = (r: Request) => new URL(r.url()).pathname.includes('/models/');
  const onFinished = (r: Request) => {
    if (!isModel(r)) return;
    const entry: ModelRequest = { file: new URL(r.url()).pathname.split('/').pop()!, range: r.headers()['range'], bodyBytes: undefined };
    seen.push(entry);
    pending.push(
      r.sizes().then(
        (s) => void (entry.bodyBytes = s.responseBodySize),
        () => undefined,
      ),
    );
  };
  const onFailed = (r: Request) => {
    if (isModel(r)) seen.push({ file: new URL(r.url()).pathname.split('/').pop()!, range: r.headers()['range'], bodyBytes: undefined });
  };
  page.on('requestfinished', onFinished);
  page.on('requestfailed', onFailed);
  return {
    /** Requests so far, once their sizes are known. */
    async requests(): Promise<ModelRequest[]> {
      await Promise.all(pending);
      return [...seen];
    },
    stop() {
      page.off('requestfinished', onFinished);
      page.off('requestfailed', onFailed);
    },
  };
}

const cdpSessions = new WeakMap<Page, Promise<CDPSession>>();

/**
 * Overrides the origin's storage quota through CDP (undefined removes the override). The session
 * stays open: Chromium drops the override when the session that set it detaches.
 */
export async function overrideQuota(context: BrowserContext, page: Page, quotaBytes: number | undefined): Promise<void> {
  if (!cdpSessions.has(page)) cdpSessions.set(page, context.newCDPSession(page));
  const cdp = await cdpSessions.get(page)!;
  const origin = new URL(page.url()).origin;
  await cdp.send('Storage.overrideQuotaForOrigin', quotaBytes === undefined ? { origin } : { origin, quotaSize: quotaBytes });
}

export function storageEstimate(page: Page) {
  return page.evaluate(async () => {
    const { quota, usage } = await navigator.storage.estimate();
    return { quota: quota ?? 0, usage: usage ?? 0 };
  });
}

export interface ManifestShard {
  file: string;
  bytes: number;
  sha256: string;
}

/** The tiny model's manifest as served (the test's reference for sizes and hashes). */
export async function servedManifest(page: Page): Promise<{ id: string; version: string; totalBytes: number; shards: ManifestShard[] }> {
  const res = await page.request.get(TINY_MANIFEST);
  expect(res.ok()).toBe(true);
  return res.json();
}

/** Per-file state of every stored record, read with the raw IndexedDB API. */
export function recordFiles(page: Page) {
  return page.evaluate(() => (window as unknown as { storeTest: StoreTestApi }).storeTest.recordFiles());
}

/** Starts hashing, from the raw database, every record the moment it is first seen "ready" (see pages/store.ts). */
export function startReadyAudit(page: Page, expected: ManifestShard[]) {
  return page.evaluate((e) => (window as unknown as { storeTest: StoreTestApi }).storeTest.startReadyAudit(e), expected);
}

export function stopReadyAudit(page: Page) {
  return page.evaluate(() => (window as unknown as { storeTest: StoreTestApi }).storeTest.stopReadyAudit());
}
