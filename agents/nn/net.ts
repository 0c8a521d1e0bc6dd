// What every network here offers (MLPs and the conditioning architectures alike): parameter
// shapes, initial values, a forward pass, and its vector-Jacobian product.
//
// Gradients are explicit rather than taped: forward() returns the output and what the backward
// needs, backward() turns dL/dy into dL/dx and dL/dparams. The SAC update (agents/sac/update.ts)
// chains them by hand. Why: at SAC's sizes tfjs spends 10-20 us of bookkeeping on every op it
// records and replays, as much as the arithmetic of a small op; a written-out backward runs only
// the products and elementwise passes the math needs (with the native kernels, one call per
// network each way).
import type * as tf from '@tensorflow/tfjs';
import type { MLP } from './mlp.ts';
import type { TaskSelection } from './task-select.ts';

/** Which gradients a backward pass computes. */
export interface Want {
  /** dL/dx, the gradient with respect to the input. */
  dx: boolean;
  /** dL/dparams, in the order of the parameter list. */
  params: boolean;
}

export interface Grads {
  dx: tf.Tensor | null;
  dParams: tf.Tensor[] | null;
}

/** A term of the loss that depends on the parameters alone (a regulariser), with its gradient. */
export interface Penalty {
  loss: tf.Tensor;
  dParams: tf.Tensor[];
}

/**
 * A network as the direct SAC update (agents/sac/direct.ts) runs it with the native kernels: one
 * MLP on the columns [from, to) of x (null: all of x), then, where `select` is set, each row's own
 * task's outputs (task-select.ts).
 */
export interface KernelForm {
  mlp: MLP;
  cols: [number, number] | null;
  select: TaskSelection | null;
}

export interface Net {
  readonly paramShapes: number[][];
  readonly numParams: number;
  init(seed: number): tf.Tensor[];
  /** The output for input x (no gradient bookkeeping). */
  apply(params: tf.Tensor[], x: tf.Tensor): tf.Tensor;
  /** The output and what backward() needs (opaque; tensors owned by the caller's scope). */
  forward(params: tf.Tensor[], x: tf.Tensor): { y: tf.Tensor; cache: unknown };
  /** dL/dx and dL/dparams from dL/dy (dy has the output's shape), for the forward that gave `cache`. */
  backward(params: tf.Tensor[], cache: unknown, dy: tf.Tensor, want: Want): Grads;
  /**
   * A penalty on the parameters the update adds to the network's loss (soft parameter sharing's
   * tie between task networks); absent: none.
   */
  penalty?(params: tf.Tensor[]): Penalty;
  /** The network as an MLP and a task selection, where it is one (absent or null: it is not). */
  kernelForm?(): KernelForm | null;
}
