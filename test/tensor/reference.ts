// Reference implementations in plain tfjs ops, differentiated by tfjs itself: what the written-out
// backwards of agents/nn and agents/sac are checked against.
import * as tf from '@tensorflow/tfjs';
import type { Activation } from '../../agents/nn/dense.ts';

const ACT: Record<Activation, (z: tf.Tensor) => tf.Tensor> = {
  linear: (z) => z,
  relu: (z) => tf.relu(z),
  tanh: (z) => tf.tanh(z),
  sigmoid: (z) => tf.sigmoid(z),
  elu: (z) => tf.elu(z),
};

/**
 * An MLP over [W0, b0, ...] in plain ops: a shared input is tiled over the ensemble, so tfjs's own
 * gradients sum it back. Hidden layers use `act`, the last one `outAct`.
 */
export function referenceMlp(params: tf.Tensor[], x: tf.Tensor, opts: { ensemble?: number; act?: Activation; outAct?: Activation } = {}): tf.Tensor {
  const E = opts.ensemble;
  let h = E && x.rank === 2 ? tf.tile(tf.expandDims(x, 0), [E, 1, 1]) : x;
  const n = params.length / 2;
  for (let i = 0; i < n; i++) {
    h = tf.add(tf.matMul(h, params[2 * i]), params[2 * i + 1]);
    h = ACT[i < n - 1 ? opts.act ?? 'relu' : opts.outAct ?? 'linear'](h);
  }
  return h;
}

/** The tanh-Gaussian sample [action, logProb] in plain ops. */
export function referenceGaussian(head: tf.Tensor, eps: tf.Tensor, lo: number, hi: number): [tf.Tensor, tf.Tensor] {
  const A = eps.shape[1] as number;
  const [mu, raw] = tf.split(head, [A, A], 1);
  const logStd = tf.add(lo + 0.5 * (hi - lo), tf.mul(tf.tanh(raw), 0.5 * (hi - lo)));
  const a = tf.tanh(tf.add(mu, tf.mul(tf.exp(logStd), eps)));
  const logN = tf.sub(tf.mul(tf.square(eps), -0.5), tf.add(logStd, 0.5 * Math.log(2 * Math.PI)));
  return [a, tf.sum(tf.sub(logN, tf.log(tf.sub(1 + 1e-6, tf.square(a)))), 1, true)];
}

/** Vector-Jacobian product by tfjs's autodiff: d(sum(f(xs) * dy))/dxs. */
export function vjp(f: (...xs: tf.Tensor[]) => tf.Tensor, xs: tf.Tensor[], dy: tf.Tensor): tf.Tensor[] {
  return tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(f(...a), dy)))(xs);
}
