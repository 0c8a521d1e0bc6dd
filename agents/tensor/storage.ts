// Where the native kernels find tensor memory, and which backends have them registered.
//
// For `wasm` a tensor lives in the WebAssembly.Memory buffer at its heap offset; for `cpu` it is
// the tensor's own typed array. Kernels take (buffer, byte offset) pairs and work in place: no
// copies in or out.
import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';
import type { BlasAddon } from './native.ts';

export type NativeBackend = 'wasm' | 'cpu';

/** Tensor memory as (buffer, byte offset), plus output allocation, per backend. */
export interface Mem {
  alloc(shape: number[], dtype?: 'float32' | 'int32'): TensorInfo;
  /** Valid only until the next alloc: a wasm allocation may grow (and so replace) the heap buffer. */
  ref(t: TensorInfo): [ArrayBuffer, number];
  /** More than one tensor holds t's memory (tfjs shares it between a tensor and its clones or reshapes). */
  shared(t: TensorInfo): boolean;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- the backends' storage is not public API */
export function memFor(backendName: NativeBackend, backend: any): Mem {
  if (backendName === 'wasm') {
    return {
      alloc: (shape, dtype = 'float32') => backend.makeOutput(shape, dtype),
      ref: (t) => [backend.wasm.HEAPU8.buffer, backend.dataIdMap.get(t.dataId).memoryOffset],
      shared: (t) => backend.refCount(t.dataId) > 1,
    };
  }
  return {
    alloc: (shape, dtype = 'float32') => {
      const n = tf.util.sizeFromShape(shape);
      return backend.makeTensorInfo(shape, dtype, dtype === 'int32' ? new Int32Array(n) : new Float32Array(n));
    },
    ref: (t) => {
      let v = backend.data.get(t.dataId).values as Float32Array | Int32Array | Uint8Array;
      // The cpu backend's Cast to a wider dtype keeps the old storage (bool as Uint8Array, int32
      // as Int32Array under a float32 tensor). Kernels only read their inputs, so a converted copy
      // serves; outputs are always fresh arrays of their own dtype.
      const want = t.dtype === 'int32' ? Int32Array : Float32Array;
      if (!(v instanceof want)) v = want.from(v);
      return [v.buffer as ArrayBuffer, v.byteOffset];
    },
    shared: (t) => backend.refCount(t.dataId) > 1,
  };
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** Buffers and byte offsets of a tensor list, in order (the addon's list kernels take both). */
export function listRefs(mem: Mem, ts: TensorInfo[]): [ArrayBuffer[], Float64Array] {
  const bufs = new Array<ArrayBuffer>(ts.length);
  const offs = new Float64Array(ts.length);
  ts.forEach((t, i) => {
    [bufs[i], offs[i]] = mem.ref(t);
  });
  return [bufs, offs];
}

const active = new Map<NativeBackend, BlasAddon>();

/** Records that a backend's native kernels (of `addon`) are registered, or no longer are. */
export function setActive(backendName: NativeBackend, addon: BlasAddon | null): void {
  if (addon) active.set(backendName, addon);
  else active.delete(backendName);
}

export function blasKernelsActive(backendName: string): boolean {
  return active.has(backendName as NativeBackend);
}

/** The native kernels are registered for the backend in use. */
export function nativeKernelsActive(): boolean {
  return active.has(tf.getBackend() as NativeBackend);
}

/**
 * The backend in use with its native kernels' addon and memory, for code that calls the addon
 * directly (agents/sac/direct.ts); null where the kernels are not registered.
 */
export function activeNative(): { backendName: NativeBackend; addon: BlasAddon; mem: Mem } | null {
  const backendName = tf.getBackend() as NativeBackend;
  const addon = active.get(backendName);
  return addon ? { backendName, addon, mem: memFor(backendName, tf.backend()) } : null;
}
