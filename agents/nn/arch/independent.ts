// independent: one separate network per task on the features, the row's own selected with the
// one-hot (../task-select.ts): the single-task baseline in the same code path. Costs K times one
// network.
import type * as tf from '@tensorflow/tfjs';
import type { Grads, Want } from '../net.ts';
import { selectTask, selectTaskBackward, type TaskSelection } from '../task-select.ts';
import { ConditionedArch, type ArchConfig, type PartsCache } from './base.ts';

interface Cache extends PartsCache {
  /** Every task network's output [E*K, B, out]. */
  nets: tf.Tensor;
}

export class IndependentNet extends ConditionedArch {
  private readonly selection: TaskSelection;

  constructor(cfg: ArchConfig) {
    super(cfg);
    // E x K members: member e * K + k is ensemble member e of task k's network.
    this.part({ inDim: cfg.featureDim, hidden: cfg.hidden, outDim: cfg.outDim, ensemble: this.E * this.K }, 'network');
    this.selection = { layout: 1, numTasks: this.K, out: cfg.outDim, col0: this.onehotCol };
  }

  forward(params: tf.Tensor[], x: tf.Tensor): { y: tf.Tensor; cache: Cache } {
    const nets = this.fwd(params, 0, this.features(x)); // [E*K, B, out]
    return { y: selectTask(nets.y, x, this.selection), cache: { x, caches: [nets.cache], nets: nets.y } };
  }

  backward(params: tf.Tensor[], cacheIn: unknown, dy: tf.Tensor, want: Want): Grads {
    const c = cacheIn as Cache;
    const { dh, dOneHot } = selectTaskBackward(dy, c.nets, c.x, this.selection, want.dx);
    const nets = this.bwd(params, c, 0, dh, want.dx, want);
    return this.grads(want, c.x.shape[0], [nets], [[this.featureCol, nets.dx], [this.onehotCol, dOneHot]]);
  }
}
