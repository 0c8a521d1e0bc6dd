// Task-conditioned networks: the conditioning architectures of CS330's multi-task lectures, all
// with one interface, so the actor and the critics of SAC can be any of them.
//
// Input packing. Every network takes one matrix x = [metadata (META) | one-hot task (K) | features],
// where features are the goal-conditioned state (and the action, for critics). Each architecture
// takes what it needs from it:
//   concat       one MLP on [descriptor | features]; the descriptor is the one-hot or the task's
//                metadata vector (`descriptor` option)
//   multihead    a shared trunk on the features, one output head per task (chosen by the one-hot)
//   gated        a trunk on the features whose hidden units are multiplied by sigmoid gates computed
//                from the descriptor (task-conditioned multiplicative gating)
//   moe          several expert trunks on the features, mixed by a softmax gate computed from the
//                descriptor (per-task mixing weights with the one-hot), then a shared output layer
//   independent  one separate network per task on the features: the single-task baseline in the
//                same code path
// Ensembles (twin critics) are the E axis of the batched dense layers (dense.ts): every
// architecture evaluates all E members in the same products and returns [E, B, out].
//
// Heads and independent networks are evaluated for every task and selected with the one-hot: the
// batch needs no gather (whose gradient has no wasm kernel) and rows need not be grouped by task.
// The heads cost little (one wide output layer); independent networks cost K times one network.
import * as tf from '@tensorflow/tfjs';
import { MLP, type ApplyOptions } from './mlp.ts';

export const ARCHS = ['concat', 'multihead', 'gated', 'moe', 'independent'] as const;
export type Arch = (typeof ARCHS)[number];
export const DESCRIPTORS = ['onehot', 'metadata'] as const;
export type DescriptorKind = (typeof DESCRIPTORS)[number];

export interface ConditionedConfig {
  arch: Arch;
  descriptor: DescriptorKind;
  numTasks: number;
  metaDim: number;
  /** Width of the features part of x. */
  featureDim: number;
  hidden: number[];
  outDim: number;
  /** Members evaluated together (2 for twin critics); 1 gives [1, B, out]. */
  ensemble: number;
  /** Experts of `moe` (default 4). */
  experts?: number;
}

/** What every network here offers: parameter shapes, initial values and a forward pass. */
export interface Net {
  readonly paramShapes: number[][];
  readonly numParams: number;
  init(seed: number): tf.Tensor[];
  /** [E, B, out] for x [B, inDim]. */
  apply(params: tf.Tensor[], x: tf.Tensor, opts?: ApplyOptions): tf.Tensor;
}

interface Part {
  net: MLP;
  offset: number;
}

export class ConditionedNet implements Net {
  readonly paramShapes: number[][];
  readonly numParams: number;
  readonly inDim: number;
  private readonly parts: Part[] = [];
  private readonly E: number;
  private readonly K: number;

  constructor(readonly cfg: ConditionedConfig) {
    const { arch, hidden, outDim, featureDim, numTasks: K, metaDim } = cfg;
    if (!ARCHS.includes(arch)) throw new RangeError(`unknown architecture "${arch}"; known: ${ARCHS.join(', ')}`);
    if (!DESCRIPTORS.includes(cfg.descriptor)) throw new RangeError(`unknown descriptor "${cfg.descriptor}"; known: ${DESCRIPTORS.join(', ')}`);
    if (hidden.length === 0) throw new RangeError('conditioned networks need at least one hidden layer');
    const E = cfg.ensemble;
    this.E = E;
    this.K = K;
    this.inDim = metaDim + K + featureDim;
    const condDim = cfg.descriptor === 'onehot' ? K : metaDim;
    const last = hidden[hidden.length - 1];
    const add = (net: MLP) => {
      const offset = this.parts.reduce((a, p) => a + p.net.paramShapes.length, 0);
      this.parts.push({ net, offset });
    };
    switch (arch) {
      case 'concat':
        add(new MLP({ inDim: condDim + featureDim, hidden, outDim, ensemble: E }));
        break;
      case 'multihead':
        add(new MLP({ inDim: featureDim, hidden: hidden.slice(0, -1), outDim: last, ensemble: E, outActivation: 'relu' }));
        // All K heads as one wide layer (columns t*out .. (t+1)*out are task t's head): one
        // product instead of K, and no tile, whose gradient is slow on wasm.
        add(new MLP({ inDim: last, hidden: [], outDim: K * outDim, ensemble: E }));
        break;
      case 'gated': {
        // One single-layer MLP per hidden layer (gates act between layers), one gate network.
        let inDim = featureDim;
        for (const h of hidden) {
          add(new MLP({ inDim, hidden: [], outDim: h, ensemble: E, outActivation: 'relu' }));
          inDim = h;
        }
        add(new MLP({ inDim: last, hidden: [], outDim, ensemble: E }));
        add(new MLP({ inDim: condDim, hidden: [], outDim: hidden.reduce((a, b) => a + b, 0), ensemble: E, outActivation: 'sigmoid' }));
        break;
      }
      case 'moe': {
        const M = cfg.experts ?? 4;
        add(new MLP({ inDim: featureDim, hidden: hidden.slice(0, -1), outDim: last, ensemble: E * M, outActivation: 'relu' }));
        add(new MLP({ inDim: condDim, hidden: [], outDim: M, ensemble: E }));
        add(new MLP({ inDim: last, hidden: [], outDim, ensemble: E }));
        break;
      }
      case 'independent':
        add(new MLP({ inDim: featureDim, hidden, outDim, ensemble: E * K }));
        break;
    }
    this.paramShapes = this.parts.flatMap((p) => p.net.paramShapes);
    this.numParams = this.parts.reduce((a, p) => a + p.net.numParams, 0);
  }

  init(seed: number): tf.Tensor[] {
    return this.parts.flatMap((p, i) => p.net.init(seed * 101 + i));
  }

  private ps(params: tf.Tensor[], i: number): tf.Tensor[] {
    const p = this.parts[i];
    return params.slice(p.offset, p.offset + p.net.paramShapes.length);
  }

  /** Selects, for each row, the member of its task: y [E*K, B, out] -> [E, B, out]. */
  private selectByTask(y: tf.Tensor, onehot: tf.Tensor): tf.Tensor {
    const B = y.shape[1] as number;
    const out = y.shape[2] as number;
    const y4 = tf.reshape(y, [this.E, this.K, B, out]);
    const w = tf.reshape(tf.transpose(onehot), [1, this.K, B, 1]);
    return tf.sum(tf.mul(y4, w), 1);
  }

  apply(params: tf.Tensor[], x: tf.Tensor, opts: ApplyOptions = {}): tf.Tensor {
    const { arch, metaDim, featureDim, descriptor } = this.cfg;
    const K = this.K;
    const E = this.E;
    const B = x.shape[0];
    const gp = { gradParams: opts.gradParams ?? true };
    // Inner layers always pass gradients down to the layers below them.
    const inner = { ...gp, gradInput: true };
    const first = { ...gp, gradInput: opts.gradInput ?? false };
    const features = tf.slice(x, [0, metaDim + K], [B, featureDim]);
    const cond = (): tf.Tensor => (descriptor === 'onehot' ? tf.slice(x, [0, metaDim], [B, K]) : tf.slice(x, [0, 0], [B, metaDim]));
    const onehot = (): tf.Tensor => tf.slice(x, [0, metaDim], [B, K]);
    const ens = (y: tf.Tensor): tf.Tensor => (y.rank === 2 ? tf.reshape(y, [1, ...y.shape]) : y);
    switch (arch) {
      case 'concat': {
        const input = descriptor === 'onehot' ? tf.slice(x, [0, metaDim], [B, K + featureDim]) : tf.concat([cond(), features], 1);
        return ens(this.parts[0].net.apply(this.ps(params, 0), input, first));
      }
      case 'multihead': {
        const trunk = ens(this.parts[0].net.apply(this.ps(params, 0), features, first)); // [E, B, h]
        const heads = ens(this.parts[1].net.apply(this.ps(params, 1), trunk, inner)); // [E, B, K*out]
        const out = this.cfg.outDim;
        const w = tf.reshape(onehot(), [1, B, K, 1]);
        return tf.sum(tf.mul(tf.reshape(heads, [E, B, K, out]), w), 2);
      }
      case 'gated': {
        const n = this.cfg.hidden.length;
        const gates = ens(this.parts[n + 1].net.apply(this.ps(params, n + 1), cond(), first)); // [E, B, sum h]
        const split = tf.split(gates, this.cfg.hidden, 2);
        let h: tf.Tensor = features;
        for (let l = 0; l < n; l++) {
          h = ens(this.parts[l].net.apply(this.ps(params, l), h, l === 0 ? first : inner));
          h = tf.mul(h, split[l]);
        }
        return ens(this.parts[n].net.apply(this.ps(params, n), h, inner));
      }
      case 'moe': {
        const M = this.cfg.experts ?? 4;
        const experts = ens(this.parts[0].net.apply(this.ps(params, 0), features, first)); // [E*M, B, h]
        const h = experts.shape[2] as number;
        const logits = ens(this.parts[1].net.apply(this.ps(params, 1), cond(), first)); // [E, B, M]
        const w = tf.softmax(logits); // over the experts
        const wT = tf.reshape(tf.transpose(w, [0, 2, 1]), [E, M, B, 1]);
        const mixed = tf.sum(tf.mul(tf.reshape(experts, [E, M, B, h]), wT), 1); // [E, B, h]
        return ens(this.parts[2].net.apply(this.ps(params, 2), mixed, inner));
      }
      case 'independent': {
        const y = this.parts[0].net.apply(this.ps(params, 0), features, first); // [E*K, B, out]
        return this.selectByTask(y, onehot());
      }
    }
  }
}

/** Packs [metadata | one-hot | features] rows for the given tasks (host side, no tensors). */
export function packInputs(
  features: Float32Array,
  featureDim: number,
  task: Int32Array,
  numTasks: number,
  metadata: Float32Array,
  metaDim: number,
  out?: Float32Array,
): Float32Array {
  const B = task.length;
  const D = metaDim + numTasks + featureDim;
  const x = out && out.length === B * D ? out : new Float32Array(B * D);
  x.fill(0);
  for (let i = 0; i < B; i++) {
    const t = task[i];
    x.set(metadata.subarray(t * metaDim, (t + 1) * metaDim), i * D);
    x[i * D + metaDim + t] = 1;
    x.set(features.subarray(i * featureDim, (i + 1) * featureDim), i * D + metaDim + numTasks);
  }
  return x;
}
