#!/usr/bin/env node
// `npm run check:imports` (run by `npm test`): fails when an import goes against the layers drawn in
// docs/ARCHITECTURE.md, or when modules import each other in a circle. Type-only imports count: a type
// is owned by the lowest layer that uses it, and the layers above import it from there.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(new URL('..', import.meta.url).pathname);

/** Layer of each top folder; a module may import its own layer or any layer with a smaller rank. */
export const LAYERS = {
  'src/ui': 7,
  'src/lib': 6,
  workers: 5,
  'src/cli': 5,
  'src/engine': 4,
  'src/model': 3,
  'src/media': 3,
  'src/prompt': 3,
  'src/store': 2,
  'src/request': 1,
};
/** Layers of equal rank that are still separate: neither may import the other. */
const siblingsApart = (a, b) => a !== b && LAYERS[a] === LAYERS[b];

const SOURCE = /\.(ts|mts|svelte)$/;
const IMPORT =
  /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|new URL\(\s*['"](\.[^'"]+\.ts)['"]/g;

function filesUnder(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else if (SOURCE.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

function layerOf(file) {
  const rel = relative(root, file);
  return Object.keys(LAYERS).find((l) => rel === l || rel.startsWith(`${l}/`));
}

/** Relative imports of a file, resolved to files (an import without an extension resolves to .ts). */
function importsOf(file) {
  const text = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  const found = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (!spec?.startsWith('.')) continue;
    let target = resolve(dirname(file), spec.replace(/\?.*$/, ''));
    if (!SOURCE.test(target) && !/\.(js|mjs|json|css|html)$/.test(target)) target += '.ts';
    found.push(target);
  }
  return found;
}

export function checkImports() {
  const files = Object.keys(LAYERS).flatMap((l) => {
    try {
      return filesUnder(join(root, l));
    } catch {
      return [];
    }
  });
  const graph = new Map(files.map((f) => [f, importsOf(f).filter((t) => files.includes(t))]));
  const problems = [];
  for (const [file, targets] of graph) {
    const from = layerOf(file);
    for (const t of targets) {
      const to = layerOf(t);
      if (!to || to === from) continue;
      if (LAYERS[to] > LAYERS[from] || siblingsApart(from, to)) {
        problems.push(`${relative(root, file)} imports ${relative(root, t)}: ${from} may not depend on ${to}`);
      }
    }
  }
  for (const cycle of cycles(graph)) problems.push(`import circle: ${cycle.map((f) => relative(root, f)).join(' → ')}`);
  return { problems };
}

/** Strongly connected components of more than one module (Tarjan), each as one circle to report. */
function cycles(graph) {
  let index = 0;
  const stack = [];
  const meta = new Map();
  const out = [];
  const visit = (v) => {
    meta.set(v, { index, low: index, on: true });
    index++;
    stack.push(v);
    for (const w of graph.get(v) ?? []) {
      if (!meta.has(w)) {
        visit(w);
        meta.get(v).low = Math.min(meta.get(v).low, meta.get(w).low);
      } else if (meta.get(w).on) meta.get(v).low = Math.min(meta.get(v).low, meta.get(w).index);
    }
    if (meta.get(v).low === meta.get(v).index) {
      const scc = [];
      let w;
      do {
        w = stack.pop();
        meta.get(w).on = false;
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.reverse());
    }
  };
  for (const v of graph.keys()) if (!meta.has(v)) visit(v);
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { problems } = checkImports();
  for (const p of problems) console.error(p);
  console.log(problems.length ? `\nimport check: ${problems.length} problem(s)` : 'import check: every import flows down; no circles');
  process.exit(problems.length ? 1 : 0);
}
