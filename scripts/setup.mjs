// What `npm run dev`, `npm test` and `npm run bench` need on a fresh machine, installed when missing:
// the npm packages (`npm ci`, again whenever package-lock.json is newer than the install) and Debian
// packages (chromium, ffmpeg). Plain Node only: this runs before node_modules exists.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;

/** Runs a command in the repository root with its output shown; returns its exit status. */
export function run(cmd, args, opts = {}) {
  console.log(`\n$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  return r.status ?? 1;
}

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/** True when node_modules is missing or older than package-lock.json (a pull changed the lock). */
function npmInstallStale() {
  const installed = `${root}node_modules/.package-lock.json`;
  if (!existsSync(installed)) return true;
  return statSync(`${root}package-lock.json`).mtimeMs > statSync(installed).mtimeMs;
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
