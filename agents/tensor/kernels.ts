// Native BLAS kernels registered into tfjs for the `wasm` and `cpu` backends.
//
// Why: the wasm backend's own matmul is single-threaded in Node and takes a slow path for the
// transposed products that backprop needs (16 ms for one 256x256x256 product with transposeA,
// against ~0.3 ms in OpenBLAS). The kernels call the system CBLAS on the tensors' own memory
// (storage.ts): no copies in or out.
//
// This file replaces tfjs's own BatchMatMul and _FusedMatMul (bias + activation applied in the
// same pass), and Concat and Slice (row copies, where the wasm backend loops in JavaScript), and
// registers the addon's own Rrl* kernels (fused.ts). Cases the replacements do not cover
// (non-float32 dtypes, prelu, exotic bias broadcasts) are handed to the kernel they replaced, so
// registering them never changes what tfjs can compute, only how fast.
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { BlasAddon } from './native.ts';
import { ACTIVATIONS, ADDED } from './fused.ts';
import { blasKernelsActive, listRefs, memFor, setActive, type Mem, type NativeBackend } from './storage.ts';

export type { NativeBackend } from './storage.ts';
export { blasKernelsActive, nativeKernelsActive } from './storage.ts';
const REPLACED = ['BatchMatMul', '_FusedMatMul', 'Concat', 'Slice'] as const;

export interface MatMulPlan {
  m: number;
  n: number;
  k: number;
  outShape: number[];
  batch: number;
  /** Uniform batch strides in elements (0 broadcasts), or null when `pairs` lists (aIndex, bIndex) per output matrix. */
  strideA: number;
  strideB: number;
  pairs: Int32Array | null;
}

/** Shapes and batch broadcasting of tf.matMul, with the same errors for bad inputs. */
export function planMatMul(aShape: number[], bShape: number[], transA: boolean, transB: boolean): MatMulPlan {
  const ra = aShape.length;
  const rb = bShape.length;
  if (ra < 2 || rb < 2) throw new Error(`matMul needs rank >= 2 operands, got ${aShape} and ${bShape}`);
  const m = transA ? aShape[ra - 1] : aShape[ra - 2];
  const k = transA ? aShape[ra - 2] : aShape[ra - 1];
  const kb = transB ? bShape[rb - 1] : bShape[rb - 2];
  const n = transB ? bShape[rb - 2] : bShape[rb - 1];
  if (k !== kb) {
    throw new Error(`Error in matMul: inner shapes (${k}) and (${kb}) of Tensors with shapes ${aShape} and ${bShape} and transposeA=${transA} and transposeB=${transB} must match.`);
  }
  const aOuter = aShape.slice(0, -2);
  const bOuter = bShape.slice(0, -2);
  const outOuter = tf.broadcast_util.assertAndGetBroadcastShape(aOuter, bOuter);
  const batch = tf.util.sizeFromShape(outOuter);
  const batchA = tf.util.sizeFromShape(aOuter);
  const batchB = tf.util.sizeFromShape(bOuter);
  const outShape = [...outOuter, m, n];
  // A batch size equal to the output's means identical layout (each dim is 1 or the output's).
  if ((batchA === batch || batchA === 1) && (batchB === batch || batchB === 1)) {
    return { m, n, k, outShape, batch, strideA: batchA === 1 ? 0 : m * k, strideB: batchB === 1 ? 0 : k * n, pairs: null };
  }
  // General broadcast, e.g. [2,1,...] x [1,3,...]: map each output matrix to its operands.
  const pairs = new Int32Array(batch * 2);
  const index = (outer: number[], coord: number[]): number => {
    let idx = 0;
    const off = coord.length - outer.length;
    for (let d = 0; d < outer.length; d++) idx = idx * outer[d] + (outer[d] === 1 ? 0 : coord[d + off]);
    return idx;
  };
  const coord = new Array<number>(outOuter.length).fill(0);
  for (let o = 0; o < batch; o++) {
    let rest = o;
    for (let d = outOuter.length - 1; d >= 0; d--) {
      coord[d] = rest % outOuter[d];
      rest = Math.floor(rest / outOuter[d]);
    }
    pairs[2 * o] = index(aOuter, coord);
    pairs[2 * o + 1] = index(bOuter, coord);
  }
  return { m, n, k, outShape, batch, strideA: m * k, strideB: k * n, pairs };
}

interface BiasLayout {
  strideBatch: number;
  strideRow: number;
  strideCol: number;
}

/** Strides that broadcast `shape` over [batch, m, n], or null when it is not a layout the addon takes. */
function biasLayout(shape: number[], batch: number, m: number, n: number): BiasLayout | null {
  const r = shape.length;
  const nb = r >= 1 ? shape[r - 1] : 1;
  const mb = r >= 2 ? shape[r - 2] : 1;
  const bb = r >= 3 ? tf.util.sizeFromShape(shape.slice(0, -2)) : 1;
  if ((nb !== 1 && nb !== n) || (mb !== 1 && mb !== m) || (bb !== 1 && bb !== batch)) return null;
  return { strideBatch: bb === 1 ? 0 : mb * nb, strideRow: mb === 1 ? 0 : nb, strideCol: nb === 1 ? 0 : 1 };
}

function runGemm(
  addon: BlasAddon, mem: Mem, a: TensorInfo, b: TensorInfo, out: TensorInfo, p: MatMulPlan,
  transA: boolean, transB: boolean, bias: TensorInfo | null, bl: BiasLayout | null, act: number, leaky: number,
): void {
  const [aBuf, aOff] = mem.ref(a);
  const [bBuf, bOff] = mem.ref(b);
  const [cBuf, cOff] = mem.ref(out);
  const [biasBuf, biasOff] = bias ? mem.ref(bias) : [null, 0];
  const bsb = bl?.strideBatch ?? 0;
  const bsr = bl?.strideRow ?? 0;
  const bsc = bl?.strideCol ?? 0;
  if (p.pairs === null) {
    addon.gemm(aBuf, aOff, bBuf, bOff, cBuf, cOff, p.batch, p.m, p.n, p.k, transA, transB, p.strideA, p.strideB,
      biasBuf, biasOff, bsb, bsr, bsc, act, leaky);
    return;
  }
  const mn = p.m * p.n;
  for (let o = 0; o < p.batch; o++) {
    addon.gemm(aBuf, aOff + 4 * p.strideA * p.pairs[2 * o], bBuf, bOff + 4 * p.strideB * p.pairs[2 * o + 1],
      cBuf, cOff + 4 * mn * o, 1, p.m, p.n, p.k, transA, transB, 0, 0,
      biasBuf, biasOff + 4 * bsb * o, 0, bsr, bsc, act, leaky);
  }
}

type KernelArgs = Parameters<KernelFunc>[0];

function batchMatMulKernel(addon: BlasAddon, backendName: NativeBackend, original: KernelConfig): KernelFunc {
  return (args: KernelArgs) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return original.kernelFunc(args);
    const mem = memFor(backendName, args.backend);
    const plan = planMatMul(a.shape, b.shape, !!transposeA, !!transposeB);
    const out = mem.alloc(plan.outShape);
    runGemm(addon, mem, a, b, out, plan, !!transposeA, !!transposeB, null, null, 0, 0);
    return out;
  };
}

function fusedMatMulKernel(addon: BlasAddon, backendName: NativeBackend, original: KernelConfig): KernelFunc {
  return (args: KernelArgs) => {
    const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
    const { transposeA, transposeB, activation, leakyreluAlpha } = args.attrs as unknown as {
      transposeA: boolean; transposeB: boolean; activation?: string; leakyreluAlpha?: number;
    };
    const act = ACTIVATIONS[activation ?? 'linear'];
    if (!a || !b || a.dtype !== 'float32' || b.dtype !== 'float32' || act === undefined || preluActivationWeights != null) {
      return original.kernelFunc(args);
    }
    const plan = planMatMul(a.shape, b.shape, !!transposeA, !!transposeB);
    let bl: BiasLayout | null = null;
    if (bias) {
      bl = bias.dtype === 'float32' && plan.pairs === null ? biasLayout(bias.shape, plan.batch, plan.m, plan.n) : null;
      if (bl === null) return original.kernelFunc(args);
    }
    const mem = memFor(backendName, args.backend);
    const out = mem.alloc(plan.outShape);
    runGemm(addon, mem, a, b, out, plan, !!transposeA, !!transposeB, bias ?? null, bl, act, leakyreluAlpha ?? 0.2);
    return out;
  };
}

const FOUR_BYTE = new Set(['float32', 'int32']);
/** The addon's concat takes at most this many inputs (fixed arrays in native/rrl_copy.c). */
const MAX_CONCAT_INPUTS = 1024;

/** Concat of float32 / int32 tensors as row copies; anything else goes to the stock kernel. */
function concatKernel(addon: BlasAddon, backendName: NativeBackend, original: KernelConfig): KernelFunc {
  return (args: KernelArgs) => {
    const ins = args.inputs as unknown as TensorInfo[];
    const dtype = ins[0]?.dtype;
    if (!FOUR_BYTE.has(dtype) || ins.some((t) => t.dtype !== dtype)) return original.kernelFunc(args);
    const axis = tf.util.parseAxisParam((args.attrs as { axis: number }).axis, ins[0].shape)[0];
    const shapes = ins.map((t) => t.shape);
    tf.backend_util.assertParamsConsistent(shapes, axis);
    const nonEmpty = ins.filter((t) => tf.util.sizeFromShape(t.shape) > 0);
    if (nonEmpty.length < 2 || nonEmpty.length > MAX_CONCAT_INPUTS) return original.kernelFunc(args);
    const mem = memFor(backendName, args.backend);
    const out = mem.alloc(tf.backend_util.computeOutShape(shapes, axis), dtype as 'float32' | 'int32');
    const [bufs, offs] = listRefs(mem, [...nonEmpty, out]);
    const outer = tf.util.sizeFromShape(nonEmpty[0].shape.slice(0, axis));
    addon.concat(bufs, offs, Int32Array.from([outer, ...nonEmpty.map((t) => tf.util.sizeFromShape(t.shape.slice(axis)))]));
    return out;
  };
}

/** Slice of a float32 / int32 tensor of rank 1-4 as row copies; anything else goes to the stock kernel. */
function sliceKernel(addon: BlasAddon, backendName: NativeBackend, original: KernelConfig): KernelFunc {
  return (args: KernelArgs) => {
    const { x } = args.inputs as Record<string, TensorInfo>;
    const { begin, size } = args.attrs as unknown as { begin: number | number[]; size?: number | number[] };
    const rank = x.shape.length;
    if (!FOUR_BYTE.has(x.dtype) || rank < 1 || rank > 4) return original.kernelFunc(args);
    const [b, z] = tf.slice_util.parseSliceParams(x as unknown as tf.Tensor, begin, size);
    tf.slice_util.assertParamsValid(x as unknown as tf.Tensor, b, z);
    const pad = new Array<number>(4 - rank);
    const mem = memFor(backendName, args.backend);
    const out = mem.alloc(z, x.dtype as 'float32' | 'int32');
    const [bufs, offs] = listRefs(mem, [x, out]);
    addon.slice(bufs, offs, Int32Array.from([...pad.fill(1), ...x.shape, ...pad.fill(0), ...b, ...pad.fill(1), ...z]));
    return out;
  };
}

const originals = new Map<string, KernelConfig>();
const REPLACEMENTS: Record<(typeof REPLACED)[number], (addon: BlasAddon, b: NativeBackend, original: KernelConfig) => KernelFunc> = {
  BatchMatMul: batchMatMulKernel,
  _FusedMatMul: fusedMatMulKernel,
  Concat: concatKernel,
  Slice: sliceKernel,
};

/**
 * Replaces BatchMatMul, _FusedMatMul, Concat and Slice of `backendName` with the native ones and
 * adds the Rrl* kernels. The backend must already be initialised (tf.setBackend awaited): its
 * stock kernels' setup functions run at initialisation and are still needed for the cases handed
 * back to them.
 */
export function enableBlasKernels(backendName: NativeBackend, addon: BlasAddon): void {
  if (blasKernelsActive(backendName)) return;
  if (backendName === 'wasm') {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const heap = (tf.findBackend('wasm') as any)?.wasm?.HEAPU8?.buffer;
    if (!(heap instanceof ArrayBuffer)) throw new Error('wasm heap is not a plain ArrayBuffer (threaded build?)');
  }
  for (const name of REPLACED) {
    const original = tf.getKernel(name, backendName);
    if (!original) throw new Error(`backend ${backendName} has no ${name} kernel to replace`);
    originals.set(`${backendName}/${name}`, original);
    tf.unregisterKernel(name, backendName);
    tf.registerKernel({ kernelName: name, backendName, kernelFunc: REPLACEMENTS[name](addon, backendName, original) });
  }
  for (const [kernelName, make] of ADDED) tf.registerKernel({ kernelName, backendName, kernelFunc: make(addon, backendName) });
  setActive(backendName, addon);
}

/** Puts the stock kernels back (the benchmark compares both in one process). */
export function disableBlasKernels(backendName: NativeBackend): void {
  if (!blasKernelsActive(backendName)) return;
  for (const name of REPLACED) {
    tf.unregisterKernel(name, backendName);
    tf.registerKernel(originals.get(`${backendName}/${name}`)!);
  }
  for (const [kernelName] of ADDED) tf.unregisterKernel(kernelName, backendName);
  setActive(backendName, null);
}
