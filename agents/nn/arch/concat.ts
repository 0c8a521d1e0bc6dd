// concat: one MLP on [descriptor | features]; the descriptor is the one-hot or the task's
// descriptor vector (metadata or language).
import * as tf from '@tensorflow/tfjs';
import type { Grads, KernelForm, Want } from '../net.ts';
import { ConditionedArch, type ArchConfig, type PartsCache } from './base.ts';

export class ConcatNet extends ConditionedArch {
  constructor(cfg: ArchConfig) {
    super(cfg);
    this.part({ inDim: this.condDim + cfg.featureDim, hidden: cfg.hidden, outDim: cfg.outDim, ensemble: this.E }, 'network');
  }

  forward(params: tf.Tensor[], x: tf.Tensor): { y: tf.Tensor; cache: PartsCache } {
    // With the one-hot, [one-hot | features] is one slice of x.
    const input = this.cfg.descriptor === 'onehot' ? tf.slice(x, [0, this.onehotCol], [x.shape[0], this.K + this.cfg.featureDim]) : tf.concat([this.cond(x), this.features(x)], 1);
    const net = this.fwd(params, 0, input);
    return { y: net.y, cache: { x, caches: [net.cache] } };
  }

  /** With the one-hot, the network is its MLP on one column range of x. */
  kernelForm(): KernelForm | null {
    return this.cfg.descriptor === 'onehot' ? { mlp: this.partNet(0), cols: [this.onehotCol, this.onehotCol + this.K + this.cfg.featureDim], select: null } : null;
  }

  backward(params: tf.Tensor[], cacheIn: unknown, dy: tf.Tensor, want: Want): Grads {
    const c = cacheIn as PartsCache;
    const B = c.x.shape[0];
    const g = this.bwd(params, c, 0, dy, want.dx, want);
    if (!want.dx || this.cfg.descriptor === 'onehot') return this.grads(want, B, [g], [[this.onehotCol, g.dx]]);
    const [dCond, dFeat] = tf.split(g.dx!, [this.cfg.metaDim, this.cfg.featureDim], 1);
    return this.grads(want, B, [g], [[0, dCond], [this.featureCol, dFeat]]);
  }
}
