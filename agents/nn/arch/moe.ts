// moe: several expert trunks on the features, mixed by a softmax gate computed from the descriptor
// (per-task mixing weights with the one-hot), then a shared output layer.
import * as tf from '@tensorflow/tfjs';
import type { Grads, Want } from '../net.ts';
import { ConditionedArch, type ArchConfig, type PartsCache } from './base.ts';

interface Cache extends PartsCache {
  /** Mixing weights [E, B, M], the same as [E, M, B, 1], and the experts' outputs [E, M, B, h]. */
  w: tf.Tensor;
  wT: tf.Tensor;
  ex4: tf.Tensor;
}

export class MoeNet extends ConditionedArch {
  private readonly M: number;

  constructor(cfg: ArchConfig) {
    super(cfg);
    this.M = cfg.experts ?? 4;
    const last = cfg.hidden[cfg.hidden.length - 1];
    this.part({ inDim: cfg.featureDim, hidden: cfg.hidden.slice(0, -1), outDim: last, ensemble: this.E * this.M, outActivation: 'relu' }, 'trunk');
    this.part({ inDim: this.condDim, hidden: [], outDim: this.M, ensemble: this.E }, 'head');
    this.part({ inDim: last, hidden: [], outDim: cfg.outDim, ensemble: this.E }, 'head');
  }

  forward(params: tf.Tensor[], x: tf.Tensor): { y: tf.Tensor; cache: Cache } {
    const { E, M } = this;
    const B = x.shape[0];
    const experts = this.fwd(params, 0, this.features(x)); // [E*M, B, h]
    const h = experts.y.shape[2] as number;
    const logits = this.fwd(params, 1, this.cond(x)); // [E, B, M]
    const w = tf.softmax(logits.y); // over the experts
    const wT = tf.reshape(tf.transpose(w, [0, 2, 1]), [E, M, B, 1]);
    const ex4 = tf.reshape(experts.y, [E, M, B, h]);
    const mixed = tf.sum(tf.mul(ex4, wT), 1); // [E, B, h]
    const out = this.fwd(params, 2, mixed);
    return { y: out.y, cache: { x, caches: [experts.cache, logits.cache, out.cache], w, wT, ex4 } };
  }

  backward(params: tf.Tensor[], cacheIn: unknown, dy: tf.Tensor, want: Want): Grads {
    const c = cacheIn as Cache;
    const { E, M } = this;
    const B = c.x.shape[0];
    const out = this.bwd(params, c, 2, dy, true, want);
    const h = c.ex4.shape[3] as number;
    const dMixed = tf.reshape(out.dx!, [E, 1, B, h]);
    const dExperts = tf.reshape(tf.mul(dMixed, c.wT), [E * M, B, h]);
    // d softmax: dlogits = w * (dw - sum_m w dw)
    const dw = tf.transpose(tf.sum(tf.mul(c.ex4, dMixed), 3), [0, 2, 1]); // [E, B, M]
    const dLogits = tf.mul(c.w, tf.sub(dw, tf.sum(tf.mul(c.w, dw), 2, true)));
    const experts = this.bwd(params, c, 0, dExperts, want.dx, want);
    const gate = this.bwd(params, c, 1, dLogits, want.dx, want);
    return this.grads(want, B, [experts, gate, out], [[this.featureCol, experts.dx], [this.condCol, gate.dx]]);
  }
}
