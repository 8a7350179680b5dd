// Memory of the Chromium under test, seen from outside the page: the peak resident set (VmHWM) of
// its renderer processes (all they ever held: JS heap, ArrayBuffers, the wasm heap, code), and a
// sampler of the page's JS heap through the DevTools protocol.
import { readdirSync, readFileSync } from 'node:fs';

/** Arguments of a process (zygote-forked Chromium processes rewrite theirs into one space-separated string). */
function cmdline(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split(/[\0 ]/).filter(Boolean);
  } catch {
    return [];
  }
}

function statusKb(pid, key) {
  try {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function ppid(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return 0;
  }
}

/** Profile directories (--user-data-dir) of the browsers this Node process started. */
function profileDirs(all, ancestor) {
  return new Set(
    all
      .filter((p) => ppid(p) === ancestor)
      .map((p) => cmdline(p).find((a) => a.startsWith('--user-data-dir=')))
      .filter(Boolean),
  );
}

/**
 * Every process of the browsers started by this Node process. Renderers are forked by a zygote that
 * need not descend from the browser, so processes are matched by the browser's profile directory
 * (--user-data-dir), which every Chromium process of that browser carries.
 */
export function browserPids(ancestor = process.pid, type = null) {
  const all = readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .map(Number);
  const dirs = profileDirs(all, ancestor);
  return all.filter((p) => {
    const c = cmdline(p);
    return c.some((a) => dirs.has(a)) && (type === null || c.includes(`--type=${type}`));
  });
}

/** A Chromium process's --type (the browser process has none). */
export function processType(pid) {
  const t = cmdline(pid).find((a) => a.startsWith('--type='));
  return t ? t.slice('--type='.length) : 'browser';
}

/** The renderer processes among them. */
export const rendererPids = (ancestor = process.pid) => browserPids(ancestor, 'renderer');

/** Largest peak RSS (MB) among this process's Chromium renderers (Linux only; 0 elsewhere). */
export function rendererPeakMB() {
  try {
    return Math.max(0, ...rendererPids().map((p) => statusKb(p, 'VmHWM') / 1024));
  } catch {
    return 0;
  }
}

/**
 * Samples the page's JS heap every `ms` through CDP (Runtime.getHeapUsage: used V8 heap, and the
 * ArrayBuffer backing stores where Chromium reports them). While the page runs wasm the samples wait;
 * the JS heap does not change then.
 */
export async function heapSampler(page, ms = 250) {
  const cdp = await page.context().newCDPSession(page);
  let peakUsed = 0;
  let peakBacking = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        const h = await cdp.send('Runtime.getHeapUsage');
        peakUsed = Math.max(peakUsed, h.usedSize ?? 0);
        peakBacking = Math.max(peakBacking, h.backingStorageSize ?? 0);
      } catch {
        /* page navigating or closed */
      }
      await new Promise((r) => setTimeout(r, ms));
    }
  })();
  return {
    reset() {
      peakUsed = 0;
      peakBacking = 0;
    },
    peaks: () => ({ jsHeapMB: peakUsed / 2 ** 20, arrayBuffersMB: peakBacking / 2 ** 20 }),
    async stop() {
      stopped = true;
      await loop;
      await cdp.detach().catch(() => {});
    },
  };
}
