// A tiny argv parser: positionals plus --flag / --key value options.

export interface ParsedArgs {
  positional: string[];
  options: Map<string, string | true>;
}

export function parseArgs(argv: string[], booleans: string[] = []): ParsedArgs {
  const positional: string[] = [];
  const options = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    if (eq > 0) options.set(a.slice(2, eq), a.slice(eq + 1));
    else if (booleans.includes(a.slice(2)) || i + 1 >= argv.length || argv[i + 1].startsWith('--')) options.set(a.slice(2), true);
    else options.set(a.slice(2), argv[++i]);
  }
  return { positional, options };
}

export function numberOption(args: ParsedArgs, key: string, fallback?: number): number | undefined {
  const v = args.options.get(key);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (v === true || !Number.isFinite(n)) throw new Error(`--${key} needs a number`);
  return n;
}

/** A positive number of seconds given as --key S, in milliseconds (undefined when absent). */
export function secondsOption(args: ParsedArgs, key: string): number | undefined {
  const s = numberOption(args, key);
  if (s === undefined) return undefined;
  if (!(s > 0)) throw new Error(`--${key} must be a positive number of seconds, got ${s}`);
  return s * 1000;
}

/** Prints JSON on stdout (one document, pretty enough to read, compact enough to pipe). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** --max-image-pixels N: images above N pixels are refused before decoding (src/media/decodeBudget.ts). */
export function maxImagePixelsOption(args: ParsedArgs): number | undefined {
  const n = numberOption(args, 'max-image-pixels');
  if (n !== undefined && !(n > 0)) throw new Error(`--max-image-pixels must be a positive number of pixels, got ${n}`);
  return n;
}
