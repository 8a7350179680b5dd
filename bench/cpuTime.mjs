// CPU time of the Chromium under test, read from /proc (Linux): how much work a step made the
// browser do on all its processes and threads, next to how long it took.
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { browserPids, processType, rendererPids } from './memory.mjs';

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** User + system CPU time (ms) and name of a process or thread, from its stat file; null once it ended. */
function statOf(path) {
  try {
    const stat = readFileSync(path, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime, stime: fields 14 and 15 of /proc/pid/stat
    const sys = Number(f[12]) * TICK_MS;
    return { name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), ms: Number(f[11]) * TICK_MS + sys, sys };
  } catch {
    return null;
  }
}

const cpuMsOf = (pids) => pids.reduce((sum, pid) => sum + (statOf(`/proc/${pid}/stat`)?.ms ?? 0), 0);

/** CPU time (ms) of each thread of the renderers, by thread id, with the thread's name. */
function rendererThreads() {
  const threads = new Map();
  for (const pid of rendererPids()) {
    let tids = [];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      const t = statOf(`/proc/${pid}/task/${tid}/stat`);
      if (t) threads.set(`${pid}/${tid}`, t);
    }
  }
  return threads;
}

/** CPU time (ms, user + system, all threads) of the renderers of browsers this process started. */
export const rendererCpuMs = () => cpuMsOf(rendererPids());

/**
 * CPU time (ms) of every process of browsers this process started, by process type ('browser',
 * 'renderer', 'utility' — IndexedDB lives in the storage service, one of them — 'gpu-process', ...),
 * and `sys`: the part of it all spent in the kernel (on this VM mostly handing out fresh pages).
 * A page closed meanwhile drops its renderer's time, so a step is measured inside one open page.
 */
export function browserCpuMs() {
  const byType = {};
  let sys = 0;
  for (const pid of browserPids()) {
    const st = statOf(`/proc/${pid}/stat`);
    if (!st) continue;
    const t = processType(pid);
    byType[t] = (byType[t] ?? 0) + st.ms;
    sys += st.sys;
  }
  return { byType, sys };
}

/**
 * Runs `fn`; returns its result and, as `cpu`, the browser's CPU time meanwhile (ms): in all, in the
 * kernel, by process type, and the renderers' busiest threads (a Worker's thread is named
 * "DedicatedWorker thread" whichever Worker it is: the loading worker, the store's reader, onnxruntime's).
 */
export async function withBrowserCpu(fn) {
  const before = browserCpuMs();
  const threadsBefore = rendererThreads();
  const result = await fn();
  const after = browserCpuMs();
  const byType = Object.fromEntries(
    Object.entries(after.byType)
      .map(([t, ms]) => [t, ms - (before.byType[t] ?? 0)])
      .filter(([, ms]) => ms > 0),
  );
  const busiest = [...rendererThreads()]
    .map(([id, t]) => ({ thread: t.name, ms: t.ms - (threadsBefore.get(id)?.ms ?? 0) }))
    .filter((t) => t.ms >= 50)
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 10);
  return { result, cpu: { ms: Object.values(byType).reduce((a, b) => a + b, 0), sysMs: after.sys - before.sys, byType, busiest } };
}

export const cores = availableParallelism();

/** CPU time (ms) of the renderers' thread-pool threads in a withBrowserCpu step (V8 compiling wasm, mostly). */
export const threadPoolMs = (cpu) => cpu.busiest.filter((t) => t.thread.startsWith('ThreadPool')).reduce((sum, t) => sum + t.ms, 0);
