// `npm run bench` options (bench/README.md lists them).

/** The options given on the command line, with their defaults. */
export function parseArgs(argv) {
  const o = { quick: false, full2b: true, webgpu: false, port: 4340, browser: '/usr/bin/chromium', reps: 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') o.quick = true;
    else if (a === '--no-full2b') o.full2b = false;
    else if (a === '--webgpu') o.webgpu = true;
    else if (a === '--port') o.port = Number(argv[++i]);
    else if (a === '--browser') o.browser = argv[++i];
    else if (a === '--reps') o.reps = Number(argv[++i]);
    else if (a === '--cached-only') o.cachedOnly = true;
    else if (a === '--threads') o.threads = Number(argv[++i]);
    else throw new Error(`bench: unknown argument ${a}`);
  }
  if (o.quick) o.full2b = false;
  return o;
}
