// Dense layers with their own gradients, in tfjs ops: the layer-by-layer path of agents/nn/mlp.ts
// where the native whole-network kernels are not registered.
//
// The forward is one fused kernel (matmul + bias + activation) and the backward is written out:
// one activation-derivative product, two matmuls and a bias sum, with nothing computed for inputs
// that need no gradient.
//
// Ensembles: a layer may hold E independent weight sets, W [E, in, out] and b [E, 1, out], evaluated
// as one batched product. The input is either shared, x [B, in] (broadcast against all E; its
// gradient sums over E), or per member, x [E, B, in]. Twin critics, multi-head outputs, mixtures
// of experts and independent per-task networks are all this one primitive.
//
// The stock wasm backend (no OpenBLAS) multiplies fast only 2-D, untransposed operands (its
// XNNPACK path): a 256x256x256 product took 1.5 ms that way, 22-27 ms with a transposed operand
// and 55 ms as a batch of two. product() gives it only those.
import * as tf from '@tensorflow/tfjs';
import { blasKernelsActive, nativeKernelsActive } from '../tensor/storage.ts';

export type Activation = 'linear' | 'relu' | 'tanh' | 'sigmoid' | 'elu';

export interface DenseShape {
  inDim: number;
  outDim: number;
  /** Number of independent weight sets evaluated together (absent: a plain layer). */
  ensemble?: number;
}

export function weightShape(s: DenseShape): number[] {
  return s.ensemble ? [s.ensemble, s.inDim, s.outDim] : [s.inDim, s.outDim];
}

export function biasShape(s: DenseShape): number[] {
  return s.ensemble ? [s.ensemble, 1, s.outDim] : [s.outDim];
}

const FUSABLE: Record<Activation, boolean> = { linear: true, relu: true, sigmoid: true, elu: true, tanh: false };

/**
 * a b (either transposed) for operands of rank 2 or 3, a rank-3 one being a stack of E matrices and
 * a rank-2 one shared by all of them. The native BatchMatMul takes any rank as it is; on the stock
 * wasm backend the product runs as E 2-D, untransposed products (see the top of this file).
 */
export function product(a: tf.Tensor, b: tf.Tensor, transposeA = false, transposeB = false): tf.Tensor {
  if (nativeKernelsActive()) return tf.engine().runKernel('BatchMatMul', { a, b }, { transposeA, transposeB }) as tf.Tensor;
  if (tf.getBackend() !== 'wasm' || a.rank > 3 || b.rank > 3) return tf.matMul(a, b, transposeA, transposeB);
  const t = (m: tf.Tensor, on: boolean) => (on ? tf.transpose(m) : m);
  if (a.rank === 2 && b.rank === 2) return tf.matMul(t(a, transposeA), t(b, transposeB));
  const E = (a.rank === 3 ? a.shape[0] : b.shape[0]) as number;
  const members = (m: tf.Tensor, on: boolean) => (m.rank === 3 ? tf.unstack(m).map((me) => t(me, on)) : new Array<tf.Tensor>(E).fill(t(m, on)));
  const as = members(a, transposeA);
  const bs = members(b, transposeB);
  return tf.stack(as.map((ae, e) => tf.matMul(ae, bs[e])));
}

/**
 * act(x W + b), the forward of one layer (the callers own the gradient).
 * On the stock wasm backend the fused kernel is avoided: it takes only a rank-1 bias and reads the
 * bias rank from its storage, not the tensor (a reshaped bias fails there), and its product is the
 * slow one.
 */
export function denseForward(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, act: Activation): tf.Tensor {
  const fuseBias = tf.getBackend() !== 'wasm' || blasKernelsActive('wasm');
  if (!fuseBias) return applyActivation(tf.add(product(x, w), b), act);
  // The kernel itself, not tf.fused.matMul: that op declines to fuse while any gradient tape is
  // open, even inside a customGrad whose tape never sees it. The native kernel takes any rank;
  // the stock ones want rank 3.
  const fusedAct = FUSABLE[act] ? act : 'linear';
  if (blasKernelsActive(tf.getBackend())) {
    const z = tf.engine().runKernel('_FusedMatMul', { a: x, b: w, bias: b }, { transposeA: false, transposeB: false, activation: fusedAct, leakyreluAlpha: 0.2 }) as tf.Tensor;
    return FUSABLE[act] ? z : applyActivation(z, act);
  }
  const xs = x.shape as number[];
  const ws = w.shape as number[];
  const a3 = x.rank === 2 ? tf.reshape(x, [1, ...xs]) : x;
  const b3 = w.rank === 2 ? tf.reshape(w, [1, ...ws]) : w;
  const z3 = tf.engine().runKernel(
    '_FusedMatMul',
    { a: a3, b: b3, bias: b },
    { transposeA: false, transposeB: false, activation: fusedAct, leakyreluAlpha: 0.2 },
  ) as tf.Tensor;
  const z = x.rank === 2 && w.rank === 2 ? tf.reshape(z3, [xs[0], ws[1]]) : z3;
  return FUSABLE[act] ? z : applyActivation(z, act);
}

/** act(z) in tfjs ops. */
export function applyActivation(z: tf.Tensor, act: Activation): tf.Tensor {
  switch (act) {
    case 'linear': return z;
    case 'relu': return tf.relu(z);
    case 'tanh': return tf.tanh(z);
    case 'sigmoid': return tf.sigmoid(z);
    case 'elu': return tf.elu(z);
  }
}

/** dL/dz from dL/dy and the layer's output y = act(z). */
export function activationBackward(dy: tf.Tensor, y: tf.Tensor, act: Activation): tf.Tensor {
  switch (act) {
    case 'linear': return dy;
    case 'relu': return tf.mul(dy, tf.step(y)); // y > 0 exactly where z > 0
    case 'tanh': return tf.mul(dy, tf.sub(1, tf.square(y)));
    case 'sigmoid': return tf.mul(dy, tf.mul(y, tf.sub(1, y)));
    case 'elu': return tf.mul(dy, tf.where(tf.greater(y, 0), tf.onesLike(y), tf.add(y, 1)));
  }
}

export interface DenseGrads {
  dx: tf.Tensor | null;
  dw: tf.Tensor | null;
  db: tf.Tensor | null;
}

/** Gradients of one layer given dL/dz; `x` and `w` as used in the forward. */
export function denseBackward(dz: tf.Tensor, x: tf.Tensor, w: tf.Tensor, want: { x: boolean; params: boolean }): DenseGrads {
  const ensemble = w.rank === 3;
  let dw: tf.Tensor | null = null;
  let db: tf.Tensor | null = null;
  if (want.params) {
    // x [B,in] broadcasts against dz [E,B,out], giving [E,in,out] directly.
    dw = product(x, dz, true, false);
    // Column sums as ones[1,B] . dz: a matmul (BLAS) instead of tf.sum over a leading axis, which
    // the wasm backend implements as transpose-then-reduce. [E,B,out] gives [E,1,out] = bias shape.
    const rows = dz.shape[dz.rank - 2];
    const colSum = product(tf.ones([1, rows]), dz);
    db = ensemble ? colSum : tf.reshape(colSum, [dz.shape[dz.rank - 1]]);
  }
  let dx: tf.Tensor | null = null;
  if (want.x) {
    dx = product(dz, w, false, true);
    if (ensemble && x.rank === 2) dx = tf.sum(dx, 0); // a shared input collects every member's gradient
  }
  return { dx, dw, db };
}
