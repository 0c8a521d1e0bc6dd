// A multi-layer perceptron applied as a single differentiable op.
//
// Why one op: the whole forward is one tape node whose gradient (dense.ts, layer by layer) is
// written out, so nothing is recorded or replayed per layer; tfjs's per-op overhead, not the
// arithmetic, is what dominates at these sizes.
//
// Parameters are a list [W0, b0, W1, b1, ...] (shapes from weightShape / biasShape), one tensor per
// piece rather than one flat vector: slicing a flat vector costs a full copy per piece on the wasm
// backend (its Slice kernel reads the whole input back), while separate tensors cost nothing.
import * as tf from '@tensorflow/tfjs';
import type { Net } from './conditioned.ts';
import { type Activation, type DenseShape, weightShape, biasShape, denseForward, denseBackward, activationBackward } from './dense.ts';

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

export interface ApplyOptions {
  /** Differentiate with respect to the parameters (default true). False: they are constants here. */
  gradParams?: boolean;
  /** Differentiate with respect to the input (default false: the input is data). */
  gradInput?: boolean;
}

export class MLP {
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
  apply(params: tf.Tensor[], x: tf.Tensor, opts: ApplyOptions = {}): tf.Tensor {
    this.check(params);
    const gradParams = opts.gradParams ?? true;
    const gradInput = opts.gradInput ?? false;
    const n = this.layers.length;
    const forward = (ps: tf.Tensor[], xx: tf.Tensor, save: tf.GradSaveFunc) => {
      const ins: tf.Tensor[] = [];
      const outs: tf.Tensor[] = [];
      let h = xx;
      for (let i = 0; i < n; i++) {
        ins.push(h);
        h = denseForward(h, ps[2 * i], ps[2 * i + 1], this.acts[i]);
        outs.push(h);
      }
      // Each layer's input is the previous layer's output: save W0..Wn-1, x, y0..yn-1 (each saved
      // tensor costs an op on the tape).
      save([...ps.filter((_, j) => j % 2 === 0), ins[0], ...outs]);
      const gradFunc = (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]): tf.Tensor[] => {
        const ws = saved.slice(0, n);
        const ys = saved.slice(n + 1, 2 * n + 1);
        const xs = [saved[n], ...ys.slice(0, n - 1)];
        const pGrads: tf.Tensor[] = new Array(2 * n);
        let g = dy as tf.Tensor;
        let dx: tf.Tensor | null = null;
        for (let i = n - 1; i >= 0; i--) {
          const dz = activationBackward(g, ys[i], this.acts[i]);
          const r = denseBackward(dz, xs[i], ws[i], { x: i > 0 || gradInput, params: gradParams });
          if (gradParams) {
            pGrads[2 * i] = r.dw!;
            pGrads[2 * i + 1] = r.db!;
          }
          if (i > 0) g = r.dx!;
          else dx = r.dx;
        }
        return [...(gradInput ? [dx!] : []), ...(gradParams ? pGrads : [])];
      };
      return { value: h, gradFunc };
    };
    // customGrad passes its inputs positionally, then the save function.
    const inputs = [...(gradInput ? [x] : []), ...(gradParams ? params : [])];
    if (inputs.length === 0) return tf.tidy(() => forward(params, x, () => {}).value);
    const f = (...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const save = args[args.length - 1] as tf.GradSaveFunc;
      const ts = args.slice(0, -1) as tf.Tensor[];
      const xx = gradInput ? ts[0] : x;
      const ps = gradParams ? ts.slice(gradInput ? 1 : 0) : params;
      return forward(ps, xx, save);
    };
    return tf.customGrad(f as never)(...inputs);
  }
}

/** Twin (or N-way) critics over [input] as one batched network: outputs [E, B, 1]. */
export class EnsembleCritic {
  readonly net: Net;

  /** `net` (any conditioning architecture with `members` ensemble members, output 1); default an MLP. */
  constructor(inDim: number, hidden: number[], members = 2, net?: Net) {
    this.net = net ?? new MLP({ inDim, hidden, outDim: 1, ensemble: members });
  }

  get numParams(): number {
    return this.net.numParams;
  }

  init(seed = 0): tf.Tensor[] {
    return this.net.init(seed);
  }

  /** Q-values of every member, [E, B, 1]. */
  values(params: tf.Tensor[], input: tf.Tensor, opts: ApplyOptions = {}): tf.Tensor {
    return this.net.apply(params, input, opts);
  }

  /** The pessimistic estimate min over members, [B, 1] (SAC's clipped double-Q). */
  minValue(params: tf.Tensor[], input: tf.Tensor, opts: ApplyOptions = {}): tf.Tensor {
    return tf.min(this.values(params, input, opts), 0);
  }
}
