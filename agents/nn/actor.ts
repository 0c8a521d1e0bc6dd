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
    const [mu, rawLogStd] = tf.split(head, [actDim, actDim], 1);
    const logStd = tf.add(logStdMin + 0.5 * (logStdMax - logStdMin), tf.mul(tf.tanh(rawLogStd), 0.5 * (logStdMax - logStdMin)));
    const x = tf.add(mu, tf.mul(tf.exp(logStd), eps));
    const action = tf.tanh(x);
    const logN = tf.sub(tf.mul(tf.square(eps), -0.5), tf.add(logStd, HALF_LOG_2PI));
    const squash = tf.log(tf.sub(1 + 1e-6, tf.square(action)));
    const logProb = tf.sum(tf.sub(logN, squash), 1, true);
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
