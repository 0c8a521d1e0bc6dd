// Picks the TensorFlow.js backend at start-up.
//
// Order, unless forced: node-gpu (@tensorflow/tfjs-node-gpu, CUDA libtensorflow), node
// (@tensorflow/tfjs-node, CPU libtensorflow), wasm-blas (wasm backend + native BLAS kernels),
// wasm, cpu-blas, cpu. Both node packages are optional dependencies that download libtensorflow at
// install; where that failed they are simply absent and the search moves on.
//
// Forcing: selectBackend({ force }) or the RRL_BACKEND environment variable (the option wins).
// A forced backend that cannot load is an error that says why; nothing silently falls back.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { loadBlasAddon, threadsFromEnv } from './native.ts';
import { enableBlasKernels, disableBlasKernels, type NativeBackend } from './kernels.ts';

export const BACKEND_ENV = 'RRL_BACKEND';
export const BACKEND_CHOICES = ['node-gpu', 'node', 'wasm-blas', 'wasm', 'cpu-blas', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

export interface BackendStatus {
  choice: BackendChoice;
  /** tfjs's own backend name: "tensorflow", "wasm" or "cpu". */
  tfBackend: string;
  /** Native BLAS kernels registered (wasm-blas / cpu-blas). */
  blas: boolean;
  /** Which BLAS, when on ("OpenBLAS (SkylakeX kernels)", "Accelerate", "CBLAS"). */
  blasLibrary?: string;
  /** Threads the native kernels run on, when on (RRL_BLAS_THREADS). */
  threads?: number;
  /** Why the BLAS kernels are off, when they are. */
  blasOff?: string;
  /** node-gpu only: libtensorflow found a CUDA device. */
  gpu?: boolean;
  /** Backends tried before this one and why each was passed over. */
  skipped: { choice: BackendChoice; reason: string }[];
  /** The one start-up line. */
  line: string;
}

export interface SelectOptions {
  /** A BackendChoice, or "auto"; defaults to $RRL_BACKEND, then auto. */
  force?: string;
  /** Print the start-up line (default true). */
  log?: boolean;
}

type Attempt = { ok: true; status: Omit<BackendStatus, 'skipped' | 'line'> } | { ok: false; reason: string };

// The node packages register the "tensorflow" backend when imported; the specifier is a variable
// so TypeScript does not require them to be installed.
async function importOptional(pkg: string): Promise<string | null> {
  try {
    await import(/* @vite-ignore */ pkg);
    return null;
  } catch (err) {
    const msg = String((err as Error).message ?? err).split('\n')[0];
    if ((err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' && msg.includes(pkg)) return `${pkg} is not installed`;
    return `${pkg} failed to load: ${msg}`;
  }
}

async function setTf(name: string): Promise<string | null> {
  try {
    if (!(await tf.setBackend(name))) return `tfjs could not initialise the ${name} backend`;
    await tf.ready();
    return null;
  } catch (err) {
    return `tfjs could not initialise the ${name} backend: ${String((err as Error).message ?? err).split('\n')[0]}`;
  }
}

async function tryChoice(choice: BackendChoice): Promise<Attempt> {
  switch (choice) {
    case 'node-gpu':
    case 'node': {
      const pkg = choice === 'node-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
      const why = await importOptional(pkg);
      if (why) return { ok: false, reason: why };
      const err = await setTf('tensorflow');
      if (err) return { ok: false, reason: err };
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const gpu = choice === 'node-gpu' ? Boolean((tf.backend() as any).isUsingGpuDevice) : undefined;
      return { ok: true, status: { choice, tfBackend: 'tensorflow', blas: false, blasOff: 'libtensorflow uses its own kernels', gpu } };
    }
    case 'wasm-blas':
    case 'cpu-blas': {
      const tfName: NativeBackend = choice === 'wasm-blas' ? 'wasm' : 'cpu';
      const { addon, reason } = loadBlasAddon();
      if (!addon) return { ok: false, reason: `native BLAS kernels unavailable: ${reason}` };
      const err = await setTf(tfName);
      if (err) return { ok: false, reason: err };
      try {
        enableBlasKernels(tfName, addon);
      } catch (e) {
        return { ok: false, reason: `native BLAS kernels could not be registered: ${(e as Error).message}` };
      }
      return { ok: true, status: { choice, tfBackend: tfName, blas: true, blasLibrary: addon.info(), threads: addon.setThreads(0) } };
    }
    case 'wasm':
    case 'cpu': {
      const err = await setTf(choice);
      if (err) return { ok: false, reason: err };
      disableBlasKernels(choice);
      return { ok: true, status: { choice, tfBackend: choice, blas: false } };
    }
  }
}

function describe(s: Omit<BackendStatus, 'line'>, forced: string | null): string {
  const how = forced ? `forced by ${forced}` : 'auto';
  let what: string;
  if (s.tfBackend === 'tensorflow') {
    what = s.choice === 'node-gpu' ? `tensorflow (tfjs-node-gpu, ${s.gpu ? 'CUDA device' : 'no CUDA device found, running on CPU'})` : 'tensorflow (tfjs-node, CPU)';
    what += '; BLAS kernels n/a (libtensorflow has its own)';
  } else if (s.blas) {
    what = `${s.tfBackend}; BLAS kernels on (${s.blasLibrary}, ${s.threads} thread${s.threads === 1 ? '' : 's'}: matmul, whole-MLP, policy head, SAC losses, Adam, concat/slice)`;
  } else {
    what = `${s.tfBackend}; BLAS kernels off (${s.blasOff})`;
  }
  return `[tensor] backend ${what} [${how}]`;
}

/** What the last selectBackend() in this thread chose, or null when it was never called. */
let selected: BackendStatus | null = null;

export function selectedBackend(): BackendStatus | null {
  return selected;
}

/** Chooses, initialises and reports the tfjs backend. Throws when a forced backend cannot load. */
export async function selectBackend(opts: SelectOptions = {}): Promise<BackendStatus> {
  const fromOpt = opts.force && opts.force !== 'auto' ? opts.force : null;
  const fromEnv = process.env[BACKEND_ENV] && process.env[BACKEND_ENV] !== 'auto' ? process.env[BACKEND_ENV]! : null;
  const forced = fromOpt ?? fromEnv;
  const forcedBy = fromOpt ? '--backend' : fromEnv ? BACKEND_ENV : null;
  threadsFromEnv(); // a malformed RRL_BLAS_THREADS is an error, not a silent fallback to slower kernels
  if (forced && !(BACKEND_CHOICES as readonly string[]).includes(forced)) {
    throw new Error(`unknown backend "${forced}" (from ${forcedBy}); choose one of: auto, ${BACKEND_CHOICES.join(', ')}`);
  }
  const order: BackendChoice[] = forced ? [forced as BackendChoice] : [...BACKEND_CHOICES];
  const skipped: BackendStatus['skipped'] = [];
  for (const choice of order) {
    const r = await tryChoice(choice);
    if (!r.ok) {
      if (forced) throw new Error(`backend "${choice}" was forced (${forcedBy}) but cannot load: ${r.reason}`);
      skipped.push({ choice, reason: r.reason });
      continue;
    }
    const base = { ...r.status, skipped };
    if (!base.blas && !base.blasOff) {
      // Plain wasm/cpu: say why the fast kernels are not in use.
      const blasSkip = skipped.find((s) => s.choice === `${choice}-blas`);
      base.blasOff = forced ? `plain ${choice} was forced` : (blasSkip?.reason ?? 'not requested');
    }
    const status: BackendStatus = { ...base, line: describe(base, forcedBy) };
    if (opts.log !== false) console.log(status.line);
    selected = status;
    return status;
  }
  throw new Error(`no tfjs backend could load: ${skipped.map((s) => `${s.choice}: ${s.reason}`).join('; ')}`);
}
