// What every conditioning architecture shares: the input layout, the parameter list made of MLP
// parts, and the plumbing between them. Each architecture (one file each beside this one) adds its
// parts in its constructor and writes its forward next to its backward.
//
// Input layout. Every network takes one matrix x = [descriptor vector (metaDim) | one-hot task (K) |
// features], where features are the goal-conditioned state (and the action, for critics) and the
// descriptor vector is the task's metadata or its description's language vector. `cond` is what
// the architectures that condition on a descriptor read: the one-hot or that vector.
//
// Ensembles (twin critics) are the E axis of the batched dense layers (dense.ts): every
// architecture evaluates all E members in the same products and returns [E, B, out].
import * as tf from '@tensorflow/tfjs';
import { MLP, type MLPConfig } from '../mlp.ts';
import type { Grads, Net, Want } from '../net.ts';

export const DESCRIPTORS = ['onehot', 'metadata', 'language'] as const;
export type DescriptorKind = (typeof DESCRIPTORS)[number];

export interface ArchConfig {
  descriptor: DescriptorKind;
  numTasks: number;
  /** Width of the descriptor-vector block at the start of x (metadata, or the language vector). */
  metaDim: number;
  /** Width of the features part of x. */
  featureDim: number;
  hidden: number[];
  outDim: number;
  /** Members evaluated together (2 for twin critics); 1 gives [1, B, out]. */
  ensemble: number;
  /** Experts of `moe` (default 4). */
  experts?: number;
  /** Weight lambda of `soft`'s penalty on the differences between task networks (default 0). */
  softLambda?: number;
  /** LayerNorm after the product of every hidden layer, before its activation (agents/nn/mlp.ts; default off). */
  layerNorm?: boolean;
}

/**
 * Where an MLP part sits: a whole `network` (input to output), a `trunk` (its output is a hidden
 * layer of the whole network), or a `head` (an output layer or a gate). Per-role MLP options are
 * decided in `part()` alone.
 */
export type PartRole = 'network' | 'trunk' | 'head';

/** The part caches every architecture's cache holds, with the input. */
export interface PartsCache {
  x: tf.Tensor;
  caches: unknown[];
}

export abstract class ConditionedArch implements Net {
  readonly inDim: number;
  protected readonly E: number;
  protected readonly K: number;
  private readonly parts: MLP[] = [];
  private readonly offsets: number[] = [];

  constructor(readonly cfg: ArchConfig) {
    if (cfg.hidden.length === 0) throw new RangeError('conditioned networks need at least one hidden layer');
    this.E = cfg.ensemble;
    this.K = cfg.numTasks;
    this.inDim = cfg.metaDim + cfg.numTasks + cfg.featureDim;
  }

  abstract forward(params: tf.Tensor[], x: tf.Tensor): { y: tf.Tensor; cache: PartsCache };
  abstract backward(params: tf.Tensor[], cache: unknown, dy: tf.Tensor, want: Want): Grads;

  get paramShapes(): number[][] {
    return this.parts.flatMap((p) => p.paramShapes);
  }

  get numParams(): number {
    return this.parts.reduce((a, p) => a + p.numParams, 0);
  }

  init(seed: number): tf.Tensor[] {
    return this.parts.flatMap((p, i) => p.init(seed * 101 + i));
  }

  apply(params: tf.Tensor[], x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.forward(params, x).y);
  }

  /** Adds an MLP part (parameters follow the parts in the order added); returns its index. */
  protected part(cfg: MLPConfig, role: PartRole): number {
    // LayerNorm in a network's hidden layers, and in a trunk's output layer too (a hidden layer of
    // the whole network); heads, gates and outputs have none.
    const ln = this.cfg.layerNorm === true && role !== 'head';
    const norm = { layerNorm: ln, outLayerNorm: ln && role === 'trunk' };
    this.offsets.push(this.parts.reduce((a, p) => a + p.paramShapes.length, 0));
    this.parts.push(new MLP({ ...cfg, ...norm }));
    return this.parts.length - 1;
  }

  /** Part i's network. */
  protected partNet(i: number): MLP {
    return this.parts[i];
  }

  /** Part i's forward on `input`. */
  protected fwd(params: tf.Tensor[], i: number, input: tf.Tensor): { y: tf.Tensor; cache: unknown } {
    return this.parts[i].forward(this.paramsOf(params, i), input);
  }

  /** Part i's backward for dL/d(its output); dx only when asked, parameters when `want.params`. */
  protected bwd(params: tf.Tensor[], cache: PartsCache, i: number, dy: tf.Tensor, dx: boolean, want: Want): Grads {
    return this.parts[i].backward(this.paramsOf(params, i), cache.caches[i], dy, { dx, params: want.params });
  }

  private paramsOf(params: tf.Tensor[], i: number): tf.Tensor[] {
    return params.slice(this.offsets[i], this.offsets[i] + this.parts[i].paramShapes.length);
  }

  /** Width of `cond`: the one-hot's or the descriptor vector's. */
  protected get condDim(): number {
    return this.cfg.descriptor === 'onehot' ? this.K : this.cfg.metaDim;
  }

  /** Column of x where each block starts. */
  protected get onehotCol(): number {
    return this.cfg.metaDim;
  }
  protected get featureCol(): number {
    return this.cfg.metaDim + this.K;
  }
  protected get condCol(): number {
    return this.cfg.descriptor === 'onehot' ? this.onehotCol : 0;
  }

  protected onehot(x: tf.Tensor): tf.Tensor {
    return tf.slice(x, [0, this.onehotCol], [x.shape[0], this.K]);
  }
  protected cond(x: tf.Tensor): tf.Tensor {
    return this.cfg.descriptor === 'onehot' ? this.onehot(x) : tf.slice(x, [0, 0], [x.shape[0], this.cfg.metaDim]);
  }
  protected features(x: tf.Tensor): tf.Tensor {
    return tf.slice(x, [0, this.featureCol], [x.shape[0], this.cfg.featureDim]);
  }

  /**
   * The Grads of the whole network: dParams in the order of the parts (as the parameter list is
   * laid out), dL/dx from the gradients of the column blocks x was sliced into (zeros elsewhere).
   */
  protected grads(want: Want, B: number, perPart: Grads[], dxPieces: [number, tf.Tensor | null][]): Grads {
    return {
      dParams: want.params ? perPart.flatMap((g) => g.dParams!) : null,
      dx: want.dx ? this.scatterColumns(B, dxPieces) : null,
    };
  }

  private scatterColumns(B: number, pieces: [number, tf.Tensor | null][]): tf.Tensor {
    const sorted = pieces.filter((p): p is [number, tf.Tensor] => p[1] !== null).sort((a, b) => a[0] - b[0]);
    const out: tf.Tensor[] = [];
    let col = 0;
    for (const [start, t] of sorted) {
      if (start > col) out.push(tf.zeros([B, start - col]));
      out.push(t);
      col = start + (t.shape[1] as number);
    }
    if (col < this.inDim) out.push(tf.zeros([B, this.inDim - col]));
    return out.length === 1 ? out[0] : tf.concat(out, 1);
  }
}
