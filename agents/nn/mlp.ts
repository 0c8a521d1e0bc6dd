// A multi-layer perceptron with its backward written out (agents/nn/net.ts says why).
//
// With the native kernels (agents/tensor) the forward and the backward are one kernel call each
// (RrlMlp / RrlMlpGrad: every layer's product, bias and activation inside); elsewhere they are
// the layer-by-layer ops of dense.ts. Both compute the same function and gradient, from the same
// saved values: the input and every layer's output.
//
// LayerNorm (option `layerNorm`): each hidden layer becomes dense -> LayerNorm (learned gain and
// bias) -> activation, as in the LayerNorm critics of RLPD and BRC (agents/nn/layer-norm.ts has
// the math). `outLayerNorm` normalises the output layer too, for networks that are the hidden
// trunk of a larger one (agents/nn/conditioned.ts).
//
// Parameters are a list, per layer W, b and, for a normalised layer, the gain g and bias beta
// after them (shapes from weightShape / biasShape), one tensor per piece rather than one flat
// vector: slicing a flat vector costs a full copy per piece on the wasm backend (its Slice kernel
// reads the whole input back), while separate tensors cost nothing.
import * as tf from '@tensorflow/tfjs';
import type { Grads, KernelForm, Net, Want } from './net.ts';
import {
  type Activation, type DenseShape, weightShape, biasShape, denseForward, denseBackward, activationBackward, applyActivation,
} from './dense.ts';
import { layerNormForward, layerNormBackward, type LayerNormSaved } from './layer-norm.ts';
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
  /** LayerNorm (learned gain and bias) between each hidden layer's product and its activation (default off). */
  layerNorm?: boolean;
  /** LayerNorm on the output layer too (default off): for a network that is a hidden trunk. */
  outLayerNorm?: boolean;
}

/** What the backward needs: the input, every layer's output, and the normalised layers' saved values. */
interface MlpCache {
  x: tf.Tensor;
  ys: tf.Tensor[];
  norms: (LayerNormSaved | null)[];
}

export class MLP implements Net {
  readonly layers: DenseShape[];
  readonly acts: Activation[];
  /** Layer l has LayerNorm. */
  readonly norms: boolean[];
  /** Shapes of W0, b0 (, g0, beta0), W1, b1, ... */
  readonly paramShapes: number[][];
  /** Index of layer l's weight in the parameter list (its bias, and LayerNorm gain and bias, follow). */
  readonly paramAt: number[];
  readonly numParams: number;
  readonly ensemble: number | undefined;

  constructor(readonly config: MLPConfig) {
    const dims = [config.inDim, ...config.hidden, config.outDim];
    this.ensemble = config.ensemble;
    this.layers = dims.slice(1).map((out, i) => ({ inDim: dims[i], outDim: out, ensemble: config.ensemble }));
    const last = this.layers.length - 1;
    this.acts = this.layers.map((_, i) => (i === last ? config.outActivation ?? 'linear' : config.activation ?? 'relu'));
    this.norms = this.layers.map((_, i) => (i === last ? config.outLayerNorm === true : config.layerNorm === true));
    this.paramShapes = this.layers.flatMap((l, i) => (this.norms[i] ? [weightShape(l), biasShape(l), biasShape(l), biasShape(l)] : [weightShape(l), biasShape(l)]));
    this.numParams = this.paramShapes.reduce((a, s) => a + tf.util.sizeFromShape(s), 0);
    let at = 0;
    this.paramAt = this.layers.map((_, i) => {
      const here = at;
      at += this.norms[i] ? 4 : 2;
      return here;
    });
  }

  /**
   * Initial parameters: PyTorch's defaults, U(-1/sqrt(in), 1/sqrt(in)) for W and b
   * (nn.Linear), gain 1 and bias 0 for LayerNorm. Seeds per layer piece as before LayerNorm
   * existed, so networks without it start where they always did.
   */
  init(seed = 0): tf.Tensor[] {
    return this.layers.flatMap((layer, i) => {
      const bound = 1 / Math.sqrt(Math.max(1, layer.inDim));
      const [w, b] = [0, 1].map((k) => tf.randomUniform(this.paramShapes[this.paramAt[i] + k], -bound, bound, 'float32', seed * 1000 + 2 * i + k + 1));
      return this.norms[i] ? [w, b, tf.ones(biasShape(layer)), tf.zeros(biasShape(layer))] : [w, b];
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
    const ys: tf.Tensor[] = [];
    const norms: (LayerNormSaved | null)[] = [];
    if (this.native(x)) {
      const outs = mlpForwardNative(x, params, this.acts, this.norms);
      let k = 0;
      this.layers.forEach((_, i) => {
        ys.push(outs[k++]);
        norms.push(this.norms[i] ? { xhat: outs[k++], rstd: outs[k++] } : null);
      });
    } else {
      let h = x;
      this.layers.forEach((_, i) => {
        const at = this.paramAt[i];
        if (this.norms[i]) {
          const { u, saved } = layerNormForward(denseForward(h, params[at], params[at + 1], 'linear'), params[at + 2], params[at + 3]);
          h = applyActivation(u, this.acts[i]);
          norms.push(saved);
        } else {
          h = denseForward(h, params[at], params[at + 1], this.acts[i]);
          norms.push(null);
        }
        ys.push(h);
      });
    }
    return { y: ys[ys.length - 1], cache: { x, ys, norms } };
  }

  backward(params: tf.Tensor[], cache: unknown, dy: tf.Tensor, want: Want): Grads {
    this.check(params);
    const { x, ys, norms } = cache as MlpCache;
    const n = this.layers.length;
    if (this.native(x)) {
      const weights = this.layers.flatMap((_, i) => (this.norms[i] ? [params[this.paramAt[i]], params[this.paramAt[i] + 2]] : [params[this.paramAt[i]]]));
      const saved = ys.flatMap((y, i) => (norms[i] ? [y, norms[i]!.xhat, norms[i]!.rstd] : [y]));
      const out = mlpBackwardNative(dy, x, weights, saved, this.acts, this.norms, want);
      return { dx: want.dx ? out[0] : null, dParams: want.params ? out.slice(want.dx ? 1 : 0) : null };
    }
    const xs = [x, ...ys.slice(0, n - 1)];
    const dParams: tf.Tensor[] = new Array(this.paramShapes.length);
    let g = dy;
    let dx: tf.Tensor | null = null;
    for (let i = n - 1; i >= 0; i--) {
      const at = this.paramAt[i];
      let dz = activationBackward(g, ys[i], this.acts[i]);
      if (norms[i]) {
        const r = layerNormBackward(dz, norms[i]!, params[at + 2], want.params);
        dz = r.dz;
        if (want.params) {
          dParams[at + 2] = r.dg!;
          dParams[at + 3] = r.dbeta!;
        }
      }
      const r = denseBackward(dz, xs[i], params[at], { x: i > 0 || want.dx, params: want.params });
      if (want.params) {
        dParams[at] = r.dw!;
        dParams[at + 1] = r.db!;
      }
      if (i > 0) g = r.dx!;
      else dx = r.dx;
    }
    return { dx: want.dx ? dx : null, dParams: want.params ? dParams : null };
  }

  kernelForm(): KernelForm {
    return { mlp: this, cols: null, select: null };
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
