// LayerNorm over the last axis with a learned gain and bias, forward and written-out backward in
// tfjs ops: the path of agents/nn/mlp.ts where the native whole-network kernels are not
// registered (native/rrl_nets.c has the same math, and the same saved values).
//
//   xhat = (z - mean(z)) * rstd,  rstd = 1 / sqrt(var(z) + eps)  (biased variance, per row)
//   u    = g * xhat + beta
// backward, from du = dL/du:
//   dxhat = du * g;  dz = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
//   dg = sum over rows of du * xhat;  dbeta = sum over rows of du
// Rows are the batch rows of each ensemble member: z is [B, n] with g, beta [n], or [E, B, n]
// with g, beta [E, 1, n] (the bias shape of agents/nn/dense.ts).
import * as tf from '@tensorflow/tfjs';

/** torch.nn.LayerNorm's default epsilon (LN_EPS in native/rrl_nets.c). */
export const LN_EPS = 1e-5;

export interface LayerNormSaved {
  /** The normalised values, z's shape. */
  xhat: tf.Tensor;
  /** 1 / standard deviation per row: [B, 1] or [E, B, 1]. */
  rstd: tf.Tensor;
}

export function layerNormForward(z: tf.Tensor, g: tf.Tensor, beta: tf.Tensor): { u: tf.Tensor; saved: LayerNormSaved } {
  const mean = tf.mean(z, -1, true);
  const centred = tf.sub(z, mean);
  const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(centred), -1, true), LN_EPS));
  const xhat = tf.mul(centred, rstd);
  return { u: tf.add(tf.mul(xhat, g), beta), saved: { xhat, rstd } };
}

/** dL/dz from dL/du, and the gain's and bias's gradients (in g's shape) when asked. */
export function layerNormBackward(du: tf.Tensor, saved: LayerNormSaved, g: tf.Tensor, wantParams: boolean): { dz: tf.Tensor; dg: tf.Tensor | null; dbeta: tf.Tensor | null } {
  const { xhat, rstd } = saved;
  const dxhat = tf.mul(du, g);
  const m1 = tf.mean(dxhat, -1, true);
  const m2 = tf.mean(tf.mul(dxhat, xhat), -1, true);
  const dz = tf.mul(rstd, tf.sub(tf.sub(dxhat, m1), tf.mul(xhat, m2)));
  if (!wantParams) return { dz, dg: null, dbeta: null };
  // Sums over the rows axis (second to last), keeping it for the ensemble shape [E, 1, n].
  const rowsAxis = du.rank - 2;
  const keep = du.rank === 3;
  return { dz, dg: tf.sum(tf.mul(du, xhat), rowsAxis, keep), dbeta: tf.sum(du, rowsAxis, keep) };
}
