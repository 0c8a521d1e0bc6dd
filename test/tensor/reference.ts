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

export interface ReferenceMlpOptions {
  ensemble?: number;
  act?: Activation;
  outAct?: Activation;
  /** LayerNorm (gain and bias after W, b in the list) in the hidden layers / in the output layer. */
  layerNorm?: boolean;
  outLayerNorm?: boolean;
}

/** LayerNorm over the last axis as torch.nn.LayerNorm computes it (biased variance, eps 1e-5). */
export function referenceLayerNorm(z: tf.Tensor, g: tf.Tensor, beta: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(z, -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(z, mean), tf.sqrt(tf.add(variance, 1e-5))), g), beta);
}

/**
 * An MLP over [W0, b0 (, g0, beta0), ...] in plain ops: a shared input is tiled over the ensemble,
 * so tfjs's own gradients sum it back. Hidden layers use `act`, the last one `outAct`.
 */
export function referenceMlp(params: tf.Tensor[], x: tf.Tensor, opts: ReferenceMlpOptions = {}): tf.Tensor {
  const E = opts.ensemble;
  let h = E && x.rank === 2 ? tf.tile(tf.expandDims(x, 0), [E, 1, 1]) : x;
  const hiddenSize = opts.layerNorm ? 4 : 2;
  const outSize = opts.outLayerNorm ? 4 : 2;
  const n = (params.length - outSize) / hiddenSize + 1;
  let at = 0;
  for (let i = 0; i < n; i++) {
    const last = i === n - 1;
    h = tf.add(tf.matMul(h, params[at]), params[at + 1]);
    if (last ? opts.outLayerNorm : opts.layerNorm) h = referenceLayerNorm(h, params[at + 2], params[at + 3]);
    at += last ? outSize : hiddenSize;
    h = ACT[last ? opts.outAct ?? 'linear' : opts.act ?? 'relu'](h);
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
