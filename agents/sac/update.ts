// One Soft Actor-Critic update, read top to bottom (CleanRL's sac_continuous_action.py, with one
// learned temperature per task), with every gradient written out.
//
//   1. critic target   y = r + gamma (1 - terminated) (min_i Q'_i(s', a') - alpha[task] log pi(a'|s')),
//                      a' ~ pi(.|s'), Q' the Polyak-averaged target critics
//   2. critic step     minimise sum_i mean (Q_i(s, a) - y)^2 over both critics (one batched network)
//   3. actor step      minimise mean (alpha[task] log pi(a~|s) - min_i Q_i(s, a~)), a~ ~ pi(.|s)
//      plus, on demonstration rows, behaviour cloning with a Q-filter (Nair et al. 2018):
//                      bcWeight * mean|min_i Q_i(s, a~)| * sum_demo m (tanh mu(s) - a)^2 / n_demo,
//                      m = 1 where the critics rate the expert's action above the policy's sample
//                      (min_i Q_i(s, a) > min_i Q_i(s, a~)), so the expert is copied only while it
//                      is better; the |Q| scale keeps the two terms comparable whatever the reward
//   4. temperature     minimise mean (-exp(log_alpha[task]) (log pi(a~|s) + target_entropy)),
//                      a~ sampled again from the updated actor, as CleanRL does
//   5. targets         theta' <- (1 - tau) theta' + tau theta
//
// `terminated` only: a time-limit truncation must still bootstrap (the env contract keeps them apart).
//
// The gradients are chained by hand from each network's backward (agents/nn/net.ts says why) and
// each loss's gradient with respect to the networks' outputs (losses.ts):
//   critic   dL/dq_i, through the critics' backward to their parameters;
//   actor    dL/dlog pi and dL/dq_i, through the critics' backward to the action columns of their
//            input, then the tanh-Gaussian head's backward, then the actor's;
//   alpha    dL/dlog_alpha directly.
// test/tensor/nn.test.ts checks one update against the same losses differentiated by tfjs.
//
// Two multi-task strategies change steps 2 and 3 (README, "Training": multi-task strategies):
//   a network's penalty (soft parameter sharing's tie between task networks) is added to its loss,
//   its gradient to the parameters' gradient, in the critic and the actor steps;
//   PCGrad (sac/pcgrad.ts), with `pcgrad`: the critic's and the actor's loss gradients are split by
//   task (the rows of each task alone, one backward each), the per-task parameter gradients
//   projected where they conflict, then summed. The temperatures are per task already (no surgery).
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../sim/rng.ts';
import { TanhGaussianActor } from '../nn/actor.ts';
import { MLP } from '../nn/mlp.ts';
import { Adam, polyakUpdate, type AdamState } from '../nn/adam.ts';
import type { Net } from '../nn/net.ts';
import { actorLoss, alphaLoss, criticLoss, criticTarget } from './losses.ts';
import { pcgrad, shuffledOrder } from './pcgrad.ts';
import { DirectSacUpdate } from './direct.ts';
import { nativeKernelsActive } from '../tensor/storage.ts';

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
  /** Number of critics in the ensemble (2: clipped double-Q; more: the minimum over all of them). */
  numCritics: 2,
  /**
   * LayerNorm (learned gain and bias) between each hidden layer's product and its activation, in
   * actor and critics (agents/nn/mlp.ts), as RLPD's and BRC's critics have it. Off by default
   * until an ablation decides.
   */
  layerNorm: false,
  /**
   * Critic targets clipped to [lo, hi], the range returns can take (HER clips to
   * [-1/(1-gamma), 0] for its -1/0 reward); null: no clipping. Keeps a critic that starts to
   * diverge from feeding its own error back through the targets.
   */
  targetClip: null as [number, number] | null,
  /**
   * Weight of the actor's Q-filtered behaviour-cloning term on demonstration rows (step 3 above);
   * 0 turns it off (and batches without demonstration rows have none).
   */
  bcWeight: 0,
  /** Seeds parameter initialisation and the policy noise. */
  seed: 0,
};

export type SacHyper = typeof SAC_DEFAULTS;

export interface SacConfig extends Partial<SacHyper> {
  obsDim: number;
  actDim: number;
  numTasks: number;
  /**
   * Actor network (obsDim -> 2 actDim) and critic ensemble (obsDim + actDim -> 1, numCritics
   * members); default MLPs (with `layerNorm` as set). Networks given here are used as built.
   */
  actorNet?: Net;
  criticNet?: Net;
  /** Gradient surgery (PCGrad) on the critic's and the actor's per-task gradients. */
  pcgrad?: boolean;
  /**
   * The direct update (direct.ts) where it applies (default true); false: always the tfjs ops
   * below, which compute the same (the tests compare the two).
   */
  direct?: boolean;
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
  /** [B, 1], 1 on expert-demonstration rows (the behaviour-cloning term's rows); none: no such rows. */
  demo?: tf.Tensor2D;
}

export interface SacMetrics {
  qLoss: number;
  actorLoss: number;
  alphaLoss: number;
  meanQ: number;
  /** Temperature of each task after the update. */
  alpha: number[];
}

/**
 * rows x cols standard normals for one seed. Drawn on the host (sim/rng.ts) and uploaded: tfjs's
 * seeded tf.randomNormal runs a slower generator in JavaScript behind several ops.
 */
export function policyNoise(seed: number, rows: number, cols: number): tf.Tensor2D {
  const out = new Float32Array(rows * cols);
  fillPolicyNoise(seed, out);
  return tf.tensor2d(out, [rows, cols]);
}

function fillPolicyNoise(seed: number, out: Float32Array): void {
  new Rng(seed, NOISE_STREAM).fillNormal(out);
}

/** The Rng stream of the policy noise (any constant: it only separates it from other uses of a seed). */
const NOISE_STREAM = 0x5ac;
/** The Rng stream of PCGrad's visiting order. */
export const PCGRAD_STREAM = 0x9c6;

/** Tensors read into one host vector (their order and sizes kept by the caller's list). */
function flatten(ts: readonly tf.Tensor[]): Float32Array {
  const out = new Float32Array(ts.reduce((a, t) => a + t.size, 0));
  let at = 0;
  for (const t of ts) {
    out.set(t.dataSync() as Float32Array, at);
    at += t.size;
  }
  return out;
}

/** A host vector back into tensors shaped like `like`. */
function unflatten(v: Float32Array, like: readonly tf.Tensor[]): tf.Tensor[] {
  let at = 0;
  return like.map((p) => {
    const t = tf.tensor(v.subarray(at, at + p.size), p.shape);
    at += p.size;
    return t;
  });
}

export class Sac {
  readonly hp: SacHyper;
  readonly obsDim: number;
  readonly actDim: number;
  readonly numTasks: number;
  readonly targetEntropy: number;
  readonly actor: TanhGaussianActor;
  /** The critic ensemble: input [obs | action], output [numCritics, B, 1]. */
  readonly critic: Net;
  readonly actorParams: tf.Variable[];
  readonly criticParams: tf.Variable[];
  readonly criticTarget: tf.Variable[];
  readonly logAlpha: tf.Variable; // [numTasks]
  readonly actorOpt: Adam;
  readonly criticOpt: Adam;
  readonly alphaOpt: Adam;
  private noiseSeed: number;
  readonly pcgrad: boolean;
  /** Updates done so far. */
  updates = 0;
  private readonly allowDirect: boolean;
  private direct: DirectSacUpdate | null | undefined;
  private directWhere = '';

  constructor(cfg: SacConfig) {
    const hp: SacHyper = { ...SAC_DEFAULTS, ...Object.fromEntries(Object.entries(cfg).filter(([k, v]) => v !== undefined && k in SAC_DEFAULTS)) } as SacHyper;
    this.hp = hp;
    this.obsDim = cfg.obsDim;
    this.actDim = cfg.actDim;
    this.numTasks = cfg.numTasks;
    this.targetEntropy = -hp.targetEntropyScale * cfg.actDim;
    this.actor = new TanhGaussianActor({
      inDim: cfg.obsDim, actDim: cfg.actDim, hidden: hp.hidden, logStdMin: hp.logStdMin, logStdMax: hp.logStdMax, layerNorm: hp.layerNorm,
    }, cfg.actorNet);
    this.critic = cfg.criticNet ?? new MLP({ inDim: cfg.obsDim + cfg.actDim, hidden: hp.hidden, outDim: 1, ensemble: hp.numCritics, layerNorm: hp.layerNorm });
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
    this.pcgrad = cfg.pcgrad ?? false;
    this.allowDirect = cfg.direct ?? true;
  }

  /**
   * dL/dparams of one network from a backward that maps a per-row mask ([B, 1], or null for all
   * rows) to parameter gradients: all rows at once, or with PCGrad one backward per task present
   * in the batch, projected and summed; plus the network's penalty when it has one.
   */
  private paramGrads(net: Net, params: tf.Tensor[], task: tf.Tensor1D, backward: (mask: tf.Tensor | null) => tf.Tensor[]): tf.Tensor[] {
    let grads: tf.Tensor[];
    if (!this.pcgrad || this.numTasks === 1) {
      grads = backward(null);
    } else {
      const rows = task.dataSync();
      const present = [...new Set(rows)].sort((a, b) => a - b);
      const perTask = present.map((k) => flatten(backward(tf.reshape(tf.cast(tf.equal(task, k), 'float32'), [-1, 1]))));
      // A random visiting order per update, from the policy-noise seed: a seed fixes it, and a
      // checkpoint (which keeps that seed) resumes it.
      const order = shuffledOrder(present.length, new Rng(this.noiseSeed, PCGRAD_STREAM));
      grads = unflatten(pcgrad(perTask, order), params);
    }
    if (!net.penalty) return grads;
    const pen = net.penalty(params);
    return grads.map((g, i) => tf.add(g, pen.dParams[i]));
  }

  /** Standard-normal policy noise from a seeded stream, so a seed fixes a whole run. */
  private noise(rows: number): tf.Tensor2D {
    const out = new Float32Array(rows * this.actDim);
    this.fillNoise(out);
    return tf.tensor2d(out, [rows, this.actDim]);
  }

  /** The next draw of that stream into `out` (the direct update takes it this way). */
  private fillNoise(out: Float32Array): void {
    this.noiseSeed = (this.noiseSeed + 1) % 2_147_483_647;
    fillPolicyNoise(this.noiseSeed, out);
  }

  /**
   * The direct update (direct.ts) where it applies to this model on the backend in use, else null
   * (then update() runs the tfjs ops below). Decided again when the backend or its kernels change.
   */
  private directUpdate(): DirectSacUpdate | null {
    if (!this.allowDirect) return null;
    const where = `${tf.getBackend()}${nativeKernelsActive() ? ' + native kernels' : ''}`;
    if (this.direct === undefined || this.directWhere !== where) {
      this.direct = DirectSacUpdate.create(this, { fillNoise: (out) => this.fillNoise(out) });
      this.directWhere = where;
    }
    return this.direct;
  }

  /** Actions for acting in the env: sampled, or tanh(mean) when deterministic. */
  act(obs: tf.Tensor2D, deterministic = false): tf.Tensor2D {
    return tf.tidy(() => {
      if (deterministic) return this.actor.deterministic(this.actorParams, obs);
      return this.actor.sample(this.actorParams, obs, this.noise(obs.shape[0])).action;
    });
  }

  /** One full update. Returns metrics only when asked (reading them forces a sync). */
  update(batch: SacBatch, opts: { metrics?: boolean } = {}): SacMetrics | null {
    const direct = this.directUpdate();
    if (direct) {
      const m = direct.update(batch, opts.metrics === true);
      this.updates++;
      return m;
    }
    const { gamma, tau } = this.hp;
    const { obs, action, reward, nextObs, terminated, task } = batch;
    const B = obs.shape[0];
    // A scope rather than tf.tidy: the result is plain numbers, which tidy's typing refuses.
    tf.engine().startScope();
    try {
      // 1. critic target (no gradient), a' ~ pi(.|s') from the current actor.
      const next = this.actor.sample(this.actorParams, nextObs, this.noise(B));
      const qNext = this.critic.apply(this.criticTarget, tf.concat([nextObs, next.action], 1));
      const y = criticTarget(qNext, next.logProb, this.logAlpha, task, reward, terminated, gamma, this.hp.targetClip);

      // 2. critic step: both critics in one batched evaluation, q [E, B, 1] against y [B, 1].
      const critic = this.critic.forward(this.criticParams, tf.concat([obs, action], 1));
      const cl = criticLoss(critic.y, y);
      this.criticOpt.step(this.paramGrads(this.critic, this.criticParams, task, (mask) => {
        const dq = mask ? tf.mul(cl.dq, tf.reshape(mask, [1, B, 1])) : cl.dq;
        return this.critic.backward(this.criticParams, critic.cache, dq, { dx: false, params: true }).dParams!;
      }));

      // 3. actor step, through the (just updated) critics held constant: a~ = tanh-Gaussian sample,
      //    its gradient reaches the actor through the action columns of the critics' input.
      const eps = this.noise(B);
      const pi = this.actor.head(this.actorParams, obs);
      const sample = this.actor.sampleFrom(pi.head, eps);
      const q = this.critic.forward(this.criticParams, tf.concat([obs, sample.action], 1));
      const al = actorLoss(q.y, sample.logProb, this.logAlpha, task);
      const dInput = this.critic.backward(this.criticParams, q.cache, al.dq, { dx: true, params: false }).dx!;
      let dHead = this.actor.sampleBackward(tf.slice(dInput, [0, this.obsDim], [B, this.actDim]), al.dLogProb, pi.head, eps);
      if (this.hp.bcWeight > 0 && batch.demo) dHead = tf.add(dHead, this.cloningGrad(pi.head, action, batch.demo, critic.y, q.y));
      // Rows are independent through the critics and the head, so one task's rows of dHead are
      // exactly its loss's gradient there: only the actor's backward runs per task.
      this.actorOpt.step(this.paramGrads(this.actor.net, this.actorParams, task, (mask) => this.actor.backward(this.actorParams, pi.netOut, pi.cache, mask ? tf.mul(dHead, mask) : dHead)));

      // 4. temperature step, log pi from the updated actor (a fresh sample).
      const logProb = this.actor.sample(this.actorParams, obs, this.noise(B)).logProb;
      const tl = alphaLoss(logProb, this.logAlpha, task, this.targetEntropy);
      this.alphaOpt.step([tl.dLogAlpha]);

      // 5. target critics.
      polyakUpdate(this.criticTarget, this.criticParams, tau);
      this.updates++;

      if (!opts.metrics) return null;
      const read = (t: tf.Tensor) => t.dataSync()[0];
      const [qLoss, meanQ] = cl.stats.dataSync();
      return {
        qLoss,
        actorLoss: read(al.loss),
        alphaLoss: read(tl.loss),
        meanQ,
        alpha: Array.from(tf.exp(this.logAlpha).dataSync()),
      };
    } finally {
      tf.engine().endScope();
    }
  }

  /**
   * d(behaviour-cloning term)/d(head) [B, 2 actDim]: nonzero in the mu columns of the demonstration
   * rows that pass the Q-filter. qData: the critics on the batch's (expert) actions [E, B, 1]; qPi:
   * on the policy's samples. The scale mean|min Q(s, a~)| is held constant (not differentiated).
   */
  private cloningGrad(head: tf.Tensor2D, action: tf.Tensor2D, demo: tf.Tensor2D, qData: tf.Tensor, qPi: tf.Tensor): tf.Tensor2D {
    const B = head.shape[0];
    const A = this.actDim;
    const minData = tf.min(qData, 0);
    const minPi = tf.min(qPi, 0);
    const mask = tf.mul(demo, tf.cast(tf.greater(minData, minPi), 'float32'));
    const scale = tf.div(tf.mul(tf.mean(tf.abs(minPi)), 2 * this.hp.bcWeight), tf.maximum(tf.sum(demo), 1));
    const t = tf.tanh(tf.slice(head, [0, 0], [B, A]));
    const dMu = tf.mul(tf.mul(tf.mul(tf.sub(t, action), tf.sub(1, tf.square(t))), mask), scale);
    return tf.pad(dMu, [[0, 0], [0, A]]) as tf.Tensor2D;
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
        const t = tf.tensor(arrs[i].slice(), v.shape); // a copy: see Adam.setState
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
