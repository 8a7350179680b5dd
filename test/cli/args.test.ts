// The CLI's option parsing is strict: an unknown flag or a flag without its value is a usage error that
// names the command's options, never silently ignored.
import { describe, expect, it } from 'vitest';
import { parseArgs, UsageError } from '../../src/cli/args.ts';

describe('parseArgs', () => {
  const spec = { model: 'string', expand: 'boolean', 'max-length': 'string' } as const;

  it('reads positionals, --key value, --key=value and --flag', () => {
    const a = parseArgs(['req.json', '--model', 'dir', '--max-length=99', '--expand'], spec);
    expect(a.positional).toEqual(['req.json']);
    expect(Object.fromEntries(a.options)).toEqual({ model: 'dir', 'max-length': '99', expand: true });
  });

  it('refuses an unknown flag, naming the known ones', () => {
    expect(() => parseArgs(['--modle', 'dir'], spec)).toThrow(UsageError);
    expect(() => parseArgs(['--modle', 'dir'], spec)).toThrow(/Unknown option '--modle' \(options: --model, --expand, --max-length\)/);
  });

  it('refuses a string option without its value', () => {
    expect(() => parseArgs(['req.json', '--model'], spec)).toThrow(/--model <value>.* argument missing/);
  });
});
