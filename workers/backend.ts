// Which onnxruntime execution provider the worker uses, and why (the UI shows the reason).
import type { InferenceSession } from 'onnxruntime-web';
import type { Backend } from './api.ts';

export interface BackendChoice {
  backend: Backend;
  reason: string;
}

interface AdapterLike {
  info?: { vendor?: string; architecture?: string; isFallbackAdapter?: boolean };
  isFallbackAdapter?: boolean;
}

interface GpuLike {
  requestAdapter(): Promise<(AdapterLike & { features: { has(f: string): boolean } }) | null>;
}

/**
 * True for a software adapter (SwiftShader). Chromium moved the flag to adapter.info (GPUAdapterInfo)
 * and leaves adapter.isFallbackAdapter undefined; reading only that sent "auto" to SwiftShader.
 */
export function isFallbackAdapter(adapter: AdapterLike): boolean {
  return Boolean(adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter);
}

/**
 * WebGPU when a real adapter exists. A software fallback adapter (SwiftShader) runs ~100× slower
 * than WASM, so it is used only when asked for explicitly (prefer = 'webgpu').
 */
export async function pickBackend(prefer?: Backend): Promise<BackendChoice> {
  if (prefer === 'wasm') return { backend: 'wasm', reason: 'WASM was chosen' };
  const gpu = (navigator as unknown as { gpu?: GpuLike }).gpu;
  if (!gpu) return { backend: 'wasm', reason: 'this browser has no WebGPU: using WASM' };
  let adapter;
  try {
    adapter = await gpu.requestAdapter();
  } catch (err) {
    return { backend: 'wasm', reason: `WebGPU adapter request failed (${(err as Error).message}): using WASM` };
  }
  if (!adapter) return { backend: 'wasm', reason: 'no WebGPU adapter: using WASM' };
  const name = [adapter.info?.vendor, adapter.info?.architecture].filter(Boolean).join(' ') || 'unknown GPU';
  const f16 = adapter.features.has('shader-f16') ? 'shader-f16 available' : 'no shader-f16';
  const fallback = isFallbackAdapter(adapter);
  if (fallback && prefer !== 'webgpu') {
    return { backend: 'wasm', reason: `WebGPU adapter is a software fallback (${name}), slower than WASM: using WASM` };
  }
  return { backend: 'webgpu', reason: `WebGPU adapter ${name}${fallback ? ' (software fallback)' : ''}; ${f16}; fp32 activations` };
}

/**
 * The stored format of a model the worker converts or picks for `on` (docs/decisions/2026-12-03-int8-on-wasm.md):
 * on WASM, int8 linear layers (the built-in tiny's -int8 build, an official checkpoint converted so)
 * unless fp32 was asked for; on WebGPU, MatMulNBits at the chosen bits (4 by default, the Model panel's
 * choice). The bench reads the app's default formats from here.
 */
export function storedLinearFor(on: Backend, bits: 4 | 8 | 32 = 4): 'int8' | 'nbits' {
  return on === 'wasm' && bits !== 32 ? 'int8' : 'nbits';
}

/**
 * Whether 4-bit MatMulNBits layers (WebGPU's) get a 4-bit pass on their rounding error: ≈8-bit precision
 * from the only width WebGPU's kernel runs (4-bit alone is 0.25 off the official scores at full size, 4+4 0.013).
 */
export function residualFor(linear: 'int8' | 'nbits', bits: 4 | 8 | 32 = 4): boolean {
  return linear === 'nbits' && bits === 4;
}

export function sessionOptionsFor(choice: BackendChoice): InferenceSession.SessionOptions['executionProviders'] {
  return choice.backend === 'webgpu' ? ['webgpu'] : ['wasm'];
}

export function isDeviceLost(err: unknown): boolean {
  return /device (is |was )?lost|GPUDevice.*(destroyed|lost)|DeviceLost|device.*destroyed/i.test(String((err as Error)?.message ?? err));
}
