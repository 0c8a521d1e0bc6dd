// Loads the native BLAS addon (native/build/Release/rrl_blas.node, built by `npm install` through
// native/build.mjs when a CBLAS is present). Never throws: a missing or broken addon is a reason
// string, and the caller falls back to tfjs's stock kernels.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface BlasAddon {
  /** See native/rrl_blas.c for the argument list; all offsets are in bytes. */
  gemm(
    aBuf: ArrayBuffer, aOff: number, bBuf: ArrayBuffer, bOff: number, cBuf: ArrayBuffer, cOff: number,
    batch: number, m: number, n: number, k: number, transA: boolean, transB: boolean,
    strideA: number, strideB: number,
    biasBuf: ArrayBuffer | null, biasOff: number, biasStrideBatch: number, biasStrideRow: number, biasStrideCol: number,
    activation: number, leakyAlpha: number,
  ): void;
  adam(
    pBuf: ArrayBuffer, pOff: number, gBuf: ArrayBuffer, gOff: number, mBuf: ArrayBuffer, mOff: number,
    vBuf: ArrayBuffer, vOff: number, pOutBuf: ArrayBuffer, pOutOff: number, mOutBuf: ArrayBuffer, mOutOff: number,
    vOutBuf: ArrayBuffer, vOutOff: number, n: number,
    lr: number, beta1: number, beta2: number, epsilon: number, step: number,
  ): void;
  reluGrad(dyBuf: ArrayBuffer, dyOff: number, yBuf: ArrayBuffer, yOff: number, outBuf: ArrayBuffer, outOff: number, n: number): void;
  axpby(xBuf: ArrayBuffer, xOff: number, yBuf: ArrayBuffer, yOff: number, outBuf: ArrayBuffer, outOff: number, n: number, alpha: number, beta: number): void;
  /** Which BLAS it links: "OpenBLAS", "Accelerate" or "CBLAS". */
  info(): string;
  /** Sets the BLAS thread count where the BLAS allows it (n <= 0 only queries); returns the count in use. */
  setThreads(n: number): number;
}

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
