// independent: one separate network per task on the features, the row's own selected with the
// one-hot: the single-task baseline in the same code path. Costs K times one network.
import * as tf from '@tensorflow/tfjs';
import type { Grads, Want } from '../net.ts';
import { ConditionedArch, type ArchConfig, type PartsCache } from './base.ts';

interface Cache extends PartsCache {
  /** The one-hot shaped [1, K, B, 1], and every task's output [E, K, B, out]. */
  sel: tf.Tensor;
  perTask: tf.Tensor;
}

export class IndependentNet extends ConditionedArch {
  constructor(cfg: ArchConfig) {
    super(cfg);
    // E x K members: member e * K + k is ensemble member e of task k's network.
    this.part({ inDim: cfg.featureDim, hidden: cfg.hidden, outDim: cfg.outDim, ensemble: this.E * this.K }, 'network');
  }

  forward(params: tf.Tensor[], x: tf.Tensor): { y: tf.Tensor; cache: Cache } {
    const { E, K } = this;
    const B = x.shape[0];
    const nets = this.fwd(params, 0, this.features(x)); // [E*K, B, out]
    const sel = tf.reshape(tf.transpose(this.onehot(x)), [1, K, B, 1]);
    const perTask = tf.reshape(nets.y, [E, K, B, this.cfg.outDim]);
    const y = tf.sum(tf.mul(perTask, sel), 1);
    return { y, cache: { x, caches: [nets.cache], sel, perTask } };
  }

  backward(params: tf.Tensor[], cacheIn: unknown, dy: tf.Tensor, want: Want): Grads {
    const c = cacheIn as Cache;
    const { E, K } = this;
    const out = this.cfg.outDim;
    const B = c.x.shape[0];
    const dNets = tf.reshape(tf.mul(tf.reshape(dy, [E, 1, B, out]), c.sel), [E * K, B, out]);
    const nets = this.bwd(params, c, 0, dNets, want.dx, want);
    // d onehot[b,k] = sum_e,j dy[e,b,j] nets[e,k,b,j]
    const dOneHot = want.dx ? tf.transpose(tf.sum(tf.mul(c.perTask, tf.reshape(dy, [E, 1, B, out])), [0, 3])) : null;
    return this.grads(want, B, [nets], [[this.featureCol, nets.dx], [this.onehotCol, dOneHot]]);
  }
}
