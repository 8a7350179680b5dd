// What `npm run dev`, `npm test` and `npm run bench` need on a fresh machine, installed when missing:
// the npm packages (`npm ci`, again whenever package-lock.json asks for other versions than are
// installed) and Debian packages (chromium, ffmpeg). Plain Node only: it runs before node_modules exists.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;

/** Runs a command in the repository root with its output shown; returns its exit status. */
export function run(cmd, args, opts = {}) {
  console.log(`\n$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  return r.status ?? 1;
}

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/**
 * True when node_modules is missing or does not hold what package-lock.json asks for (a pull changed
 * the lock): every package the lock lists, except optional ones (other platforms' binaries), must be in
 * npm's record of the install (node_modules/.package-lock.json) at the same version.
 */
export function npmInstallStale() {
  const installedFile = `${root}node_modules/.package-lock.json`;
  if (!existsSync(installedFile)) return true;
  try {
    const wanted = JSON.parse(readFileSync(`${root}package-lock.json`, 'utf8')).packages ?? {};
    const installed = JSON.parse(readFileSync(installedFile, 'utf8')).packages ?? {};
    return Object.entries(wanted).some(
      ([path, p]) => path !== '' && (installed[path] ? installed[path].version !== p.version : !p.optional),
    );
  } catch {
    return true;
  }
}

/** `npm ci` when needed. Throws with what to do when it fails. */
export function ensureNpmPackages() {
  if (!npmInstallStale()) return;
  if (run('npm', ['ci']) !== 0) throw new Error('npm ci failed: check the network to the npm registry and run `npm ci` by hand');
}

const commandOf = { chromium: '/usr/bin/chromium', ffmpeg: 'ffmpeg' };

/** apt-get install of the named Debian packages that are missing (as root), else a clear error. */
export function ensureDebianPackages(names) {
  const missing = names.filter((n) => !(commandOf[n]?.startsWith('/') ? existsSync(commandOf[n]) : has(commandOf[n] ?? n)));
  if (!missing.length) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`Missing ${missing.join(', ')}: install them with  sudo apt-get install -y ${missing.join(' ')}`);
  }
  run('apt-get', ['update', '-qq']);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (run('apt-get', ['install', '-y', '-qq', ...missing], { env }) !== 0) {
    throw new Error(`apt-get install ${missing.join(' ')} failed: install them by hand and run this again`);
  }
}
