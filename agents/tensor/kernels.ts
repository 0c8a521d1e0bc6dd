// Native BLAS kernels registered into tfjs for the `wasm` and `cpu` backends.
//
// Why: the wasm backend's own matmul is single-threaded in Node and takes a slow path for the
// transposed products that backprop needs (16 ms for one 256x256x256 product with transposeA,
// against ~0.3 ms in OpenBLAS). The kernels here call the system CBLAS on the tensors' own memory:
// for `wasm` that is the WebAssembly.Memory buffer plus each tensor's heap offset, for `cpu` the
// tensor's Float32Array. No copies in or out.
//
// Registered kernels: BatchMatMul, _FusedMatMul (bias + activation applied in the same pass), and
// three one-pass helpers with their own names, used by agents/nn when present: RrlAdam (an Adam
// step), RrlReluGrad (relu's backward from its output) and RrlAxpby (alpha x + beta y, Polyak). Cases they do not cover
// (non-float32 dtypes, prelu, exotic bias broadcasts) are handed to the kernel they replaced, so
// registering them never changes what tfjs can compute, only how fast.
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo, NamedAttrMap } from '@tensorflow/tfjs';
import type { BlasAddon } from './native.ts';

export type NativeBackend = 'wasm' | 'cpu';
export const ADAM_KERNEL = 'RrlAdam';
export const RELU_GRAD_KERNEL = 'RrlReluGrad';
export const AXPBY_KERNEL = 'RrlAxpby';
const REPLACED = ['BatchMatMul', '_FusedMatMul'] as const;

/** Float32 tensor memory as (buffer, byte offset), plus output allocation, per backend. */
interface Mem {
  alloc(shape: number[]): TensorInfo;
  /** Valid only until the next alloc: a wasm allocation may grow (and so replace) the heap buffer. */
  ref(t: TensorInfo): [ArrayBuffer, number];
}

/* eslint-disable @typescript-eslint/no-explicit-any -- the backends' storage is not public API */
function memFor(backendName: NativeBackend, backend: any): Mem {
  if (backendName === 'wasm') {
    return {
      alloc: (shape) => backend.makeOutput(shape, 'float32'),
      ref: (t) => [backend.wasm.HEAPU8.buffer, backend.dataIdMap.get(t.dataId).memoryOffset],
    };
  }
  return {
    alloc: (shape) => backend.makeTensorInfo(shape, 'float32', new Float32Array(tf.util.sizeFromShape(shape))),
    ref: (t) => {
      const v = backend.data.get(t.dataId).values as Float32Array;
      return [v.buffer as ArrayBuffer, v.byteOffset];
    },
  };
}
/* eslint-enable @typescript-eslint/no-explicit-any */

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

const ACTIVATIONS: Record<string, number> = { linear: 0, relu: 1, relu6: 2, leakyrelu: 3, elu: 4, sigmoid: 5 };

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

export interface AdamAttrs {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** 1-based step count, for the bias corrections. */
  step: number;
}

function adamKernel(addon: BlasAddon, backendName: NativeBackend): KernelFunc {
  return (args: KernelArgs) => {
    const { param, grad, m, v } = args.inputs as Record<string, TensorInfo>;
    const at = args.attrs as unknown as AdamAttrs;
    for (const t of [param, grad, m, v]) {
      if (t.dtype !== 'float32' || !tf.util.arraysEqual(t.shape, param.shape)) {
        throw new Error(`${ADAM_KERNEL}: param, grad, m, v must be float32 of one shape`);
      }
    }
    const mem = memFor(backendName, args.backend);
    const outs = [mem.alloc(param.shape), mem.alloc(param.shape), mem.alloc(param.shape)];
    const r = [param, grad, m, v, ...outs].map((t) => mem.ref(t));
    addon.adam(r[0][0], r[0][1], r[1][0], r[1][1], r[2][0], r[2][1], r[3][0], r[3][1],
      r[4][0], r[4][1], r[5][0], r[5][1], r[6][0], r[6][1], tf.util.sizeFromShape(param.shape),
      at.lr, at.beta1, at.beta2, at.epsilon, at.step);
    return outs;
  };
}

function sameShapeFloat(name: string, ts: TensorInfo[]): void {
  for (const t of ts) {
    if (t.dtype !== 'float32' || !tf.util.arraysEqual(t.shape, ts[0].shape)) throw new Error(`${name}: inputs must be float32 of one shape`);
  }
}

function reluGradKernel(addon: BlasAddon, backendName: NativeBackend): KernelFunc {
  return (args: KernelArgs) => {
    const { dy, y } = args.inputs as Record<string, TensorInfo>;
    sameShapeFloat(RELU_GRAD_KERNEL, [dy, y]);
    const mem = memFor(backendName, args.backend);
    const out = mem.alloc(dy.shape);
    const [r0, r1, r2] = [dy, y, out].map((t) => mem.ref(t));
    addon.reluGrad(r0[0], r0[1], r1[0], r1[1], r2[0], r2[1], tf.util.sizeFromShape(dy.shape));
    return out;
  };
}

function axpbyKernel(addon: BlasAddon, backendName: NativeBackend): KernelFunc {
  return (args: KernelArgs) => {
    const { x, y } = args.inputs as Record<string, TensorInfo>;
    const { alpha, beta } = args.attrs as unknown as { alpha: number; beta: number };
    sameShapeFloat(AXPBY_KERNEL, [x, y]);
    const mem = memFor(backendName, args.backend);
    const out = mem.alloc(x.shape);
    const [r0, r1, r2] = [x, y, out].map((t) => mem.ref(t));
    addon.axpby(r0[0], r0[1], r1[0], r1[1], r2[0], r2[1], tf.util.sizeFromShape(x.shape), alpha, beta);
    return out;
  };
}

const ADDED: [string, (addon: BlasAddon, b: NativeBackend) => KernelFunc][] = [
  [ADAM_KERNEL, adamKernel],
  [RELU_GRAD_KERNEL, reluGradKernel],
  [AXPBY_KERNEL, axpbyKernel],
];

const originals = new Map<string, KernelConfig>();
const active = new Set<NativeBackend>();

/**
 * Replaces BatchMatMul and _FusedMatMul of `backendName` with the native ones and adds RrlAdam.
 * The backend must already be initialised (tf.setBackend awaited): its stock kernels' setup
 * functions run at initialisation and are still needed for the cases handed back to them.
 */
export function enableBlasKernels(backendName: NativeBackend, addon: BlasAddon): void {
  if (active.has(backendName)) return;
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
    const make = name === 'BatchMatMul' ? batchMatMulKernel : fusedMatMulKernel;
    tf.registerKernel({ kernelName: name, backendName, kernelFunc: make(addon, backendName, original) });
  }
  for (const [kernelName, make] of ADDED) tf.registerKernel({ kernelName, backendName, kernelFunc: make(addon, backendName) });
  active.add(backendName);
}

/** Puts the stock kernels back (the benchmark compares both in one process). */
export function disableBlasKernels(backendName: NativeBackend): void {
  if (!active.has(backendName)) return;
  for (const name of REPLACED) {
    tf.unregisterKernel(name, backendName);
    tf.registerKernel(originals.get(`${backendName}/${name}`)!);
  }
  for (const [kernelName] of ADDED) tf.unregisterKernel(kernelName, backendName);
  active.delete(backendName);
}

export function blasKernelsActive(backendName: string): boolean {
  return active.has(backendName as NativeBackend);
}

/** Runs the native Adam kernel; the caller checks hasAdamKernel() first. */
export function runAdamKernel(param: tf.Tensor, grad: tf.Tensor, m: tf.Tensor, v: tf.Tensor, attrs: AdamAttrs): tf.Tensor[] {
  return tf.engine().runKernel(ADAM_KERNEL, { param, grad, m, v }, attrs as unknown as NamedAttrMap) as unknown as tf.Tensor[];
}

export function hasAdamKernel(): boolean {
  return tf.getKernel(ADAM_KERNEL, tf.getBackend()) !== undefined;
}

/**
 * A product straight to the BatchMatMul kernel when the native one is registered: it takes any
 * rank, so the three reshapes tf.matMul adds around every call (tfjs's kernels want rank 3) are
 * skipped. Not differentiable: for use inside hand-written gradients. Elsewhere it is tf.matMul.
 */
export function matMulKernel(a: tf.Tensor, b: tf.Tensor, transposeA = false, transposeB = false): tf.Tensor {
  if (!active.has(tf.getBackend() as NativeBackend)) return tf.matMul(a, b, transposeA, transposeB);
  return tf.engine().runKernel('BatchMatMul', { a, b }, { transposeA, transposeB }) as tf.Tensor;
}

/** relu's backward from its output y, dy * (y > 0), as one native kernel; null where there is none. */
export function reluGradNative(dy: tf.Tensor, y: tf.Tensor): tf.Tensor | null {
  if (tf.getKernel(RELU_GRAD_KERNEL, tf.getBackend()) === undefined) return null;
  return tf.engine().runKernel(RELU_GRAD_KERNEL, { dy, y }, {}) as tf.Tensor;
}

/** alpha x + beta y as one native kernel; null where there is none. */
export function axpbyNative(x: tf.Tensor, y: tf.Tensor, alpha: number, beta: number): tf.Tensor | null {
  if (tf.getKernel(AXPBY_KERNEL, tf.getBackend()) === undefined) return null;
  return tf.engine().runKernel(AXPBY_KERNEL, { x, y }, { alpha, beta }) as tf.Tensor;
}
