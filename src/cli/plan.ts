// `sift plan-image` and `sift plan-video`: the reference's resize / frame-sampling arithmetic as JSON,
// without any media — handy to predict token counts and to check Sift against the Python reference.
import { MediaError } from '../media/errors.ts';
import { planImage } from '../media/image.ts';
import { planVideo } from '../media/videoPlan.ts';
import { formatPythonFixed1 } from '../prompt/pyFormat.ts';
import { numberOption, parseArgs, printJson, UsageError, type OptionSpec, type ParsedArgs } from './args.ts';

const IMAGE_USAGE = 'usage: sift plan-image --width W --height H [--min-pixels N --max-pixels N]';
const VIDEO_USAGE = 'usage: sift plan-video --frames N --source-fps F --width W --height H [--fps F --max-frames N --total-pixels N]';

function required(args: ParsedArgs, key: string, usage: string): number {
  const v = numberOption(args, key);
  if (v === undefined) throw new UsageError(`--${key} is required; ${usage}`);
  return v;
}

/** Runs one plan command: usage problems exit 2, rejected media exit 1, both print {"error"}. */
async function planCommand(argv: string[], usage: string, spec: OptionSpec, plan: (args: ParsedArgs) => unknown): Promise<number> {
  try {
    const args = parseArgs(argv, spec);
    if (args.positional.length > 0) throw new UsageError(`unexpected argument "${args.positional[0]}"; ${usage}`);
    printJson(plan(args));
    return 0;
  } catch (err) {
    printJson({ error: (err as Error).message });
    return err instanceof MediaError ? 1 : 2;
  }
}

const VIDEO_OPTIONS: OptionSpec = {
  frames: 'string',
  'source-fps': 'string',
  width: 'string',
  height: 'string',
  fps: 'string',
  'max-frames': 'string',
  'total-pixels': 'string',
};

export function runPlanImageCommand(argv: string[]): Promise<number> {
  return planCommand(argv, IMAGE_USAGE, { width: 'string', height: 'string', 'min-pixels': 'string', 'max-pixels': 'string' }, (args) => {
    const p = planImage({
      width: required(args, 'width', IMAGE_USAGE),
      height: required(args, 'height', IMAGE_USAGE),
      minPixels: numberOption(args, 'min-pixels'),
      maxPixels: numberOption(args, 'max-pixels'),
    });
    return { width: p.width, height: p.height, tokens: p.tokens, patches: p.patches };
  });
}

export function runPlanVideoCommand(argv: string[]): Promise<number> {
  return planCommand(argv, VIDEO_USAGE, VIDEO_OPTIONS, (args) => {
    const p = planVideo({
      frames: required(args, 'frames', VIDEO_USAGE),
      sourceFps: required(args, 'source-fps', VIDEO_USAGE),
      width: required(args, 'width', VIDEO_USAGE),
      height: required(args, 'height', VIDEO_USAGE),
      fps: numberOption(args, 'fps'),
      maxFrames: numberOption(args, 'max-frames'),
      totalPixels: numberOption(args, 'total-pixels'),
    });
    return {
      frames: p.frames,
      indices: p.indices,
      width: p.width,
      height: p.height,
      grid: p.grid,
      // Exactly the text the processor puts before each temporal group (Python's "{:.1f}").
      timestamps: p.timestamps.map((t) => `<${formatPythonFixed1(t)} seconds>`),
      tokens: p.tokens,
    };
  });
}
