// Tanh-squashed Gaussian policy head (SAC's actor), on top of a network with 2 * actDim outputs:
// the mean and a raw log-std per action dimension.
//
// The easy-to-miss details, as in CleanRL's sac_continuous_action.py:
// - log-std is squashed into [logStdMin, logStdMax] with tanh (smooth, unlike clipping);
// - the action is tanh(x) with x = mu + std * eps (reparameterised, so gradients flow to mu, std);
// - log pi(a) = log N(x; mu, std) - sum log(1 - tanh(x)^2 + 1e-6), the change of variables of the
//   tanh squashing. With x = mu + std * eps, log N(x; mu, std) = -eps^2/2 - log std - log(2 pi)/2.
//
// Like the networks (agents/nn/net.ts), the head has its backward written out: sampleBackward()
// maps dL/daction and dL/dlogProb to dL/dhead.
import * as tf from '@tensorflow/tfjs';
import { MLP } from './mlp.ts';
import type { Net } from './net.ts';
import { nativeKernelsActive } from '../tensor/storage.ts';
import { tanhGaussianNative, tanhGaussianGradNative } from '../tensor/fused.ts';

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);
/** Keeps log(1 - tanh(x)^2) finite where the action saturates. */
const SQUASH_EPS = 1e-6;

export interface ActorConfig {
  inDim: number;
  actDim: number;
  hidden: number[];
  logStdMin: number;
  logStdMax: number;
  /** LayerNorm in the default MLP's hidden layers (agents/nn/mlp.ts). */
  layerNorm?: boolean;
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
    this.net = net ?? new MLP({ inDim: config.inDim, hidden: config.hidden, outDim: 2 * config.actDim, layerNorm: config.layerNorm });
  }

  get numParams(): number {
    return this.net.numParams;
  }

  init(seed = 0): tf.Tensor[] {
    return this.net.init(seed);
  }

  /** The network's output as [B, 2 * actDim] (conditioned nets return a 1-member ensemble axis). */
  private asHead(h: tf.Tensor, rows: number): tf.Tensor2D {
    return (h.rank === 3 ? tf.reshape(h, [rows, 2 * this.config.actDim]) : h) as tf.Tensor2D;
  }

  /** The head [mu | raw log-std] and the network's cache, for actorBackward(). */
  head(params: tf.Tensor[], obs: tf.Tensor): { head: tf.Tensor2D; netOut: tf.Tensor; cache: unknown } {
    const { y, cache } = this.net.forward(params, obs);
    return { head: this.asHead(y, obs.shape[0]), netOut: y, cache };
  }

  /** dL/dparams from dL/dhead, for the forward that gave `netOut` and `cache`. */
  backward(params: tf.Tensor[], netOut: tf.Tensor, cache: unknown, dHead: tf.Tensor): tf.Tensor[] {
    const dy = netOut.rank === 3 ? tf.reshape(dHead, netOut.shape) : dHead;
    return this.net.backward(params, cache, dy, { dx: false, params: true }).dParams!;
  }

  /** Samples with the given standard-normal noise eps [B, actDim] (the caller owns randomness). */
  sample(params: tf.Tensor[], obs: tf.Tensor, eps: tf.Tensor): PolicySample {
    return this.sampleFrom(this.asHead(this.net.apply(params, obs), obs.shape[0]), eps);
  }

  /** The action and its log-probability from a head [B, 2 actDim] and noise [B, actDim]. */
  sampleFrom(head: tf.Tensor, eps: tf.Tensor): PolicySample {
    const { logStdMin, logStdMax } = this.config;
    if (nativeKernelsActive()) {
      const [action, logProb] = tanhGaussianNative(head, eps, logStdMin, logStdMax);
      return { action: action as tf.Tensor2D, logProb: logProb as tf.Tensor2D };
    }
    return tf.tidy(() => {
      const { logStd, a } = this.squash(head, eps);
      const logN = tf.sub(tf.mul(tf.square(eps), -0.5), tf.add(logStd, HALF_LOG_2PI));
      const squash = tf.log(tf.sub(1 + SQUASH_EPS, tf.square(a)));
      return { action: a as tf.Tensor2D, logProb: tf.sum(tf.sub(logN, squash), 1, true) as tf.Tensor2D };
    });
  }

  /**
   * dL/dhead [B, 2 actDim] from dL/daction [B, actDim] and dL/dlogProb [B, 1], for the sample
   * drawn from `head` with noise `eps`. With a = tanh(x), x = mu + std eps,
   * log std = c0 + c1 tanh(r), delta = 1e-6:
   *   dx = dA (1 - a^2) + dLogp 2a (1 - a^2) / (1 + delta - a^2)
   *   dmu = dx;  dlogstd = dx std eps - dLogp;  dr = dlogstd c1 (1 - tanh(r)^2)
   */
  sampleBackward(dAction: tf.Tensor, dLogProb: tf.Tensor, head: tf.Tensor, eps: tf.Tensor): tf.Tensor2D {
    const { logStdMin, logStdMax } = this.config;
    if (nativeKernelsActive()) return tanhGaussianGradNative(dAction, dLogProb, head, eps, logStdMin, logStdMax) as tf.Tensor2D;
    return tf.tidy(() => {
      const { t, std, a } = this.squash(head, eps);
      const a2 = tf.square(a);
      const oneMinusA2 = tf.sub(1, a2);
      const dx = tf.add(tf.mul(dAction, oneMinusA2), tf.mul(dLogProb, tf.div(tf.mul(tf.mul(a, 2), oneMinusA2), tf.sub(1 + SQUASH_EPS, a2))));
      const dLogStd = tf.sub(tf.mul(tf.mul(dx, std), eps), dLogProb);
      const c1 = 0.5 * (logStdMax - logStdMin);
      const dRaw = tf.mul(dLogStd, tf.mul(tf.sub(1, tf.square(t)), c1));
      return tf.concat([dx, dRaw], 1) as tf.Tensor2D;
    });
  }

  /** The forward quantities in tfjs ops (the path without native kernels). */
  private squash(head: tf.Tensor, eps: tf.Tensor): { t: tf.Tensor; logStd: tf.Tensor; std: tf.Tensor; a: tf.Tensor } {
    const { actDim, logStdMin, logStdMax } = this.config;
    const c1 = 0.5 * (logStdMax - logStdMin);
    const [mu, raw] = tf.split(head, [actDim, actDim], 1);
    const t = tf.tanh(raw);
    const logStd = tf.add(tf.mul(t, c1), logStdMin + c1);
    const std = tf.exp(logStd);
    return { t, logStd, std, a: tf.tanh(tf.add(mu, tf.mul(std, eps))) };
  }

  /** tanh(mu): the deterministic (evaluation) action, [B, actDim]. */
  deterministic(params: tf.Tensor[], obs: tf.Tensor): tf.Tensor2D {
    return tf.tidy(() => {
      const head = this.asHead(this.net.apply(params, obs), obs.shape[0]);
      return tf.tanh(tf.slice(head, [0, 0], [-1, this.config.actDim])) as tf.Tensor2D;
    });
  }
}
