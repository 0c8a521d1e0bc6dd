// A multi-layer perceptron with its backward written out (agents/nn/net.ts says why).
//
// With the native kernels (agents/tensor) the forward and the backward are one kernel call each
// (RrlMlp / RrlMlpGrad: every layer's product, bias and activation inside); elsewhere they are
// the layer-by-layer ops of dense.ts. Both compute the same function and gradient, from the same
// saved values: the input and every layer's output.
//
// Parameters are a list [W0, b0, W1, b1, ...] (shapes from weightShape / biasShape), one tensor per
// piece rather than one flat vector: slicing a flat vector costs a full copy per piece on the wasm
// backend (its Slice kernel reads the whole input back), while separate tensors cost nothing.
import * as tf from '@tensorflow/tfjs';
import type { Grads, Net, Want } from './net.ts';
import { type Activation, type DenseShape, weightShape, biasShape, denseForward, denseBackward, activationBackward } from './dense.ts';
import { nativeKernelsActive } from '../tensor/storage.ts';
import { mlpForwardNative, mlpBackwardNative, MLP_MAX_LAYERS } from '../tensor/fused.ts';

export interface MLPConfig {
  inDim: number;
  hidden: number[];
  outDim: number;
  /** E independent networks evaluated as one batched product (twin critics: 2). */
  ensemble?: number;
  /** Hidden-layer activation (default relu). */
  activation?: Activation;
  /** Output activation (default linear). */
  outActivation?: Activation;
}

/** What the backward needs: the input and every layer's output. */
interface MlpCache {
  x: tf.Tensor;
  ys: tf.Tensor[];
}

export class MLP implements Net {
  readonly layers: DenseShape[];
  readonly acts: Activation[];
  /** Shapes of W0, b0, W1, b1, ... */
  readonly paramShapes: number[][];
  readonly numParams: number;
  readonly ensemble: number | undefined;

  constructor(readonly config: MLPConfig) {
    const dims = [config.inDim, ...config.hidden, config.outDim];
    this.ensemble = config.ensemble;
    this.layers = dims.slice(1).map((out, i) => ({ inDim: dims[i], outDim: out, ensemble: config.ensemble }));
    this.acts = this.layers.map((_, i) => (i === this.layers.length - 1 ? config.outActivation ?? 'linear' : config.activation ?? 'relu'));
    this.paramShapes = this.layers.flatMap((l) => [weightShape(l), biasShape(l)]);
    this.numParams = this.paramShapes.reduce((a, s) => a + tf.util.sizeFromShape(s), 0);
  }

  /** Initial parameters: PyTorch nn.Linear's default, U(-1/sqrt(in), 1/sqrt(in)) for W and b. */
  init(seed = 0): tf.Tensor[] {
    return this.paramShapes.map((shape, j) => {
      const bound = 1 / Math.sqrt(Math.max(1, this.layers[j >> 1].inDim));
      return tf.randomUniform(shape, -bound, bound, 'float32', seed * 1000 + j + 1);
    });
  }

  private check(params: tf.Tensor[]): void {
    if (params.length !== this.paramShapes.length || params.some((p, j) => !tf.util.arraysEqual(p.shape, this.paramShapes[j]))) {
      throw new Error(`MLP expects parameters of shapes ${JSON.stringify(this.paramShapes)}, got ${JSON.stringify(params.map((p) => p.shape))}`);
    }
  }

  /**
   * Output for input x: [B, out], or [E, B, out] for an ensemble (x is [B, in] shared by all
   * members, or [E, B, in]).
   */
  apply(params: tf.Tensor[], x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.forward(params, x).y);
  }

  forward(params: tf.Tensor[], x: tf.Tensor): { y: tf.Tensor; cache: MlpCache } {
    this.check(params);
    let ys: tf.Tensor[];
    if (this.native(x)) {
      ys = mlpForwardNative(x, params, this.acts);
    } else {
      ys = [];
      let h = x;
      for (let i = 0; i < this.layers.length; i++) {
        h = denseForward(h, params[2 * i], params[2 * i + 1], this.acts[i]);
        ys.push(h);
      }
    }
    return { y: ys[ys.length - 1], cache: { x, ys } };
  }

  backward(params: tf.Tensor[], cache: unknown, dy: tf.Tensor, want: Want): Grads {
    this.check(params);
    const { x, ys } = cache as MlpCache;
    const n = this.layers.length;
    const ws = params.filter((_, j) => j % 2 === 0);
    if (this.native(x)) {
      const out = mlpBackwardNative(dy, x, ws, ys, this.acts, want);
      return { dx: want.dx ? out[0] : null, dParams: want.params ? out.slice(want.dx ? 1 : 0) : null };
    }
    const xs = [x, ...ys.slice(0, n - 1)];
    const dParams: tf.Tensor[] = new Array(2 * n);
    let g = dy;
    let dx: tf.Tensor | null = null;
    for (let i = n - 1; i >= 0; i--) {
      const dz = activationBackward(g, ys[i], this.acts[i]);
      const r = denseBackward(dz, xs[i], ws[i], { x: i > 0 || want.dx, params: want.params });
      if (want.params) {
        dParams[2 * i] = r.dw!;
        dParams[2 * i + 1] = r.db!;
      }
      if (i > 0) g = r.dx!;
      else dx = r.dx;
    }
    return { dx: want.dx ? dx : null, dParams: want.params ? dParams : null };
  }

  /**
   * The native kernels run where registered, for the shapes they take: x [B, in] (shared by an
   * ensemble) or [E, B, in], at most MLP_MAX_LAYERS layers.
   */
  private native(x: tf.Tensor): boolean {
    if (!nativeKernelsActive() || x.dtype !== 'float32' || this.layers.length > MLP_MAX_LAYERS) return false;
    if (x.rank === 2) return true;
    return x.rank === 3 && this.ensemble !== undefined && x.shape[0] === this.ensemble;
  }
}
