// Loads the native BLAS addon (native/build/Release/rrl_blas.node, built by `npm install` through
// native/build.mjs when a CBLAS is present). Never throws: a missing or broken addon is a reason
// string, and the caller falls back to tfjs's stock kernels.
//
// Threads: the addon's kernels split their work over a pool of RRL_BLAS_THREADS threads (the
// calling thread included; default: one per core, at most MAX_DEFAULT_THREADS), each running a
// single-threaded BLAS. Results are bit-identical for a given thread count (native/rrl_pool.c).
//
// OpenBLAS picks its kernels for the CPU at load time. Versions before 0.3.22 do not know AMD's
// AVX-512 processors (Zen 4, Zen 5) and run their AVX2 "Haswell" kernels there; measured on a
// Zen 5, its AVX-512 "SkylakeX" kernels take one SAC update from 6.9 to 4.1 ms. On such a CPU,
// unless OPENBLAS_CORETYPE is set already, the addon is loaded with OPENBLAS_CORETYPE=SkylakeX
// (what OpenBLAS 0.3.22 and later choose there themselves); the start-up line names the kernels.
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
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
  taskSelect(bufs: ArrayBuffer[], offs: Float64Array, spec: Int32Array): void;
  taskSelectGrad(bufs: ArrayBuffer[], offs: Float64Array, spec: Int32Array): void;
  /** Which BLAS it links: "OpenBLAS (<core> kernels)", "Accelerate" or "CBLAS". */
  info(): string;
  /** Sets how many threads the kernels run on (n <= 0 only queries); returns the count in use. */
  setThreads(n: number): number;
  /** Version of the kernels' argument lists (RRL_ABI in native/rrl.h). */
  abi(): number;
}

/** The kernel interface these sources call (RRL_ABI in native/rrl.h): an addon built from other sources is refused. */
export const ADDON_ABI = 3;

const ADDON_FUNCTIONS: (keyof BlasAddon)[] = [
  'gemm', 'adam', 'axpby', 'mlpForward', 'mlpBackward', 'tanhGaussian', 'tanhGaussianGrad',
  'sacTarget', 'sacCriticGrad', 'sacActorGrad', 'sacAlphaGrad', 'concat', 'slice', 'taskSelect', 'taskSelectGrad', 'info', 'setThreads', 'abi',
];

export const ADDON_PATH = fileURLToPath(new URL('../../native/build/Release/rrl_blas.node', import.meta.url));

export const THREADS_ENV = 'RRL_BLAS_THREADS';
/** Default thread count: one per core, at most this many (batch-256 networks split into ever smaller blocks beyond). */
export const MAX_DEFAULT_THREADS = 4;

/** RRL_BLAS_THREADS as a count, null when unset; throws, naming the variable, when it is not a count. */
export function threadsFromEnv(): number | null {
  const raw = process.env[THREADS_ENV];
  if (raw === undefined || raw.trim() === '') return null;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new Error(`${THREADS_ENV} must be a whole number from 1 to 256, got "${raw}"`);
  return n;
}

/** The thread count the kernels use: RRL_BLAS_THREADS, else one per core up to MAX_DEFAULT_THREADS. */
export function defaultThreads(): number {
  return threadsFromEnv() ?? Math.min(availableParallelism(), MAX_DEFAULT_THREADS);
}

/** AMD x86-64 Linux with usable AVX-512 (the CPUs OpenBLAS < 0.3.22 runs on its AVX2 kernels). */
function amdAvx512(): boolean {
  if (process.platform !== 'linux' || process.arch !== 'x64') return false;
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const flags = new Set((/^flags\s*:(.*)$/m.exec(info)?.[1] ?? '').trim().split(/\s+/));
    return /^vendor_id\s*:\s*AuthenticAMD$/m.test(info) && ['avx512f', 'avx512cd', 'avx512bw', 'avx512dq', 'avx512vl'].every((f) => flags.has(f));
  } catch {
    return false;
  }
}

/** Requires the addon, with OPENBLAS_CORETYPE set for the load where it helps (see the top). */
function requireAddon(): BlasAddon {
  const setCore = process.env.OPENBLAS_CORETYPE === undefined && amdAvx512();
  if (setCore) process.env.OPENBLAS_CORETYPE = 'SkylakeX';
  try {
    return createRequire(import.meta.url)(ADDON_PATH) as BlasAddon;
  } finally {
    // OpenBLAS read it while loading; child processes (the benchmarks' peers) keep their own choice.
    if (setCore) delete process.env.OPENBLAS_CORETYPE;
  }
}

let cached: { addon: BlasAddon | null; reason: string } | undefined;

/**
 * Puts wrap(addon) in the loaded addon's place for everything that loads it afterwards, the
 * kernels a backend registers included: instrumentation (bench:nn --breakdown times every call).
 * Call before selectBackend. False, and nothing changed, when the addon does not load.
 */
export function wrapBlasAddon(wrap: (addon: BlasAddon) => BlasAddon): boolean {
  const loaded = loadBlasAddon();
  if (!loaded.addon) return false;
  cached = { addon: wrap(loaded.addon), reason: '' };
  return true;
}

export function loadBlasAddon(): { addon: BlasAddon | null; reason: string } {
  if (cached) return cached;
  let threads: number | null = null;
  let threadsError = '';
  try {
    threads = defaultThreads();
  } catch (err) {
    threadsError = (err as Error).message;
  }
  if (process.env.RRL_DISABLE_BLAS === '1') {
    cached = { addon: null, reason: 'disabled by RRL_DISABLE_BLAS=1' };
  } else if (threads === null) {
    cached = { addon: null, reason: threadsError };
  } else if (!existsSync(ADDON_PATH)) {
    cached = { addon: null, reason: 'addon not built (no CBLAS found at install: install libopenblas-dev, then npm install)' };
  } else {
    try {
      const addon = requireAddon();
      // An addon built from older sources (the code was updated without `npm install`) lacks kernels.
      const missing = ADDON_FUNCTIONS.filter((f) => typeof addon[f] !== 'function');
      if (missing.length > 0 || addon.abi() !== ADDON_ABI) {
        const what = missing.length > 0 ? `no ${missing.join(', ')}` : `kernel interface ${addon.abi()}, these sources need ${ADDON_ABI}`;
        cached = { addon: null, reason: `addon is out of date (${what}): run npm install to rebuild it` };
        return cached;
      }
      addon.setThreads(threads);
      cached = { addon, reason: '' };
    } catch (err) {
      const first = String((err as Error).message ?? err).split('\n')[0];
      cached = { addon: null, reason: `addon failed to load: ${first}` };
    }
  }
  return cached;
}
