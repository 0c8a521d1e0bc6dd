// Shared by the tensor tests: backend set-up and tolerance checks.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { loadBlasAddon } from '../../agents/tensor/native.ts';
import { enableBlasKernels, disableBlasKernels, type NativeBackend } from '../../agents/tensor/kernels.ts';

export const addon = loadBlasAddon().addon;
export const addonReason = loadBlasAddon().reason;

/** Where CI installs OpenBLAS it sets RRL_REQUIRE_BLAS=1, so a silently missing addon fails there. */
export const requireBlas = process.env.RRL_REQUIRE_BLAS === '1';

export async function useBackend(name: NativeBackend, blas: boolean): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`could not initialise ${name}`);
  await tf.ready();
  if (blas) enableBlasKernels(name, addon!);
  else disableBlasKernels(name);
}

/** Runs f with the stock kernels of the current backend, then restores the native ones. */
export function withStock<T>(name: NativeBackend, f: () => T): T {
  disableBlasKernels(name);
  try {
    return f();
  } finally {
    enableBlasKernels(name, addon!);
  }
}

/** max |a - b| / max(|b|_inf, tiny): the "relative" error of a whole result. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i]) || !Number.isFinite(b[i])) return Infinity;
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / Math.max(den, 1e-12);
}

/** A seeded uniform(-1, 1) tensor. */
export function rand(shape: number[], seed: number): tf.Tensor {
  return tf.randomUniform(shape, -1, 1, 'float32', seed);
}
