// SAC's three losses and the critic target, each with its gradient with respect to the networks'
// outputs written out (the update in update.ts chains them into the networks' backwards).
//
// Shapes: critic outputs q [E, B, 1] (E critics), per-row values [B, 1], the batch's task index per
// row (int32 [B]) and the per-task log-temperatures logAlpha [K]; alpha[task] is exp(logAlpha)
// picked per row. With the native kernels each function is one kernel (native/rrl_sac.c, the same
// arithmetic); elsewhere it is the tfjs ops below. test/tensor/nn.test.ts checks both against the
// losses as tfjs differentiates them.
import * as tf from '@tensorflow/tfjs';
import { nativeKernelsActive } from '../tensor/storage.ts';
import { runNative, SAC_TARGET_KERNEL, SAC_CRITIC_GRAD_KERNEL, SAC_ACTOR_GRAD_KERNEL, SAC_ALPHA_GRAD_KERNEL } from '../tensor/fused.ts';

/** alpha[task] per row, [B, 1]. */
function alphaRows(logAlpha: tf.Tensor, task: tf.Tensor): tf.Tensor {
  return tf.reshape(tf.gather(tf.exp(logAlpha), task), [task.shape[0], 1]);
}

/**
 * The critics' regression target (no gradient):
 *   y = clip(r + gamma (1 - terminated) (min_i q'_i - alpha[task] log pi'), clip)
 * with q' the target critics at the next state and a' ~ pi(.|s'), log pi' its log-probability.
 */
export function criticTarget(
  qNext: tf.Tensor, logProbNext: tf.Tensor, logAlpha: tf.Tensor, task: tf.Tensor, reward: tf.Tensor, terminated: tf.Tensor,
  gamma: number, clip: [number, number] | null,
): tf.Tensor {
  const [lo, hi] = clip ?? [-Infinity, Infinity];
  if (nativeKernelsActive()) {
    return runNative(SAC_TARGET_KERNEL, { q: qNext, logProb: logProbNext, logAlpha, task, reward, terminated }, { gamma, clipLo: lo, clipHi: hi })[0];
  }
  return tf.tidy(() => {
    const soft = tf.sub(tf.min(qNext, 0), tf.mul(alphaRows(logAlpha, task), logProbNext));
    const y = tf.add(reward, tf.mul(tf.mul(tf.sub(1, terminated), gamma), soft));
    return clip ? tf.clipByValue(y, lo, hi) : y;
  });
}

/** L = sum_i mean_b (q_ib - y_b)^2; dL/dq_ib = 2 (q_ib - y_b) / B. stats = [L, mean q] (metrics). */
export function criticLoss(q: tf.Tensor, y: tf.Tensor): { dq: tf.Tensor; stats: tf.Tensor } {
  if (nativeKernelsActive()) {
    const [dq, stats] = runNative(SAC_CRITIC_GRAD_KERNEL, { q, y });
    return { dq, stats };
  }
  return tf.tidy(() => {
    const B = y.shape[0];
    const err = tf.sub(q, y);
    return { dq: tf.mul(err, 2 / B), stats: tf.stack([tf.mul(tf.mean(tf.square(err)), q.shape[0]), tf.mean(q)]) };
  });
}

/**
 * L = mean_b (alpha[task_b] log pi_b - min_i q_ib), the actor's loss for a~ ~ pi(.|s):
 * dL/dlog pi_b = alpha[task_b] / B; dL/dq_ib = -1/B where q_ib is the minimum (every tied critic,
 * as tfjs's and torch's min gradient), 0 elsewhere.
 */
export function actorLoss(q: tf.Tensor, logProb: tf.Tensor, logAlpha: tf.Tensor, task: tf.Tensor): { dq: tf.Tensor; dLogProb: tf.Tensor; loss: tf.Tensor } {
  if (nativeKernelsActive()) {
    const [dq, dLogProb, loss] = runNative(SAC_ACTOR_GRAD_KERNEL, { q, logProb, logAlpha, task });
    return { dq, dLogProb, loss };
  }
  return tf.tidy(() => {
    const B = logProb.shape[0];
    const alpha = alphaRows(logAlpha, task);
    const minQ = tf.min(q, 0);
    return {
      dq: tf.mul(tf.cast(tf.equal(q, minQ), 'float32'), -1 / B),
      dLogProb: tf.div(alpha, B),
      loss: tf.mean(tf.sub(tf.mul(alpha, logProb), minQ)),
    };
  });
}

/**
 * L = mean_b (-alpha[task_b] (log pi_b + target entropy)), the temperatures' loss:
 * dL/dlogAlpha_k = -(alpha_k / B) sum over the rows b of task k of (log pi_b + target).
 */
export function alphaLoss(logProb: tf.Tensor, logAlpha: tf.Tensor, task: tf.Tensor, targetEntropy: number): { dLogAlpha: tf.Tensor; loss: tf.Tensor } {
  if (nativeKernelsActive()) {
    const [dLogAlpha, loss] = runNative(SAC_ALPHA_GRAD_KERNEL, { logProb, logAlpha, task }, { targetEntropy });
    return { dLogAlpha, loss };
  }
  return tf.tidy(() => {
    const B = logProb.shape[0];
    const K = logAlpha.shape[0];
    const gap = tf.add(logProb, targetEntropy); // [B, 1]
    // Per-task sums as gap^T . one-hot: tf.oneHot refuses depth 1, and the segment sum has no wasm kernel.
    const oneHot = K === 1 ? tf.ones([B, 1]) : tf.cast(tf.oneHot(task, K), 'float32');
    const perTask = tf.reshape(tf.matMul(gap, oneHot, true, false), [K]);
    return {
      dLogAlpha: tf.mul(tf.mul(tf.exp(logAlpha), perTask), -1 / B),
      loss: tf.mean(tf.mul(tf.neg(alphaRows(logAlpha, task)), gap)),
    };
  });
}
