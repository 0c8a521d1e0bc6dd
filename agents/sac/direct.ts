// One SAC update, the five steps of update.ts with the same kernels, noise and order, as direct
// calls of the native addon on memory laid out once: no tfjs between the kernels.
//
// Why: with the native kernels an update is 25 kernel calls for plain networks (about 60 for the
// trainer's multihead networks with behaviour cloning), and tfjs's engine, output allocation and
// scope bookkeeping around them cost about 1.2 ms of a 6.6 ms update (2 ms of the trainer's 9.5 ms;
// BENCHMARKS.md, "Bar 5"). Here the same calls run back to back on buffers allocated once.
//
// Where it runs (Sac picks it by itself): the native kernels registered for the backend in use;
// actor and critics that are one MLP, optionally followed by the per-task selection (Net.kernelForm:
// plain MLPs, multihead, concat with the one-hot); no PCGrad and no parameter penalty. Anything else runs update.ts's
// tfjs path. Parameters equal that path's bit for bit (test/agents/direct-update.test.ts), except
// with behaviour cloning, whose few elementwise operations run here in float32 JavaScript rather
// than tfjs's kernels (they round differently in the last bit).
//
// Parameters, target critics, temperatures and Adam moments stay in their tfjs tensors and are
// updated in place (the Adam and Polyak kernels write where they read). A tensor whose memory
// another tensor shares (a clone, or the target critics as Sac first makes them) gets memory of
// its own before the first write, so no other tensor ever sees one.
import * as tf from '@tensorflow/tfjs';
import type { BlasAddon } from '../tensor/native.ts';
import { activeNative, type Mem, type NativeBackend } from '../tensor/storage.ts';
import { ACTIVATIONS, mlpSpec, planMlp, type MlpPlan } from '../tensor/fused.ts';
import type { KernelForm, Net } from '../nn/net.ts';
import type { Sac, SacBatch, SacMetrics } from './update.ts';

/** A buffer and a byte offset: how the addon's list kernels take each tensor. */
type Ref = [ArrayBuffer, number];

const refOf = (a: Float32Array): Ref => [a.buffer as ArrayBuffer, a.byteOffset];

function lists(refs: Ref[]): [ArrayBuffer[], Float64Array] {
  const bufs = new Array<ArrayBuffer>(refs.length);
  const offs = new Float64Array(refs.length);
  for (let i = 0; i < refs.length; i++) [bufs[i], offs[i]] = refs[i];
  return [bufs, offs];
}

/** What the update needs of Sac beside its public fields: the policy noise, drawn as Sac draws it. */
export interface NoiseSource {
  fillNoise(out: Float32Array): void;
}

/** A network's kernel form when the direct update can run it on input x of width D, else null. */
function formFor(net: Net, D: number): KernelForm | null {
  if (net.penalty) return null;
  const form = net.kernelForm?.() ?? null;
  if (!form) return null;
  // The critics' action columns are the last of x; with a column range they must be its last too.
  if (form.cols && (form.cols[0] < 0 || form.cols[1] !== D)) return null;
  return form;
}

/** One use of a network within an update: its buffers, its forward, and its backward. */
class NetPass {
  readonly plan: MlpPlan;
  /** The output: every row's own task's outputs [E, B, O], or the last layer's. */
  readonly y: Float32Array;
  /** The MLP's input when it reads a column range of x, [B, cols]. */
  private readonly feat: Float32Array | null;
  /** Per layer y_l, and xhat_l, rstd_l where the layer has LayerNorm. */
  private readonly saved: Float32Array[];
  private readonly last: Float32Array;
  /** The selection's backward output, dL/d(last layer) [E, B, K * O]. */
  private readonly dh: Float32Array | null;
  private readonly acts: number[];
  private readonly fwdSpec: Int32Array;
  private readonly sliceSpec: Int32Array | null;
  private readonly selectSpec: Int32Array | null;
  private readonly selectGradSpec: Int32Array | null;
  /** The backward's spec per (dx wanted, parameters wanted), made once. */
  private readonly bwdSpecs: Int32Array[];
  /** Index in the parameter list of each weight, and of each LayerNorm gain after it (the backward's inputs). */
  private readonly weightAt: number[];
  /** The input width of the MLP (x's, or the column range's). */
  readonly inDim: number;

  constructor(readonly form: KernelForm, readonly B: number, readonly D: number) {
    const { mlp, cols, select } = form;
    this.inDim = cols ? cols[1] - cols[0] : D;
    this.plan = planMlp([B, this.inDim], mlp.paramShapes, mlp.norms);
    const { E, outDims, norms } = this.plan;
    this.acts = mlp.acts.map((a) => ACTIVATIONS[a]);
    this.fwdSpec = mlpSpec(this.plan, this.acts, []);
    this.feat = cols ? new Float32Array(B * this.inDim) : null;
    this.sliceSpec = cols ? Int32Array.from([1, 1, B, D, 0, 0, 0, cols[0], 1, 1, B, this.inDim]) : null;
    this.saved = outDims.flatMap((o, l) => (norms[l] ? [new Float32Array(E * B * o), new Float32Array(E * B * o), new Float32Array(E * B)] : [new Float32Array(E * B * o)]));
    this.last = this.saved[this.saved.length - (norms[norms.length - 1] ? 3 : 1)];
    this.selectSpec = select ? Int32Array.from([E, B, select.numTasks, select.out, select.layout, D, select.col0]) : null;
    this.selectGradSpec = this.selectSpec && Int32Array.from([...this.selectSpec, 0]);
    this.bwdSpecs = [0, 1, 2, 3].map((k) => mlpSpec(this.plan, this.acts, [k >> 1, k & 1]));
    this.y = select ? new Float32Array(E * B * select.out) : this.last;
    this.dh = select ? new Float32Array(this.last.length) : null;
    this.weightAt = mlp.paramAt.flatMap((at, l) => (norms[l] ? [at, at + 2] : [at]));
  }

  /** The MLP's input: x itself, or its column range (copied by the forward). */
  private input(x: Ref): Ref {
    return this.feat ? refOf(this.feat) : x;
  }

  forward(addon: BlasAddon, x: Ref, params: Ref[]): void {
    if (this.feat) addon.slice(...lists([x, refOf(this.feat)]), this.sliceSpec!);
    addon.mlpForward(...lists([this.input(x), ...params, ...this.saved.map(refOf)]), this.fwdSpec);
    if (this.selectSpec) addon.taskSelect(...lists([refOf(this.last), x, refOf(this.y)]), this.selectSpec);
  }

  /**
   * From dL/dy (y's shape), for the last forward on x: dL/dparams into `grads` (parameter order)
   * and dL/d(the MLP's input) into `dx` [B, inDim], each when given.
   */
  backward(addon: BlasAddon, dy: Float32Array, x: Ref, params: Ref[], grads: Float32Array[] | null, dx: Float32Array | null): void {
    let dTop = dy;
    if (this.selectSpec) {
      addon.taskSelectGrad(...lists([refOf(dy), refOf(this.last), x, refOf(this.dh!)]), this.selectGradSpec!);
      dTop = this.dh!;
    }
    const outs = [...(dx ? [refOf(dx)] : []), ...(grads ?? []).map(refOf)];
    const refs = [refOf(dTop), this.input(x), ...this.weightAt.map((i) => params[i]), ...this.saved.map(refOf), ...outs];
    addon.mlpBackward(...lists(refs), this.bwdSpecs[(dx ? 2 : 0) + (grads ? 1 : 0)]);
  }
}

/** Every buffer of one batch size. */
class Buffers {
  /** Actor passes: forward only (the next state's sample, then the temperature step's), and the actor step's. */
  readonly actorSample: NetPass;
  readonly actorStep: NetPass;
  /** Critic passes: the targets' and then the actor step's (with dL/dinput), and the critic step's. */
  readonly criticOther: NetPass;
  readonly criticStep: NetPass;
  readonly eps: Float32Array;
  readonly action: Float32Array;
  readonly logProb: Float32Array;
  readonly criticIn: Float32Array;
  readonly y: Float32Array;
  readonly dq: Float32Array;
  readonly stats = new Float32Array(2);
  readonly dLogProb: Float32Array;
  readonly actorLoss = new Float32Array(1);
  readonly dCriticIn: Float32Array;
  readonly dAction: Float32Array;
  readonly dHead: Float32Array;
  readonly dLogAlpha: Float32Array;
  readonly alphaLoss = new Float32Array(1);
  readonly actorGrads: Float32Array[];
  readonly criticGrads: Float32Array[];
  /** The kernels' shape arguments and the list kernels' sizes, made once. */
  readonly specs: { gaussian: Int32Array; concat: Int32Array; sac: Int32Array; criticLoss: Int32Array; alpha: Int32Array };
  readonly sizes: { actor: Float64Array; critic: Float64Array; alpha: Float64Array };

  constructor(readonly B: number, sac: Sac, actor: KernelForm, critic: KernelForm) {
    const A = sac.actDim;
    const cin = sac.obsDim + A;
    this.actorSample = new NetPass(actor, B, sac.obsDim);
    this.actorStep = new NetPass(actor, B, sac.obsDim);
    this.criticOther = new NetPass(critic, B, cin);
    this.criticStep = new NetPass(critic, B, cin);
    const E = this.criticStep.plan.E;
    this.eps = new Float32Array(B * A);
    this.action = new Float32Array(B * A);
    this.logProb = new Float32Array(B);
    this.criticIn = new Float32Array(B * cin);
    this.y = new Float32Array(B);
    this.dq = new Float32Array(E * B);
    this.dLogProb = new Float32Array(B);
    this.dCriticIn = new Float32Array(B * this.criticOther.inDim);
    this.dAction = new Float32Array(B * A);
    this.dHead = new Float32Array(B * 2 * A);
    this.dLogAlpha = new Float32Array(sac.numTasks);
    const zeros = (shapes: number[][]) => shapes.map((s) => new Float32Array(s.reduce((a, b) => a * b, 1)));
    this.actorGrads = zeros(actor.mlp.paramShapes);
    this.criticGrads = zeros(critic.mlp.paramShapes);
    const K = sac.numTasks;
    this.specs = {
      gaussian: Int32Array.from([B, A]),
      concat: Int32Array.from([B, sac.obsDim, A]),
      sac: Int32Array.from([E, B, K]),
      criticLoss: Int32Array.from([E, B, 1]),
      alpha: Int32Array.from([1, B, K]),
    };
    const sizes = (gs: Float32Array[]) => new Float64Array(gs.map((g) => g.length));
    this.sizes = { actor: sizes(this.actorGrads), critic: sizes(this.criticGrads), alpha: sizes([this.dLogAlpha]) };
  }
}

export class DirectSacUpdate {
  private bufs: Buffers | null = null;

  private constructor(
    private readonly sac: Sac,
    private readonly noise: NoiseSource,
    private readonly actor: KernelForm,
    private readonly critic: KernelForm,
    readonly backendName: NativeBackend,
  ) {}

  /** The direct update of `sac` on the backend in use, or null where it does not apply (see the top). */
  static create(sac: Sac, noise: NoiseSource): DirectSacUpdate | null {
    const native = activeNative();
    if (!native || (sac.pcgrad && sac.numTasks > 1)) return null;
    const actor = formFor(sac.actor.net, sac.obsDim);
    const critic = formFor(sac.critic, sac.obsDim + sac.actDim);
    if (!actor || !critic) return null;
    return new DirectSacUpdate(sac, noise, actor, critic, native.backendName);
  }

  /** One update (Sac.update's contract); metrics only when asked. */
  update(batch: SacBatch, metrics: boolean): SacMetrics | null {
    const native = activeNative();
    if (!native || native.backendName !== this.backendName) throw new Error(`the direct SAC update was made for the ${this.backendName} backend's native kernels, which are no longer in use`);
    const { addon, mem } = native;
    const sac = this.sac;
    const { gamma, tau } = sac.hp;
    const A = sac.actDim;
    const B = batch.obs.shape[0];
    if (this.bufs?.B !== B) this.bufs = new Buffers(B, sac, this.actor, this.critic);
    const b = this.bufs;

    // Memory of their own for everything written in place; this may allocate (and so move the
    // wasm heap), so every reference below is taken afterwards.
    for (const v of [...sac.actorParams, ...sac.criticParams, ...sac.criticTarget, sac.logAlpha]) ownMemory(mem, v);
    const shared = (t: tf.Tensor) => mem.shared(t);
    const criticStep = sac.criticOpt.stepInPlace(shared);
    const actorStep = sac.actorOpt.stepInPlace(shared);
    const alphaStep = sac.alphaOpt.stepInPlace(shared);
    const refs = (ts: tf.Tensor[]) => ts.map((t) => mem.ref(t));
    const actorP = refs(sac.actorParams);
    const criticP = refs(sac.criticParams);
    const targetP = refs(sac.criticTarget);
    const [logAlpha] = refs([sac.logAlpha]);
    const [obs, action, reward, nextObs, terminated, task] = refs([batch.obs, batch.action, batch.reward, batch.nextObs, batch.terminated, batch.task]);
    const K = sac.numTasks;
    const { gaussian } = b.specs;
    const { logStdMin, logStdMax } = sac.actor.config;
    const sample = (pass: NetPass, x: Ref) => {
      this.noise.fillNoise(b.eps);
      pass.forward(addon, x, actorP);
      addon.tanhGaussian(...lists([refOf(pass.y), refOf(b.eps), refOf(b.action), refOf(b.logProb)]), gaussian, logStdMin, logStdMax);
    };
    const criticInput = (x: Ref, act: Ref) => addon.concat(...lists([x, act, refOf(b.criticIn)]), b.specs.concat);
    const adam = (params: Ref[], grads: Float32Array[], sizes: Float64Array, st: { step: number; m: tf.Tensor[]; v: tf.Tensor[] }, opt: Sac['actorOpt']) => {
      const m = refs(st.m);
      const v = refs(st.v);
      addon.adam(...lists([...params, ...grads.map(refOf), ...m, ...v, ...params, ...m, ...v]), sizes, opt.lr, opt.beta1, opt.beta2, opt.epsilon, st.step);
    };

    // 1. critic target, a' ~ pi(.|s') from the current actor, through the target critics.
    sample(b.actorSample, nextObs);
    criticInput(nextObs, refOf(b.action));
    b.criticOther.forward(addon, refOf(b.criticIn), targetP);
    const [clipLo, clipHi] = sac.hp.targetClip ?? [-Infinity, Infinity];
    addon.sacTarget(...lists([refOf(b.criticOther.y), refOf(b.logProb), logAlpha, task, reward, terminated, refOf(b.y)]), b.specs.sac, gamma, clipLo, clipHi);

    // 2. critic step.
    criticInput(obs, action);
    const criticIn = refOf(b.criticIn);
    b.criticStep.forward(addon, criticIn, criticP);
    addon.sacCriticGrad(...lists([refOf(b.criticStep.y), refOf(b.y), refOf(b.dq), refOf(b.stats)]), b.specs.criticLoss);
    b.criticStep.backward(addon, b.dq, criticIn, criticP, b.criticGrads, null);
    adam(criticP, b.criticGrads, b.sizes.critic, criticStep, sac.criticOpt);

    // 3. actor step through the updated critics: dL/daction from the critics' input gradient (its
    //    last A columns, the action's), then the head's backward, then the actor's.
    this.noise.fillNoise(b.eps);
    const head = b.actorStep;
    head.forward(addon, obs, actorP);
    addon.tanhGaussian(...lists([refOf(head.y), refOf(b.eps), refOf(b.action), refOf(b.logProb)]), gaussian, logStdMin, logStdMax);
    criticInput(obs, refOf(b.action));
    b.criticOther.forward(addon, refOf(b.criticIn), criticP);
    addon.sacActorGrad(...lists([refOf(b.criticOther.y), refOf(b.logProb), logAlpha, task, refOf(b.dq), refOf(b.dLogProb), refOf(b.actorLoss)]), b.specs.sac);
    b.criticOther.backward(addon, b.dq, refOf(b.criticIn), criticP, null, b.dCriticIn);
    const w = b.criticOther.inDim;
    for (let r = 0; r < B; r++) b.dAction.set(b.dCriticIn.subarray(r * w + w - A, (r + 1) * w), r * A);
    addon.tanhGaussianGrad(...lists([refOf(b.dAction), refOf(b.dLogProb), refOf(head.y), refOf(b.eps), refOf(b.dHead)]), gaussian, logStdMin, logStdMax);
    if (sac.hp.bcWeight > 0 && batch.demo) {
      const view = (t: tf.Tensor) => {
        const [buf, off] = mem.ref(t);
        return new Float32Array(buf, off, t.size);
      };
      addCloningGrad(b.dHead, head.y, view(batch.action), view(batch.demo), b.criticStep.y, b.criticOther.y, b.criticStep.plan.E, B, A, sac.hp.bcWeight);
    }
    head.backward(addon, b.dHead, obs, actorP, b.actorGrads, null);
    adam(actorP, b.actorGrads, b.sizes.actor, actorStep, sac.actorOpt);

    // 4. temperature step, log pi from the updated actor (a fresh sample).
    sample(b.actorSample, obs);
    addon.sacAlphaGrad(...lists([refOf(b.logProb), logAlpha, task, refOf(b.dLogAlpha), refOf(b.alphaLoss)]), b.specs.alpha, sac.targetEntropy);
    adam([logAlpha], [b.dLogAlpha], b.sizes.alpha, alphaStep, sac.alphaOpt);

    // 5. target critics, in place.
    addon.axpby(...lists([...targetP, ...criticP, ...targetP]), b.sizes.critic, 1 - tau, tau);

    if (!metrics) return null;
    const la = new Float32Array(logAlpha[0], logAlpha[1], K);
    return { qLoss: b.stats[0], actorLoss: b.actorLoss[0], alphaLoss: b.alphaLoss[0], meanQ: b.stats[1], alpha: Array.from(la, Math.exp) };
  }
}

/** Gives v memory of its own when another tensor shares it (a copy: clone() would share again). */
function ownMemory(mem: Mem, v: tf.Variable): void {
  if (!mem.shared(v)) return;
  const copy = tf.tensor(v.dataSync().slice(), v.shape, v.dtype);
  v.assign(copy);
  copy.dispose();
}

/**
 * Adds the behaviour-cloning term's gradient (update.ts, Sac.cloningGrad, the same formula) to
 * dHead [B, 2A], in float32: nonzero in the mu columns of the demonstration rows whose expert
 * action the critics rate above the policy's sample. qData, qPi [E, B].
 */
function addCloningGrad(dHead: Float32Array, head: Float32Array, action: Float32Array, demo: Float32Array, qData: Float32Array, qPi: Float32Array, E: number, B: number, A: number, bcWeight: number): void {
  const f = Math.fround;
  const minOver = (q: Float32Array, r: number) => {
    let m = q[r];
    for (let e = 1; e < E; e++) m = Math.min(m, q[e * B + r]);
    return m;
  };
  let absSum = 0;
  let demoSum = 0;
  for (let r = 0; r < B; r++) {
    absSum = f(absSum + Math.abs(minOver(qPi, r)));
    demoSum = f(demoSum + demo[r]);
  }
  const scale = f(f(f(absSum / B) * (2 * bcWeight)) / Math.max(demoSum, 1));
  for (let r = 0; r < B; r++) {
    const mask = f(demo[r] * (minOver(qData, r) > minOver(qPi, r) ? 1 : 0));
    if (mask === 0) continue;
    for (let j = 0; j < A; j++) {
      const t = f(Math.tanh(head[r * 2 * A + j]));
      const d = f(f(f(f(t - action[r * A + j]) * f(1 - f(t * t))) * mask) * scale);
      dHead[r * 2 * A + j] = f(dHead[r * 2 * A + j] + d);
    }
  }
}
