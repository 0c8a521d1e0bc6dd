// One Soft Actor-Critic update, read top to bottom (CleanRL's sac_continuous_action.py, with one
// learned temperature per task).
//
//   1. critic target   y = r + gamma (1 - terminated) (min_i Q'_i(s', a') - alpha[task] log pi(a'|s')),
//                      a' ~ pi(.|s'), Q' the Polyak-averaged target critics
//   2. critic step     minimise sum_i mean (Q_i(s, a) - y)^2 over both critics (one batched network)
//   3. actor step      minimise mean (alpha[task] log pi(a~|s) - min_i Q_i(s, a~)), a~ ~ pi(.|s)
//   4. temperature     minimise mean (-exp(log_alpha[task]) (log pi(a~|s) + target_entropy)),
//                      a~ sampled again from the updated actor, as CleanRL does
//   5. targets         theta' <- (1 - tau) theta' + tau theta
//
// `terminated` only: a time-limit truncation must still bootstrap (the env contract keeps them apart).
// Each network is one differentiable op over its parameter list (agents/nn/mlp.ts).
import * as tf from '@tensorflow/tfjs';
import { TanhGaussianActor } from '../nn/actor.ts';
import { EnsembleCritic } from '../nn/mlp.ts';
import { Adam, polyakUpdate, type AdamState } from '../nn/adam.ts';
import type { Net } from '../nn/conditioned.ts';

/** Hyperparameters, named and defaulted in one place (CleanRL's defaults unless noted). */
export const SAC_DEFAULTS = {
  /** Hidden widths of actor and critics. */
  hidden: [256, 256] as number[],
  /** Discount. */
  gamma: 0.99,
  /** Target-network averaging rate. */
  tau: 0.005,
  /** Critic learning rate. */
  qLr: 1e-3,
  /** Actor learning rate. */
  policyLr: 3e-4,
  /** Temperature learning rate (one log-alpha per task). */
  alphaLr: 1e-3,
  /** Initial log-temperature of every task (alpha = 1). */
  initLogAlpha: 0,
  /** Target entropy per action dimension: target = -scale * actDim. */
  targetEntropyScale: 1,
  /** Bounds of the actor's log-std. */
  logStdMin: -5,
  logStdMax: 2,
  /** Adam moments and epsilon (torch.optim.Adam's defaults). */
  adamBeta1: 0.9,
  adamBeta2: 0.999,
  adamEps: 1e-8,
  /** Number of critics in the ensemble (2: clipped double-Q). */
  numCritics: 2,
  /**
   * Critic targets clipped to [lo, hi], the range returns can take (HER clips to
   * [-1/(1-gamma), 0] for its -1/0 reward); null: no clipping. Keeps a critic that starts to
   * diverge from feeding its own error back through the targets.
   */
  targetClip: null as [number, number] | null,
  /** Seeds parameter initialisation and the policy noise. */
  seed: 0,
};

export type SacHyper = typeof SAC_DEFAULTS;

export interface SacConfig extends Partial<SacHyper> {
  obsDim: number;
  actDim: number;
  numTasks: number;
  /** Actor network (obsDim -> 2 actDim) and critic ensemble (obsDim + actDim -> 1, numCritics members); default MLPs. */
  actorNet?: Net;
  criticNet?: Net;
}

/** Everything an update changes, as plain arrays: what a checkpoint stores. */
export interface SacState {
  actor: Float32Array[];
  critic: Float32Array[];
  criticTarget: Float32Array[];
  logAlpha: Float32Array;
  optimizers: { actor: AdamState; critic: AdamState; alpha: AdamState };
  noiseSeed: number;
  updates: number;
}

/** One training batch; rows are transitions. */
export interface SacBatch {
  obs: tf.Tensor2D; // [B, obsDim]
  action: tf.Tensor2D; // [B, actDim], in [-1, 1]
  reward: tf.Tensor2D; // [B, 1]
  nextObs: tf.Tensor2D; // [B, obsDim]
  terminated: tf.Tensor2D; // [B, 1], 1 where the episode truly ended (not truncated)
  task: tf.Tensor1D; // [B] int32 task index
}

export interface SacMetrics {
  qLoss: number;
  actorLoss: number;
  alphaLoss: number;
  meanQ: number;
  /** Temperature of each task after the update. */
  alpha: number[];
}

export class Sac {
  readonly hp: SacHyper;
  readonly obsDim: number;
  readonly actDim: number;
  readonly numTasks: number;
  readonly targetEntropy: number;
  readonly actor: TanhGaussianActor;
  readonly critic: EnsembleCritic;
  readonly actorParams: tf.Variable[];
  readonly criticParams: tf.Variable[];
  readonly criticTarget: tf.Variable[];
  readonly logAlpha: tf.Variable; // [numTasks]
  readonly actorOpt: Adam;
  readonly criticOpt: Adam;
  readonly alphaOpt: Adam;
  private noiseSeed: number;
  /** Updates done so far. */
  updates = 0;

  constructor(cfg: SacConfig) {
    const hp: SacHyper = { ...SAC_DEFAULTS, ...Object.fromEntries(Object.entries(cfg).filter(([k, v]) => v !== undefined && k in SAC_DEFAULTS)) } as SacHyper;
    this.hp = hp;
    this.obsDim = cfg.obsDim;
    this.actDim = cfg.actDim;
    this.numTasks = cfg.numTasks;
    this.targetEntropy = -hp.targetEntropyScale * cfg.actDim;
    this.actor = new TanhGaussianActor({
      inDim: cfg.obsDim, actDim: cfg.actDim, hidden: hp.hidden, logStdMin: hp.logStdMin, logStdMax: hp.logStdMax,
    }, cfg.actorNet);
    this.critic = new EnsembleCritic(cfg.obsDim + cfg.actDim, hp.hidden, hp.numCritics, cfg.criticNet);
    // tf.variable shares the initial tensor's memory; dropping our handle leaves the variable as owner.
    const own = (t: tf.Tensor, trainable: boolean): tf.Variable => {
      const v = tf.variable(t, trainable);
      t.dispose();
      return v;
    };
    this.actorParams = this.actor.init(hp.seed * 3 + 1).map((t) => own(t, true));
    this.criticParams = this.critic.init(hp.seed * 3 + 2).map((t) => own(t, true));
    this.criticTarget = this.criticParams.map((p) => own(p.clone(), false));
    this.logAlpha = own(tf.fill([cfg.numTasks], hp.initLogAlpha), true);
    const adam = { beta1: hp.adamBeta1, beta2: hp.adamBeta2, epsilon: hp.adamEps };
    this.actorOpt = new Adam(this.actorParams, { lr: hp.policyLr, ...adam });
    this.criticOpt = new Adam(this.criticParams, { lr: hp.qLr, ...adam });
    this.alphaOpt = new Adam([this.logAlpha], { lr: hp.alphaLr, ...adam });
    this.noiseSeed = hp.seed * 1_000_003 + 17;
  }

  /** Standard-normal policy noise from a seeded stream, so a seed fixes a whole run. */
  private noise(rows: number): tf.Tensor2D {
    this.noiseSeed = (this.noiseSeed + 1) % 2_147_483_647;
    return tf.randomNormal([rows, this.actDim], 0, 1, 'float32', this.noiseSeed);
  }

  /** Actions for acting in the env: sampled, or tanh(mean) when deterministic. */
  act(obs: tf.Tensor2D, deterministic = false): tf.Tensor2D {
    return tf.tidy(() => {
      if (deterministic) return this.actor.deterministic(this.actorParams, obs);
      return this.actor.sample(this.actorParams, obs, this.noise(obs.shape[0]), { gradParams: false }).action;
    });
  }

  /** One full update. Returns metrics only when asked (reading them forces a sync). */
  update(batch: SacBatch, opts: { metrics?: boolean } = {}): SacMetrics | null {
    const { gamma, tau } = this.hp;
    const { obs, action, reward, nextObs, terminated, task } = batch;
    const B = obs.shape[0];
    // A scope rather than tf.tidy: the result is plain numbers, which tidy's typing refuses.
    tf.engine().startScope();
    try {
      // Per-sample temperature = onehot(task) . exp(log_alpha): a product rather than a gather, because
      // gather's gradient (UnsortedSegmentSum) has no wasm kernel. Constant in steps 1 and 3.
      // tf.oneHot refuses depth 1, hence the single-task case.
      const taskOneHot = this.numTasks === 1 ? tf.ones([B, 1]) : tf.oneHot(task, this.numTasks).toFloat();
      const perSampleAlpha = (): tf.Tensor => tf.matMul(taskOneHot, tf.reshape(tf.exp(this.logAlpha), [this.numTasks, 1]));
      const alpha = perSampleAlpha();

      // 1. critic target (no gradient).
      const next = this.actor.sample(this.actorParams, nextObs, this.noise(B), { gradParams: false });
      const nextQ = this.critic.minValue(this.criticTarget, tf.concat([nextObs, next.action], 1), { gradParams: false });
      const softNextQ = tf.sub(nextQ, tf.mul(alpha, next.logProb));
      const yRaw = tf.add(reward, tf.mul(tf.mul(tf.sub(1, terminated), gamma), softNextQ));
      const y = this.hp.targetClip ? tf.clipByValue(yRaw, this.hp.targetClip[0], this.hp.targetClip[1]) : yRaw;

      // 2. critic step: both critics in one batched evaluation, [2, B, 1] against y [B, 1].
      const obsAct = tf.concat([obs, action], 1);
      let meanQ: tf.Tensor | null = null;
      const critic = tf.variableGrads(() => {
        const qs = this.critic.values(this.criticParams, obsAct);
        if (opts.metrics) meanQ = tf.keep(tf.mean(qs)); // intermediates of variableGrads are reclaimed
        // sum over critics of each critic's mean squared error
        return tf.mul(tf.mean(tf.squaredDifference(qs, y)), this.hp.numCritics) as tf.Scalar;
      }, this.criticParams);
      this.criticOpt.step(this.criticParams.map((p) => critic.grads[p.name]));

      // 3. actor step, through the (just updated) critics held constant.
      const actor = tf.variableGrads(() => {
        const pi = this.actor.sample(this.actorParams, obs, this.noise(B));
        const minQ = this.critic.minValue(this.criticParams, tf.concat([obs, pi.action], 1), { gradParams: false, gradInput: true });
        return tf.mean(tf.sub(tf.mul(alpha, pi.logProb), minQ)) as tf.Scalar;
      }, this.actorParams);
      this.actorOpt.step(this.actorParams.map((p) => actor.grads[p.name]));

      // 4. temperature step, log pi from the updated actor (no gradient to the actor).
      const logProb = this.actor.sample(this.actorParams, obs, this.noise(B), { gradParams: false }).logProb;
      const entropyGap = tf.add(logProb, this.targetEntropy);
      const temp = tf.variableGrads(
        () => tf.mean(tf.mul(tf.neg(perSampleAlpha()), entropyGap)) as tf.Scalar,
        [this.logAlpha],
      );
      this.alphaOpt.step([temp.grads[this.logAlpha.name]]);

      // 5. target critics.
      polyakUpdate(this.criticTarget, this.criticParams, tau);
      this.updates++;

      if (!opts.metrics) return null;
      const kept = meanQ as tf.Tensor | null;
      const meanQValue = kept!.dataSync()[0];
      kept!.dispose();
      return {
        qLoss: critic.value.dataSync()[0],
        actorLoss: actor.value.dataSync()[0],
        alphaLoss: temp.value.dataSync()[0],
        meanQ: meanQValue,
        alpha: Array.from(tf.exp(this.logAlpha).dataSync()),
      };
    } finally {
      tf.engine().endScope();
    }
  }

  /** A copy of every learned value and optimizer moment (for checkpoints). */
  getState(): SacState {
    const read = (vs: tf.Tensor[]) => vs.map((v) => v.dataSync().slice() as Float32Array);
    return {
      actor: read(this.actorParams),
      critic: read(this.criticParams),
      criticTarget: read(this.criticTarget),
      logAlpha: this.logAlpha.dataSync().slice() as Float32Array,
      optimizers: { actor: this.actorOpt.getState(), critic: this.criticOpt.getState(), alpha: this.alphaOpt.getState() },
      noiseSeed: this.noiseSeed,
      updates: this.updates,
    };
  }

  /** Restores a state from getState(); sizes must match this model's exactly. */
  setState(st: SacState): void {
    const write = (vs: tf.Variable[], arrs: Float32Array[], what: string) => {
      if (arrs.length !== vs.length) throw new Error(`${what}: ${arrs.length} tensors for ${vs.length} parameters`);
      vs.forEach((v, i) => {
        if (arrs[i].length !== v.size) throw new Error(`${what}[${i}]: ${arrs[i].length} values for shape [${v.shape}]`);
        const t = tf.tensor(arrs[i], v.shape);
        v.assign(t);
        t.dispose();
      });
    };
    write(this.actorParams, st.actor, 'actor');
    write(this.criticParams, st.critic, 'critic');
    write(this.criticTarget, st.criticTarget, 'criticTarget');
    write([this.logAlpha], [st.logAlpha], 'logAlpha');
    this.actorOpt.setState(st.optimizers.actor);
    this.criticOpt.setState(st.optimizers.critic);
    this.alphaOpt.setState(st.optimizers.alpha);
    this.noiseSeed = st.noiseSeed;
    this.updates = st.updates;
  }

  dispose(): void {
    for (const t of [...this.actorParams, ...this.criticParams, ...this.criticTarget, this.logAlpha]) t.dispose();
    for (const o of [this.actorOpt, this.criticOpt, this.alphaOpt]) o.dispose();
  }
}
