// Tiny generated models for the library tests, made with the CLI (`sift tiny`, `sift convert`) and kept
// in .cache/library-test/<kind>-<seed>-<hash of the model code>, so a change to the model code makes new ones.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = process.cwd();
const CACHE = join(root, '.cache/library-test');
const SOURCES = ['src/model', 'src/cli/tiny.ts', 'src/cli/convert.ts'];

function sourceHash(): string {
  const hash = createHash('sha256');
  const files = SOURCES.flatMap((s) => {
    const path = join(root, s);
    if (!existsSync(path)) return [];
    if (statSync(path).isFile()) return [path];
    return readdirSync(path, { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name));
  });
  for (const f of files.sort()) hash.update(relative(root, f)).update('\0').update(readFileSync(f)).update('\0');
  return hash.digest('hex').slice(0, 16);
}

/** Runs `node bin/sift.mjs …`; resolves with stdout, rejects with the output on a non-zero exit. */
export function siftProcess(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [join(root, 'bin/sift.mjs'), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (c: Buffer) => (out += c));
    p.stderr.on('data', (c: Buffer) => (err += c));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`sift ${args.join(' ')} exited ${code}:\n${out}${err}`))));
  });
}

/** A converted tiny model directory (4-bit linear layers, the converter's default). */
export async function tinyModelDir(kind: 'embedding' | 'reranker', seed: number): Promise<string> {
  const name = `${kind}-${seed}-`;
  const dir = join(CACHE, name + sourceHash());
  if (existsSync(join(dir, 'manifest.json'))) return dir;
  mkdirSync(CACHE, { recursive: true });
  for (const old of readdirSync(CACHE)) if (old.startsWith(name)) rmSync(join(CACHE, old), { recursive: true, force: true });
  const work = join(CACHE, `${name}tmp-${process.pid}-${Date.now()}`);
  try {
    await siftProcess(['tiny', join(work, 'ckpt'), '--kind', kind, '--seed', String(seed)]);
    await siftProcess(['convert', join(work, 'ckpt'), join(work, 'model'), '--id', `library-test-${kind}`]);
    try {
      renameSync(join(work, 'model'), dir);
    } catch (err) {
      if (!existsSync(join(dir, 'manifest.json'))) throw err; // another run made it first
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return dir;
}
