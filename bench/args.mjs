// `npm run bench` options (bench/README.md lists them).

/**
 * `--gpu`: Chromium's flags for a real GPU under WebGPU, by platform (with --enable-unsafe-webgpu, which
 * every bench browser has): Vulkan through ANGLE on Linux; macOS (Metal) and Windows (D3D12) need none
 * beyond not blocklisting the GPU.
 */
export const GPU_FLAGS = {
  // Chrome's documented recipe for WebGPU in headless Chrome on Linux (no surface: nothing is presented).
  linux: ['--enable-features=Vulkan', '--use-angle=vulkan', '--disable-vulkan-surface', '--ignore-gpu-blocklist'],
  darwin: ['--use-angle=metal', '--ignore-gpu-blocklist'],
  win32: ['--use-angle=d3d11', '--ignore-gpu-blocklist'],
};

/** The options given on the command line, with their defaults. */
export function parseArgs(argv) {
  const o = {
    quick: false,
    full2b: true,
    webgpu: false,
    port: 4340,
    browser: '/usr/bin/chromium',
    reps: 0,
    // Section 8 (bench/full2bPeerSection.mjs): which model, rounds, official dtypes, Python.
    peerModel: undefined,
    peerReps: 2,
    peerDtypes: undefined, // fp32, and bf16 where the CPU computes it natively (bench/full2bPeerSection.mjs)
    python: undefined,
    // Extra Chromium flags (a GPU machine's WebGPU: bench/README.md), and a headed browser.
    chromiumArgs: [],
    headed: false,
  };
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
    else if (a === '--peer-model') o.peerModel = argv[++i];
    else if (a === '--peer-reps') o.peerReps = Number(argv[++i]);
    else if (a === '--peer-dtypes') o.peerDtypes = argv[++i].split(',');
    else if (a === '--python') o.python = argv[++i];
    else if (a === '--no-peer') o.noPeer = true;
    else if (a === '--chromium-arg') o.chromiumArgs.push(argv[++i]);
    else if (a === '--gpu') o.chromiumArgs.push(...(GPU_FLAGS[process.platform] ?? []));
    else if (a === '--headed') o.headed = true;
    // Section 8 alone (and the environment): printed and kept in .cache/bench, results files untouched.
    else if (a === '--peer-only') o.peerOnly = true;
    else if (a === '--full2b-only') Object.assign(o, { peerOnly: true, peerModel: o.peerModel ?? 'full2b' });
    else throw new Error(`bench: unknown argument ${a}`);
  }
  if (o.quick) o.full2b = false;
  if (o.peerDtypes?.some((d) => d !== 'fp32' && d !== 'bf16')) throw new Error('bench: --peer-dtypes takes fp32, bf16 or both');
  return o;
}
