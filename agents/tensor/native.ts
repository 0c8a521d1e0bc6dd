// Loads the native BLAS addon (native/build/Release/rrl_blas.node, built by `npm install` through
// native/build.mjs when a CBLAS is present). Never throws: a missing or broken addon is a reason
// string, and the caller falls back to tfjs's stock kernels.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface BlasAddon {
  /** See native/rrl_blas.c and native/rrl_nets.c for the argument lists; all offsets are in bytes. */
  gemm(
    aBuf: ArrayBuffer, aOff: number, bBuf: ArrayBuffer, bOff: number, cBuf: ArrayBuffer, cOff: number,
    batch: number, m: number, n: number, k: number, transA: boolean, transB: boolean,
    strideA: number, strideB: number,
    biasBuf: ArrayBuffer | null, biasOff: number, biasStrideBatch: number, biasStrideRow: number, biasStrideCol: number,
    activation: number, leakyAlpha: number,
  ): void;
  /**
   * The list kernels take a tensor list as (bufs, offs): one ArrayBuffer and one byte offset per
   * tensor, in the order each kernel documents in native/.
   */
  adam(bufs: ArrayBuffer[], offs: Float64Array, sizes: Float64Array, lr: number, beta1: number, beta2: number, epsilon: number, step: number): void;
  axpby(bufs: ArrayBuffer[], offs: Float64Array, sizes: Float64Array, alpha: number, beta: number): void;
  mlpForward(bufs: ArrayBuffer[], offs: Float64Array, spec: Int32Array): void;
  mlpBackward(bufs: ArrayBuffer[], offs: Float64Array, spec: Int32Array): void;
  tanhGaussian(bufs: ArrayBuffer[], offs: Float64Array, spec: Int32Array, logStdMin: number, logStdMax: number): void;
  tanhGaussianGrad(bufs: ArrayBuffer[], offs: Float64Array, spec: Int32Array, logStdMin: number, logStdMax: number): void;
  sacTarget(bufs: ArrayBuffer[], offs: Float64Array, spec: Int32Array, gamma: number, clipLo: number, clipHi: number): void;
  sacCriticGrad(bufs: ArrayBuffer[], offs: Float64Array, spec: Int32Array): void;
  sacActorGrad(bufs: ArrayBuffer[], offs: Float64Array, spec: Int32Array): void;
  sacAlphaGrad(bufs: ArrayBuffer[], offs: Float64Array, spec: Int32Array, targetEntropy: number): void;
  concat(bufs: ArrayBuffer[], offs: Float64Array, spec: Int32Array): void;
  slice(bufs: ArrayBuffer[], offs: Float64Array, spec: Int32Array): void;
  /** Which BLAS it links: "OpenBLAS", "Accelerate" or "CBLAS". */
  info(): string;
  /** Sets the BLAS thread count where the BLAS allows it (n <= 0 only queries); returns the count in use. */
  setThreads(n: number): number;
}

const ADDON_FUNCTIONS: (keyof BlasAddon)[] = [
  'gemm', 'adam', 'axpby', 'mlpForward', 'mlpBackward', 'tanhGaussian', 'tanhGaussianGrad',
  'sacTarget', 'sacCriticGrad', 'sacActorGrad', 'sacAlphaGrad', 'concat', 'slice', 'info', 'setThreads',
];

export const ADDON_PATH = fileURLToPath(new URL('../../native/build/Release/rrl_blas.node', import.meta.url));

let cached: { addon: BlasAddon | null; reason: string } | undefined;

export function loadBlasAddon(): { addon: BlasAddon | null; reason: string } {
  if (cached) return cached;
  if (process.env.RRL_DISABLE_BLAS === '1') {
    cached = { addon: null, reason: 'disabled by RRL_DISABLE_BLAS=1' };
  } else if (!existsSync(ADDON_PATH)) {
    cached = { addon: null, reason: 'addon not built (no CBLAS found at install: install libopenblas-dev, then npm install)' };
  } else {
    try {
      const addon = createRequire(import.meta.url)(ADDON_PATH) as BlasAddon;
      // An addon built from older sources (the code was updated without `npm install`) lacks kernels.
      const missing = ADDON_FUNCTIONS.filter((f) => typeof addon[f] !== 'function');
      if (missing.length > 0) {
        cached = { addon: null, reason: `addon is out of date (no ${missing.join(', ')}): run npm install to rebuild it` };
        return cached;
      }
      const threads = Number(process.env.RRL_BLAS_THREADS ?? 0);
      if (threads > 0) addon.setThreads(threads);
      cached = { addon, reason: '' };
    } catch (err) {
      const first = String((err as Error).message ?? err).split('\n')[0];
      cached = { addon: null, reason: `addon failed to load: ${first}` };
    }
  }
  return cached;
}
