// multihead: a shared trunk on the features, one output head per task, chosen by the one-hot.
// Every head is evaluated for every row and the row's own selected with the one-hot
// (../task-select.ts): the batch needs no gather (whose gradient has no wasm kernel) and rows need
// not be grouped by task. The heads cost little (one wide output layer).
//
// The parameters are two MLP parts, the trunk and the K heads as one wide layer (columns
// t*out .. (t+1)*out are task t's head), which fixes their layout and initial values; they are
// computed as one MLP (trunk layers, then the heads' layer), so each pass is one network kernel
// and one selection kernel with the native kernels.
import type * as tf from '@tensorflow/tfjs';
import { MLP } from '../mlp.ts';
import type { Grads, KernelForm, Want } from '../net.ts';
import { selectTask, selectTaskBackward, type TaskSelection } from '../task-select.ts';
import { ConditionedArch, type ArchConfig, type PartsCache } from './base.ts';

interface Cache extends PartsCache {
  /** Every task's output [E, B, K*out]. */
  heads: tf.Tensor;
}

export class MultiheadNet extends ConditionedArch {
  /** Trunk and heads as one network, on the parameter list of the two parts. */
  private readonly whole: MLP;
  private readonly selection: TaskSelection;

  constructor(cfg: ArchConfig) {
    super(cfg);
    const last = cfg.hidden[cfg.hidden.length - 1];
    this.part({ inDim: cfg.featureDim, hidden: cfg.hidden.slice(0, -1), outDim: last, ensemble: this.E, outActivation: 'relu' }, 'trunk');
    this.part({ inDim: last, hidden: [], outDim: this.K * cfg.outDim, ensemble: this.E }, 'head');
    this.whole = new MLP({ inDim: cfg.featureDim, hidden: cfg.hidden, outDim: this.K * cfg.outDim, ensemble: this.E, layerNorm: cfg.layerNorm === true });
    if (JSON.stringify(this.whole.paramShapes) !== JSON.stringify(this.paramShapes)) {
      throw new Error(`multihead: the whole network's parameters ${JSON.stringify(this.whole.paramShapes)} differ from its parts' ${JSON.stringify(this.paramShapes)}`);
    }
    this.selection = { layout: 0, numTasks: this.K, out: cfg.outDim, col0: this.onehotCol };
  }

  forward(params: tf.Tensor[], x: tf.Tensor): { y: tf.Tensor; cache: Cache } {
    const whole = this.whole.forward(params, this.features(x)); // [E, B, K*out]
    return { y: selectTask(whole.y, x, this.selection), cache: { x, caches: [whole.cache], heads: whole.y } };
  }

  kernelForm(): KernelForm {
    return { mlp: this.whole, cols: [this.featureCol, this.featureCol + this.cfg.featureDim], select: this.selection };
  }

  backward(params: tf.Tensor[], cacheIn: unknown, dy: tf.Tensor, want: Want): Grads {
    const c = cacheIn as Cache;
    const { dh, dOneHot } = selectTaskBackward(dy, c.heads, c.x, this.selection, want.dx);
    const whole = this.whole.backward(params, c.caches[0], dh, want);
    return this.grads(want, c.x.shape[0], [whole], [[this.featureCol, whole.dx], [this.onehotCol, dOneHot]]);
  }
}
