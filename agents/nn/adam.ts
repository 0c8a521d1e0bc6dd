// Adam over a list of parameter variables, and Polyak averaging of target networks.
//
// With the native kernels registered (agents/tensor) a step is one RrlAdam kernel for all the
// variables: a single pass over each parameter, gradient and moments, where tfjs's own optimizer
// spends about a dozen elementwise ops per variable (each a full pass over memory plus per-op
// overhead). Elsewhere (tfjs-node, plain wasm, cpu) it is the same arithmetic in tfjs ops. Both
// follow torch.optim.Adam (bias-corrected, eps outside the square root).
import * as tf from '@tensorflow/tfjs';
import { nativeKernelsActive } from '../tensor/storage.ts';
import { runAdamKernel, axpbyNative } from '../tensor/fused.ts';

export interface AdamConfig {
  lr: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

export interface AdamState {
  step: number;
  m: Float32Array[];
  v: Float32Array[];
}

export class Adam {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  private m: tf.Tensor[];
  private v: tf.Tensor[];
  private t = 0;

  constructor(readonly params: tf.Variable[], cfg: AdamConfig) {
    this.lr = cfg.lr;
    this.beta1 = cfg.beta1 ?? 0.9;
    this.beta2 = cfg.beta2 ?? 0.999;
    this.epsilon = cfg.epsilon ?? 1e-8;
    this.m = params.map((p) => tf.keep(tf.zerosLike(p)));
    this.v = params.map((p) => tf.keep(tf.zerosLike(p)));
  }

  get steps(): number {
    return this.t;
  }

  /** params[i] <- params[i] - lr * mhat / (sqrt(vhat) + eps), grads in the order of params. */
  step(grads: tf.Tensor[]): void {
    if (grads.length !== this.params.length) throw new Error(`Adam: ${grads.length} gradients for ${this.params.length} parameters`);
    this.t += 1;
    const { beta1: b1, beta2: b2, epsilon: eps, lr, t } = this;
    const [ps, ms, vs] = nativeKernelsActive()
      ? runAdamKernel(this.params, grads, this.m, this.v, { lr, beta1: b1, beta2: b2, epsilon: eps, step: t })
      : unzip3(this.params.map((param, i) => tf.tidy(() => {
        const m2 = tf.add(tf.mul(this.m[i], b1), tf.mul(grads[i], 1 - b1));
        const v2 = tf.add(tf.mul(this.v[i], b2), tf.mul(tf.square(grads[i]), 1 - b2));
        const denom = tf.add(tf.div(tf.sqrt(v2), Math.sqrt(1 - b2 ** t)), eps);
        return [tf.sub(param, tf.mul(tf.div(m2, denom), lr / (1 - b1 ** t))), m2, v2];
      })));
    this.params.forEach((param, i) => {
      param.assign(ps[i]);
      ps[i].dispose();
      this.m[i].dispose();
      this.v[i].dispose();
      // Kept: step() may run inside a caller's tidy, which must not reclaim the optimizer state.
      this.m[i] = tf.keep(ms[i]);
      this.v[i] = tf.keep(vs[i]);
    });
  }

  /**
   * For a step the caller computes in place (agents/sac/direct.ts, one native call): counts the
   * step and returns its number with the moments to update, each in memory of its own (a moment
   * for which `shared` holds is replaced by a copy first).
   */
  stepInPlace(shared: (t: tf.Tensor) => boolean): { step: number; m: tf.Tensor[]; v: tf.Tensor[] } {
    const own = (ts: tf.Tensor[]) => ts.forEach((t, i) => {
      if (!shared(t)) return;
      ts[i] = tf.keep(tf.tensor(t.dataSync().slice(), t.shape));
      t.dispose();
    });
    own(this.m);
    own(this.v);
    this.t += 1;
    return { step: this.t, m: this.m, v: this.v };
  }

  getState(): AdamState {
    return { step: this.t, m: this.m.map((t) => t.dataSync().slice() as Float32Array), v: this.v.map((t) => t.dataSync().slice() as Float32Array) };
  }

  setState(st: AdamState): void {
    if (st.m.length !== this.params.length || st.v.length !== this.params.length) {
      throw new Error(`Adam state holds ${st.m.length} moments for ${this.params.length} parameters`);
    }
    const load = (arrs: Float32Array[], old: tf.Tensor[]) =>
      arrs.map((a, i) => {
        if (a.length !== this.params[i].size) throw new Error(`Adam moment ${i}: ${a.length} values for shape [${this.params[i].shape}]`);
        old[i].dispose();
        // A copy: the cpu backend would keep `a` itself, which a step in place then writes to.
        return tf.keep(tf.tensor(a.slice(), this.params[i].shape));
      });
    this.m = load(st.m, this.m);
    this.v = load(st.v, this.v);
    this.t = st.step;
  }

  dispose(): void {
    for (const t of [...this.m, ...this.v]) t.dispose();
  }
}

/** target <- (1 - tau) * target + tau * online, pairwise (Polyak averaging of target networks). */
export function polyakUpdate(targets: tf.Variable[], online: tf.Tensor[], tau: number): void {
  const next = axpbyNative(targets, online, 1 - tau, tau) ?? targets.map((target, i) => tf.tidy(() => tf.add(tf.mul(target, 1 - tau), tf.mul(online[i], tau))));
  targets.forEach((target, i) => {
    target.assign(next[i]);
    next[i].dispose();
  });
}

function unzip3<T>(rows: T[][]): [T[], T[], T[]] {
  return [rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2])];
}
