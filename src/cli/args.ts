// Command-line options: node:util's parseArgs, strict (an unknown flag or a missing value is a usage
// error naming the command's options), kept as positionals plus a map of --key value / --flag.
import { parseArgs as parseNodeArgs } from 'node:util';

/** A wrong command line: the commands answer it with exit code 2 and what they accept. */
export class UsageError extends Error {}

export interface ParsedArgs {
  positional: string[];
  options: Map<string, string | true>;
}

/** Each option a command takes: 'string' (--key value or --key=value) or 'boolean' (--flag). */
export type OptionSpec = Record<string, 'string' | 'boolean'>;

export function parseArgs(argv: string[], spec: OptionSpec): ParsedArgs {
  let parsed: ReturnType<typeof parseNodeArgs>;
  try {
    parsed = parseNodeArgs({
      args: argv,
      options: Object.fromEntries(Object.entries(spec).map(([key, type]) => [key, { type }])),
      strict: true,
      allowPositionals: true,
    });
  } catch (err) {
    const known =
      Object.keys(spec)
        .map((k) => `--${k}`)
        .join(', ') || 'none';
    throw new UsageError(`${(err as Error).message.replace(/\. To specify a positional argument.*$/s, '')} (options: ${known})`);
  }
  const options = new Map<string, string | true>();
  for (const [key, value] of Object.entries(parsed.values))
    if (value !== undefined && value !== false) options.set(key, value as string | true);
  return { positional: parsed.positionals, options };
}

export function numberOption(args: ParsedArgs, key: string, fallback?: number): number | undefined {
  const v = args.options.get(key);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (v === true || !Number.isFinite(n)) throw new UsageError(`--${key} needs a number`);
  return n;
}

/** A positive number of seconds given as --key S, in milliseconds (undefined when absent). */
export function secondsOption(args: ParsedArgs, key: string): number | undefined {
  const s = numberOption(args, key);
  if (s === undefined) return undefined;
  if (!(s > 0)) throw new UsageError(`--${key} must be a positive number of seconds, got ${s}`);
  return s * 1000;
}

/** Prints JSON on stdout (one document, pretty enough to read, compact enough to pipe). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** --max-image-pixels N: images above N pixels are refused before decoding (src/media/decodeBudget.ts). */
export function maxImagePixelsOption(args: ParsedArgs): number | undefined {
  const n = numberOption(args, 'max-image-pixels');
  if (n !== undefined && !(n > 0)) throw new UsageError(`--max-image-pixels must be a positive number of pixels, got ${n}`);
  return n;
}
