// Each row's own task output out of every task's. multihead evaluates all K heads for every row
// (one wide product), independent all K task networks; the row's one-hot, read from the network
// input x, keeps its own:
//   y[e,b,j] = sum_k onehot[b,k] h[e,(b,k),j]
//   dh[e,(b,k),j] = onehot[b,k] dy[e,b,j],   dOneHot[b,k] = sum_e,j h[e,(b,k),j] dy[e,b,j]
// With the native kernels each way is one call (native/rrl_select.c); elsewhere the same math in
// tfjs ops (a reshape, a product and a sum: about ten kernels each way).
import * as tf from '@tensorflow/tfjs';
import { nativeKernelsActive } from '../tensor/storage.ts';
import { taskSelectGradNative, taskSelectNative, type TaskSelectAttrs } from '../tensor/fused.ts';

/** h's layout (0: [E, B, K * out], multihead; 1: [E * K, B, out], independent), K, out, and the one-hot's first column in x. */
export type TaskSelection = TaskSelectAttrs;

function native(h: tf.Tensor, x: tf.Tensor): boolean {
  return nativeKernelsActive() && h.dtype === 'float32' && x.dtype === 'float32';
}

/** The one-hot as the selection multiplies it: [1, B, K, 1] (layout 0) or [1, K, B, 1] (layout 1). */
function selector(x: tf.Tensor, s: TaskSelection): tf.Tensor {
  const B = x.shape[0];
  const onehot = tf.slice(x, [0, s.col0], [B, s.numTasks]);
  return s.layout === 0 ? tf.reshape(onehot, [1, B, s.numTasks, 1]) : tf.reshape(tf.transpose(onehot), [1, s.numTasks, B, 1]);
}

/** Every task's outputs as [E, B, K, out] (layout 0) or [E, K, B, out] (layout 1), and dy shaped to multiply them. */
function views(h: tf.Tensor, dy: tf.Tensor | null, s: TaskSelection): { perTask: tf.Tensor; dyView: tf.Tensor | null } {
  const { numTasks: K, out } = s;
  const B = h.shape[1] as number;
  const E = s.layout === 0 ? h.shape[0] : h.shape[0] / K;
  return s.layout === 0
    ? { perTask: tf.reshape(h, [E, B, K, out]), dyView: dy && tf.reshape(dy, [E, B, 1, out]) }
    : { perTask: tf.reshape(h, [E, K, B, out]), dyView: dy && tf.reshape(dy, [E, 1, B, out]) };
}

/** y [E, B, out]: each row's own task's outputs. */
export function selectTask(h: tf.Tensor, x: tf.Tensor, s: TaskSelection): tf.Tensor {
  if (native(h, x)) return taskSelectNative(h, x, s);
  const { perTask } = views(h, null, s);
  return tf.sum(tf.mul(perTask, selector(x, s)), s.layout === 0 ? 2 : 1);
}

/** The selection's backward: dL/dh (h's shape) and, when asked, dL/d(one-hot) [B, K]. */
export function selectTaskBackward(dy: tf.Tensor, h: tf.Tensor, x: tf.Tensor, s: TaskSelection, needOneHot: boolean): { dh: tf.Tensor; dOneHot: tf.Tensor | null } {
  if (native(h, x)) {
    const [dh, dOneHot] = taskSelectGradNative(dy, h, x, s, needOneHot);
    return { dh, dOneHot: needOneHot ? dOneHot : null };
  }
  const { perTask, dyView } = views(h, dy, s);
  const dh = tf.reshape(tf.mul(dyView!, selector(x, s)), h.shape);
  if (!needOneHot) return { dh, dOneHot: null };
  const summed = tf.sum(tf.mul(perTask, dyView!), [0, 3]); // [B, K] (layout 0) or [K, B] (layout 1)
  return { dh, dOneHot: s.layout === 0 ? summed : tf.transpose(summed) };
}
