// What the Chromium under test writes to stderr, kept for diagnosis: a renderer that crashes ("Target
// crashed") says why there, if anywhere. Lines go to a file; the last few are kept to quote in the log.
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const NOISE = /dbus|XDG_RUNTIME_DIR|unexpected operator|page_load_metrics|on_device_model/;

/** A Playwright logger (launch option `logger`) that writes the browser's output to `file`. */
export function browserLog(file) {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, '');
  const recent = [];
  return {
    file,
    logger: {
      isEnabled: (name) => name === 'browser',
      log: (_name, _severity, message) => {
        const line = String(message);
        appendFileSync(file, `${new Date().toISOString()} ${line}\n`);
        if (NOISE.test(line)) return;
        recent.push(line);
        if (recent.length > 20) recent.shift();
      },
    },
    /** The last lines that are not known noise. */
    recent: () => [...recent],
  };
}
