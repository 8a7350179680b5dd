// What the Chromium under test logs, kept for diagnosis: a renderer that crashes ("Target crashed") says
// why there, if anywhere. Chromium writes its log (its processes' errors and warnings) to a file.
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';

const NOISE = /dbus|D-Bus|XDG_RUNTIME_DIR|unexpected operator|page_load_metrics|on_device_model|\[vite\]/;

/** Chromium flags that log to `file`, and the last lines of it that are not known noise. */
export function browserLog(file) {
  mkdirSync(dirname(file), { recursive: true });
  rmSync(file, { force: true });
  return {
    file,
    args: ['--enable-logging', `--log-file=${file}`],
    recent(n = 5) {
      if (!existsSync(file)) return [];
      const lines = readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l.trim() && !NOISE.test(l));
      return lines.slice(-n).map((l) => l.slice(0, 300));
    },
  };
}
