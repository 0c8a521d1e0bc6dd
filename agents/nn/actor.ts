// Tanh-squashed Gaussian policy head (SAC's actor), on top of an MLP with 2 * actDim outputs:
// the mean and a raw log-std per action dimension.
//
// The easy-to-miss details, as in CleanRL's sac_continuous_action.py:
// - log-std is squashed into [logStdMin, logStdMax] with tanh (smooth, unlike clipping);
// - the action is tanh(x) with x = mu + std * eps (reparameterised, so gradients flow to mu, std);
// - log pi(a) = log N(x; mu, std) - sum log(1 - tanh(x)^2 + 1e-6), the change of variables of the
//   tanh squashing. With x = mu + std * eps, log N(x; mu, std) = -eps^2/2 - log std - log(2 pi)/2.
import * as tf from '@tensorflow/tfjs';
import { MLP, type ApplyOptions } from './mlp.ts';
import type { Net } from './conditioned.ts';

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

export interface ActorConfig {
  inDim: number;
  actDim: number;
  hidden: number[];
  logStdMin: number;
  logStdMax: number;
}

export interface PolicySample {
  /** tanh-squashed action in (-1, 1), [B, actDim]. */
  action: tf.Tensor2D;
  /** log pi(action | obs), [B, 1]. */
  logProb: tf.Tensor2D;
}

export class TanhGaussianActor {
  readonly net: Net;

  /** `net` (any conditioning architecture) must map inDim to 2 * actDim; default a plain MLP. */
  constructor(readonly config: ActorConfig, net?: Net) {
    this.net = net ?? new MLP({ inDim: config.inDim, hidden: config.hidden, outDim: 2 * config.actDim });
  }

  /** The network's output as [B, 2 * actDim] (conditioned nets return a 1-member ensemble axis). */
  private head(params: tf.Tensor[], obs: tf.Tensor, opts: ApplyOptions): tf.Tensor {
    const h = this.net.apply(params, obs, opts);
    return h.rank === 3 ? tf.reshape(h, [obs.shape[0], 2 * this.config.actDim]) : h;
  }

  get numParams(): number {
    return this.net.numParams;
  }

  init(seed = 0): tf.Tensor[] {
    return this.net.init(seed);
  }

  /** Samples with the given standard-normal noise eps [B, actDim] (the caller owns randomness). */
  sample(params: tf.Tensor[], obs: tf.Tensor, eps: tf.Tensor, opts: ApplyOptions = {}): PolicySample {
    const { actDim, logStdMin, logStdMax } = this.config;
    const head = this.head(params, obs, opts);
    const out = squashedGaussian(head, eps, actDim, logStdMin, logStdMax);
    const [action, logProb] = tf.split(out, [actDim, 1], 1);
    return { action: action as tf.Tensor2D, logProb: logProb as tf.Tensor2D };
  }

  /** tanh(mu): the deterministic (evaluation) action, [B, actDim]. */
  deterministic(params: tf.Tensor[], obs: tf.Tensor): tf.Tensor2D {
    return tf.tidy(() => {
      const head = this.head(params, obs, { gradParams: false });
      return tf.tanh(tf.slice(head, [0, 0], [-1, this.config.actDim])) as tf.Tensor2D;
    });
  }
}

/**
 * The tanh-Gaussian sample and its log-probability as one differentiable op: [action | logProb],
 * [B, actDim + 1], from head = [mu | raw log-std] and the noise eps. Written out with its gradient
 * because, as ~15 separate taped ops, the bookkeeping cost more than the arithmetic on [B, 4].
 *
 * Gradient, with a = tanh(x), x = mu + std eps, log std = c0 + c1 tanh(r), delta = 1e-6:
 *   dx = dA (1 - a^2) + dLogp 2a (1 - a^2) / (1 + delta - a^2)
 *   dmu = dx;  dlogstd = dx std eps - dLogp;  dr = dlogstd c1 (1 - tanh(r)^2)
 */
export function squashedGaussian(head: tf.Tensor, eps: tf.Tensor, actDim: number, logStdMin: number, logStdMax: number): tf.Tensor {
  const c1 = 0.5 * (logStdMax - logStdMin);
  const c0 = logStdMin + c1;
  const f = (h: tf.Tensor, save: tf.GradSaveFunc) => {
    const [mu, raw] = tf.split(h, [actDim, actDim], 1);
    const t = tf.tanh(raw);
    const logStd = tf.add(tf.mul(t, c1), c0);
    const std = tf.exp(logStd);
    const a = tf.tanh(tf.add(mu, tf.mul(std, eps)));
    const logN = tf.sub(tf.mul(tf.square(eps), -0.5), tf.add(logStd, HALF_LOG_2PI));
    const squash = tf.log(tf.sub(1 + 1e-6, tf.square(a)));
    const logProb = tf.sum(tf.sub(logN, squash), 1, true);
    save([t, std, a, eps]); // eps too: the caller's scope may have released it before backprop
    return {
      value: tf.concat([a, logProb], 1),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [st, sstd, sa, seps] = saved;
        const [dA, dL] = tf.split(dy as tf.Tensor, [actDim, 1], 1);
        const a2 = tf.square(sa);
        const oneMinusA2 = tf.sub(1, a2);
        const dx = tf.add(tf.mul(dA, oneMinusA2), tf.mul(dL, tf.div(tf.mul(tf.mul(sa, 2), oneMinusA2), tf.sub(1 + 1e-6, a2))));
        const dLogStd = tf.sub(tf.mul(tf.mul(dx, sstd), seps), dL);
        const dRaw = tf.mul(dLogStd, tf.mul(tf.sub(1, tf.square(st)), c1));
        return [tf.concat([dx, dRaw], 1)];
      },
    };
  };
  return tf.customGrad(((h: tf.Tensor, save: tf.GradSaveFunc) => f(h, save)) as never)(head);
}
