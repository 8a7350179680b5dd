// The bench page's part of the section "beside the peer" (bench/peerSection.mjs): a prepared workload
// (bench/peerInputs.ts, served from .cache/bench under /bench-models/) scored by a model that
// engineRuns.loadHttp loaded, the app's way (bench/peerScore.ts).
import { loaded } from './engineRuns.ts';
import { scorePrepared } from '../peerScore.ts';
import type { FidelityInputs } from '../fidelity/inputs.ts';
import type { PeerPrefixes } from '../peerInputs.ts';

const prepared = new Map<string, Promise<{ inputs: FidelityInputs; prefixes: PeerPrefixes }>>();

async function fetchOk(url: string): Promise<Response> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res;
}

function preparedAt(base: string) {
  let p = prepared.get(base);
  if (!p) {
    const json = async (f: string) => (await fetchOk(new URL(f, new URL(base, location.href)).href)).json();
    p = Promise.all([json('inputs.json'), json('prefixes.json')]).then(([inputs, prefixes]) => ({ inputs, prefixes }));
    prepared.set(base, p);
  }
  return p;
}

/** Scores workload `name` of the inputs at `base` with model `key`; ms excludes fetching the patches. */
export async function peerScore(key: string, base: string, name: string) {
  const l = loaded.get(key);
  if (!l) throw new Error(`no model ${key}`);
  const { inputs, prefixes } = await preparedAt(base);
  const docs = inputs[name];
  if (!docs) throw new Error(`no workload ${name} in ${base}`);
  const read = async (file: string) =>
    new Float32Array(await (await fetchOk(new URL(file, new URL(base, location.href)).href)).arrayBuffer());
  return scorePrepared(l.model, docs, prefixes[name] ?? null, read);
}

/** The workloads at `base`, in order (the warm-up first). */
export async function peerWorkloads(base: string): Promise<string[]> {
  return Object.keys((await preparedAt(base)).inputs);
}
