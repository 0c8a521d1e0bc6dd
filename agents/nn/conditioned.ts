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
//
// Each architecture's backward (agents/nn/net.ts) chains its MLP parts' backwards through the
// few ops that join them (slices, the one-hot selection, the gates, the softmax mixture), each
// written out next to its forward.
import * as tf from '@tensorflow/tfjs';
import { MLP } from './mlp.ts';
import type { Grads, Net, Want } from './net.ts';

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
  /** LayerNorm after the product of every hidden layer, before its activation (agents/nn/mlp.ts; default off). */
  layerNorm?: boolean;
}

export type { Net } from './net.ts';

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
    // hidden: LayerNorm in an MLP's hidden layers; trunk: in its output layer too (a trunk's
    // output is a hidden layer of the whole network). Heads, gates and outputs have none.
    const ln = cfg.layerNorm === true;
    const hiddenLn = { layerNorm: ln };
    const trunkLn = { layerNorm: ln, outLayerNorm: ln };
    const add = (net: MLP) => {
      const offset = this.parts.reduce((a, p) => a + p.net.paramShapes.length, 0);
      this.parts.push({ net, offset });
    };
    switch (arch) {
      case 'concat':
        add(new MLP({ inDim: condDim + featureDim, hidden, outDim, ensemble: E, ...hiddenLn }));
        break;
      case 'multihead':
        add(new MLP({ inDim: featureDim, hidden: hidden.slice(0, -1), outDim: last, ensemble: E, outActivation: 'relu', ...trunkLn }));
        // All K heads as one wide layer (columns t*out .. (t+1)*out are task t's head): one
        // product instead of K, and no tile, whose gradient is slow on wasm.
        add(new MLP({ inDim: last, hidden: [], outDim: K * outDim, ensemble: E }));
        break;
      case 'gated': {
        // One single-layer MLP per hidden layer (gates act between layers), one gate network.
        let inDim = featureDim;
        for (const h of hidden) {
          add(new MLP({ inDim, hidden: [], outDim: h, ensemble: E, outActivation: 'relu', ...trunkLn }));
          inDim = h;
        }
        add(new MLP({ inDim: last, hidden: [], outDim, ensemble: E }));
        add(new MLP({ inDim: condDim, hidden: [], outDim: hidden.reduce((a, b) => a + b, 0), ensemble: E, outActivation: 'sigmoid' }));
        break;
      }
      case 'moe': {
        const M = cfg.experts ?? 4;
        add(new MLP({ inDim: featureDim, hidden: hidden.slice(0, -1), outDim: last, ensemble: E * M, outActivation: 'relu', ...trunkLn }));
        add(new MLP({ inDim: condDim, hidden: [], outDim: M, ensemble: E }));
        add(new MLP({ inDim: last, hidden: [], outDim, ensemble: E }));
        break;
      }
      case 'independent':
        add(new MLP({ inDim: featureDim, hidden, outDim, ensemble: E * K, ...hiddenLn }));
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

  apply(params: tf.Tensor[], x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.forward(params, x).y);
  }

  forward(params: tf.Tensor[], x: tf.Tensor): { y: tf.Tensor; cache: ConditionedCache } {
    const { arch } = this.cfg;
    const E = this.E;
    const K = this.K;
    const B = x.shape[0];
    const io = this.inputs(x);
    const fwd = (i: number, input: tf.Tensor) => this.parts[i].net.forward(this.ps(params, i), input);
    switch (arch) {
      case 'concat': {
        const p0 = fwd(0, io.concatInput());
        return { y: p0.y, cache: { x, caches: [p0.cache] } };
      }
      case 'multihead': {
        const trunk = fwd(0, io.features); // [E, B, h]
        const heads = fwd(1, trunk.y); // [E, B, K*out]
        const sel = tf.reshape(io.onehot(), [1, B, K, 1]);
        const heads4 = tf.reshape(heads.y, [E, B, K, this.cfg.outDim]);
        const y = tf.sum(tf.mul(heads4, sel), 2);
        return { y, cache: { x, caches: [trunk.cache, heads.cache], sel, perTask: heads4 } };
      }
      case 'gated': {
        const n = this.cfg.hidden.length;
        const gate = fwd(n + 1, io.cond()); // [E, B, sum h]
        const gates = tf.split(gate.y, this.cfg.hidden, 2);
        const caches: unknown[] = [];
        const acts: tf.Tensor[] = [];
        let h = io.features;
        for (let l = 0; l < n; l++) {
          const layer = fwd(l, h);
          caches.push(layer.cache);
          acts.push(layer.y);
          h = tf.mul(layer.y, gates[l]);
        }
        const out = fwd(n, h);
        return { y: out.y, cache: { x, caches: [...caches, out.cache, gate.cache], acts, gates } };
      }
      case 'moe': {
        const M = this.cfg.experts ?? 4;
        const experts = fwd(0, io.features); // [E*M, B, h]
        const h = experts.y.shape[2] as number;
        const logits = fwd(1, io.cond()); // [E, B, M]
        const w = tf.softmax(logits.y); // over the experts
        const wT = tf.reshape(tf.transpose(w, [0, 2, 1]), [E, M, B, 1]);
        const ex4 = tf.reshape(experts.y, [E, M, B, h]);
        const mixed = tf.sum(tf.mul(ex4, wT), 1); // [E, B, h]
        const out = fwd(2, mixed);
        return { y: out.y, cache: { x, caches: [experts.cache, logits.cache, out.cache], w, wT, ex4 } };
      }
      case 'independent': {
        const nets = fwd(0, io.features); // [E*K, B, out]
        const out = this.cfg.outDim;
        const sel = tf.reshape(tf.transpose(io.onehot()), [1, K, B, 1]);
        const nets4 = tf.reshape(nets.y, [E, K, B, out]);
        const y = tf.sum(tf.mul(nets4, sel), 1);
        return { y, cache: { x, caches: [nets.cache], sel, perTask: nets4 } };
      }
    }
  }

  backward(params: tf.Tensor[], cacheIn: unknown, dy: tf.Tensor, want: Want): Grads {
    const c = cacheIn as ConditionedCache;
    const { arch, metaDim, descriptor, outDim } = this.cfg;
    const E = this.E;
    const K = this.K;
    const B = c.x.shape[0];
    const bwd = (i: number, d: tf.Tensor, dx: boolean) => this.parts[i].net.backward(this.ps(params, i), c.caches[i], d, { dx, params: want.params });
    const featureCol = metaDim + K;
    const condCol = descriptor === 'onehot' ? metaDim : 0;
    // dParams in the order of the parts, as the parameter list is laid out.
    const result = (perPart: Grads[], dxPieces: [number, tf.Tensor | null][]): Grads => ({
      dParams: want.params ? perPart.flatMap((g) => g.dParams!) : null,
      dx: want.dx ? this.scatterColumns(B, dxPieces) : null,
    });
    switch (arch) {
      case 'concat': {
        const g = bwd(0, dy, want.dx);
        if (!want.dx || descriptor === 'onehot') return result([g], [[metaDim, g.dx]]);
        const [dMeta, dFeat] = tf.split(g.dx!, [metaDim, this.cfg.featureDim], 1);
        return result([g], [[0, dMeta], [featureCol, dFeat]]);
      }
      case 'multihead': {
        // out[e,b,j] = sum_k onehot[b,k] heads[e,b,k*out+j]
        const dHeads = tf.reshape(tf.mul(tf.reshape(dy, [E, B, 1, outDim]), c.sel!), [E, B, K * outDim]);
        const heads = bwd(1, dHeads, true);
        const trunk = bwd(0, heads.dx!, want.dx);
        // and through the selection to the one-hot: d onehot[b,k] = sum_e,j dy[e,b,j] heads[e,b,k,j]
        const dOneHot = want.dx ? tf.sum(tf.mul(c.perTask!, tf.reshape(dy, [E, B, 1, outDim])), [0, 3]) : null;
        return result([trunk, heads], [[featureCol, trunk.dx], [metaDim, dOneHot]]);
      }
      case 'gated': {
        const n = this.cfg.hidden.length;
        const out = bwd(n, dy, true);
        const layers: Grads[] = new Array(n);
        const dGates: tf.Tensor[] = new Array(n);
        let dh = out.dx!;
        for (let l = n - 1; l >= 0; l--) {
          // h_{l+1} = act_l * gate_l
          dGates[l] = tf.mul(dh, c.acts![l]);
          layers[l] = bwd(l, tf.mul(dh, c.gates![l]), l > 0 || want.dx);
          dh = layers[l].dx!;
        }
        const gate = bwd(n + 1, tf.concat(dGates, 2), want.dx);
        return result([...layers, out, gate], [[featureCol, layers[0].dx], [condCol, gate.dx]]);
      }
      case 'moe': {
        const M = this.cfg.experts ?? 4;
        const out = bwd(2, dy, true);
        const h = c.ex4!.shape[3] as number;
        const dMixed = tf.reshape(out.dx!, [E, 1, B, h]);
        const dExperts = tf.reshape(tf.mul(dMixed, c.wT!), [E * M, B, h]);
        // d softmax: dlogits = w * (dw - sum_m w dw)
        const dw = tf.transpose(tf.sum(tf.mul(c.ex4!, dMixed), 3), [0, 2, 1]); // [E, B, M]
        const dLogits = tf.mul(c.w!, tf.sub(dw, tf.sum(tf.mul(c.w!, dw), 2, true)));
        const experts = bwd(0, dExperts, want.dx);
        const gate = bwd(1, dLogits, want.dx);
        return result([experts, gate, out], [[featureCol, experts.dx], [condCol, gate.dx]]);
      }
      case 'independent': {
        const out = outDim;
        const dNets = tf.reshape(tf.mul(tf.reshape(dy, [E, 1, B, out]), c.sel!), [E * K, B, out]);
        const nets = bwd(0, dNets, want.dx);
        // d onehot[b,k] = sum_e,j dy[e,b,j] nets[e,k,b,j]
        const dOneHot = want.dx ? tf.transpose(tf.sum(tf.mul(c.perTask!, tf.reshape(dy, [E, 1, B, out])), [0, 3])) : null;
        return result([nets], [[featureCol, nets.dx], [metaDim, dOneHot]]);
      }
    }
  }

  /** The slices of x each architecture reads. */
  private inputs(x: tf.Tensor): { features: tf.Tensor; cond: () => tf.Tensor; onehot: () => tf.Tensor; concatInput: () => tf.Tensor } {
    const { metaDim, featureDim, descriptor } = this.cfg;
    const K = this.K;
    const B = x.shape[0];
    const onehot = () => tf.slice(x, [0, metaDim], [B, K]);
    const cond = () => (descriptor === 'onehot' ? onehot() : tf.slice(x, [0, 0], [B, metaDim]));
    const features = tf.slice(x, [0, metaDim + K], [B, featureDim]);
    // concat: [descriptor | features], read in one slice when the descriptor is the one-hot
    const concatInput = () => (descriptor === 'onehot' ? tf.slice(x, [0, metaDim], [B, K + featureDim]) : tf.concat([cond(), features], 1));
    return { features, cond, onehot, concatInput };
  }

  /** dL/dx [B, inDim] from the gradients of the column blocks x was sliced into (zeros elsewhere). */
  private scatterColumns(B: number, pieces: [number, tf.Tensor | null][]): tf.Tensor {
    const sorted = pieces.filter((p): p is [number, tf.Tensor] => p[1] !== null).sort((a, b) => a[0] - b[0]);
    const parts: tf.Tensor[] = [];
    let col = 0;
    for (const [start, t] of sorted) {
      if (start > col) parts.push(tf.zeros([B, start - col]));
      parts.push(t);
      col = start + (t.shape[1] as number);
    }
    if (col < this.inDim) parts.push(tf.zeros([B, this.inDim - col]));
    return parts.length === 1 ? parts[0] : tf.concat(parts, 1);
  }
}

/** What an architecture's backward needs beyond its parts' caches. */
interface ConditionedCache {
  x: tf.Tensor;
  caches: unknown[];
  /** multihead, independent: the one-hot, shaped to select per row, and every task's output. */
  sel?: tf.Tensor;
  perTask?: tf.Tensor;
  /** gated: each layer's output before gating, and the gates. */
  acts?: tf.Tensor[];
  gates?: tf.Tensor[];
  /** moe: mixing weights [E, B, M], the same as [E, M, B, 1], and the experts' outputs [E, M, B, h]. */
  w?: tf.Tensor;
  wT?: tf.Tensor;
  ex4?: tf.Tensor;
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
