// soft: soft parameter sharing. One network per task, as `independent`, tied by a penalty on their
// differences, lambda * sum_t ||theta_t - mean_t theta||^2 (per ensemble member), added to the loss
// of each update: tasks may differ where their data says so, and stay close elsewhere. lambda 0 is
// `independent`; a large lambda pulls them toward one shared network. Costs K times one network,
// plus one pass over the parameters for the penalty.
import * as tf from '@tensorflow/tfjs';
import type { Penalty } from '../net.ts';
import type { ArchConfig } from './base.ts';
import { IndependentNet } from './independent.ts';

export class SoftNet extends IndependentNet {
  readonly lambda: number;

  constructor(cfg: ArchConfig) {
    super(cfg);
    this.lambda = cfg.softLambda ?? 0;
    if (!(this.lambda >= 0)) throw new RangeError(`soft: lambda must be >= 0, got ${this.lambda}`);
  }

  /**
   * The penalty and its gradient. Every parameter tensor has the E x K members on its first axis
   * (member e * K + k is task k's copy of ensemble member e), so per tensor, viewed as [E, K, n]:
   *   P = lambda sum_e,k,i (theta_eki - m_ei)^2,  m_ei = mean_k theta_eki
   *   dP/dtheta_eki = 2 lambda (theta_eki - m_ei)
   * (the mean's own dependence on theta_eki contributes 2 lambda sum_k (theta_eki - m_ei) / K = 0).
   */
  penalty(params: tf.Tensor[]): Penalty {
    const { E, K } = this;
    return tf.tidy(() => {
      let loss: tf.Tensor = tf.scalar(0);
      const dParams = params.map((p) => {
        const v = tf.reshape(p, [E, K, -1]);
        const diff = tf.sub(v, tf.mean(v, 1, true));
        loss = tf.add(loss, tf.sum(tf.square(diff)));
        return tf.reshape(tf.mul(diff, 2 * this.lambda), p.shape);
      });
      return { loss: tf.mul(loss, this.lambda), dParams };
    });
  }
}
