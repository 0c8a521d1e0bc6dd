// multihead: a shared trunk on the features, one output head per task, chosen by the one-hot.
// Every head is evaluated for every row and the row's own selected with the one-hot: the batch
// needs no gather (whose gradient has no wasm kernel) and rows need not be grouped by task. The
// heads cost little (one wide output layer).
import * as tf from '@tensorflow/tfjs';
import type { Grads, Want } from '../net.ts';
import { ConditionedArch, type ArchConfig, type PartsCache } from './base.ts';

interface Cache extends PartsCache {
  /** The one-hot shaped [1, B, K, 1], and every task's output [E, B, K, out]. */
  sel: tf.Tensor;
  perTask: tf.Tensor;
}

export class MultiheadNet extends ConditionedArch {
  constructor(cfg: ArchConfig) {
    super(cfg);
    const last = cfg.hidden[cfg.hidden.length - 1];
    this.part({ inDim: cfg.featureDim, hidden: cfg.hidden.slice(0, -1), outDim: last, ensemble: this.E, outActivation: 'relu' }, 'trunk');
    // All K heads as one wide layer (columns t*out .. (t+1)*out are task t's head): one product
    // instead of K, and no tile, whose gradient is slow on wasm.
    this.part({ inDim: last, hidden: [], outDim: this.K * cfg.outDim, ensemble: this.E }, 'head');
  }

  forward(params: tf.Tensor[], x: tf.Tensor): { y: tf.Tensor; cache: Cache } {
    const B = x.shape[0];
    const trunk = this.fwd(params, 0, this.features(x)); // [E, B, h]
    const heads = this.fwd(params, 1, trunk.y); // [E, B, K*out]
    const sel = tf.reshape(this.onehot(x), [1, B, this.K, 1]);
    const perTask = tf.reshape(heads.y, [this.E, B, this.K, this.cfg.outDim]);
    const y = tf.sum(tf.mul(perTask, sel), 2);
    return { y, cache: { x, caches: [trunk.cache, heads.cache], sel, perTask } };
  }

  backward(params: tf.Tensor[], cacheIn: unknown, dy: tf.Tensor, want: Want): Grads {
    const c = cacheIn as Cache;
    const { E, K } = this;
    const out = this.cfg.outDim;
    const B = c.x.shape[0];
    // y[e,b,j] = sum_k onehot[b,k] heads[e,b,k*out+j]
    const dHeads = tf.reshape(tf.mul(tf.reshape(dy, [E, B, 1, out]), c.sel), [E, B, K * out]);
    const heads = this.bwd(params, c, 1, dHeads, true, want);
    const trunk = this.bwd(params, c, 0, heads.dx!, want.dx, want);
    // and through the selection to the one-hot: d onehot[b,k] = sum_e,j dy[e,b,j] heads[e,b,k,j]
    const dOneHot = want.dx ? tf.sum(tf.mul(c.perTask, tf.reshape(dy, [E, B, 1, out])), [0, 3]) : null;
    return this.grads(want, B, [trunk, heads], [[this.featureCol, trunk.dx], [this.onehotCol, dOneHot]]);
  }
}
