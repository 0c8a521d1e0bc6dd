// The addon's own kernels, registered into tfjs under Rrl* names beside the stock ones, and the
// functions agents/nn and agents/sac call them through (each caller checks nativeKernelsActive()
// and otherwise runs the same math in tfjs ops):
// - RrlMlp / RrlMlpGrad: a whole MLP forward / backward, every layer in one call (LayerNorm
//   layers included: a gain and bias after the layer's weight and bias, `norms` per layer);
// - RrlTanhGaussian / RrlTanhGaussianGrad: the policy head's sample and log-probability, and its
//   backward;
// - RrlSacTarget / RrlSacCriticGrad / RrlSacActorGrad / RrlSacAlphaGrad: SAC's losses and their
//   gradients (agents/sac/losses.ts);
// - RrlAdam / RrlAxpby: an Adam step and Polyak averaging over a whole list of tensors;
// - RrlTaskSelect / RrlTaskSelectGrad: each row's own task output out of every task's
//   (agents/nn/task-select.ts), and its backward.
// Fusing is the point at SAC's sizes: tfjs spends 10-20 us of bookkeeping per kernel, about as
// much as the arithmetic of a small op. Shapes are checked here and again (as bounds) in the addon.
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo, NamedAttrMap } from '@tensorflow/tfjs';
import type { BlasAddon } from './native.ts';
import { listRefs, memFor, nativeKernelsActive, type NativeBackend } from './storage.ts';

export const ADAM_KERNEL = 'RrlAdam';
export const AXPBY_KERNEL = 'RrlAxpby';
export const MLP_KERNEL = 'RrlMlp';
export const MLP_GRAD_KERNEL = 'RrlMlpGrad';
export const TANH_GAUSSIAN_KERNEL = 'RrlTanhGaussian';
export const TANH_GAUSSIAN_GRAD_KERNEL = 'RrlTanhGaussianGrad';
export const SAC_TARGET_KERNEL = 'RrlSacTarget';
export const SAC_CRITIC_GRAD_KERNEL = 'RrlSacCriticGrad';
export const SAC_ACTOR_GRAD_KERNEL = 'RrlSacActorGrad';
export const SAC_ALPHA_GRAD_KERNEL = 'RrlSacAlphaGrad';
export const TASK_SELECT_KERNEL = 'RrlTaskSelect';
export const TASK_SELECT_GRAD_KERNEL = 'RrlTaskSelectGrad';

type KernelArgs = Parameters<KernelFunc>[0];

/** Activation codes of the addon (native/rrl.h). */
export const ACTIVATIONS: Record<string, number> = { linear: 0, relu: 1, relu6: 2, leakyrelu: 3, elu: 4, sigmoid: 5, tanh: 6 };

export interface AdamAttrs {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** 1-based step count, for the bias corrections. */
  step: number;
}

function sameShapeFloat(name: string, ts: TensorInfo[]): void {
  for (const t of ts) {
    if (t.dtype !== 'float32' || !tf.util.arraysEqual(t.shape, ts[0].shape)) throw new Error(`${name}: inputs must be float32 of one shape`);
  }
}

/** inputs: k params, k grads, k first moments, k second moments; outputs: new params, m, v (3k). */
function adamKernel(addon: BlasAddon, backendName: NativeBackend): KernelFunc {
  return (args: KernelArgs) => {
    const ins = args.inputs as unknown as TensorInfo[];
    const at = args.attrs as unknown as AdamAttrs;
    const k = ins.length / 4;
    if (!Number.isInteger(k)) throw new Error(`${ADAM_KERNEL}: expected 4 groups of tensors, got ${ins.length} tensors`);
    for (let i = 0; i < k; i++) sameShapeFloat(`${ADAM_KERNEL} (param, grad, m, v of tensor ${i})`, [ins[i], ins[k + i], ins[2 * k + i], ins[3 * k + i]]);
    const mem = memFor(backendName, args.backend);
    const outs = [0, 1, 2].flatMap(() => ins.slice(0, k).map((p) => mem.alloc(p.shape)));
    const [bufs, offs] = listRefs(mem, [...ins, ...outs]);
    const sizes = new Float64Array(ins.slice(0, k).map((p) => tf.util.sizeFromShape(p.shape)));
    addon.adam(bufs, offs, sizes, at.lr, at.beta1, at.beta2, at.epsilon, at.step);
    return outs;
  };
}

/** inputs: k tensors x, then k tensors y of the same shapes; outputs alpha x + beta y (k). */
function axpbyKernel(addon: BlasAddon, backendName: NativeBackend): KernelFunc {
  return (args: KernelArgs) => {
    const ins = args.inputs as unknown as TensorInfo[];
    const { alpha, beta } = args.attrs as unknown as { alpha: number; beta: number };
    const k = ins.length / 2;
    if (!Number.isInteger(k)) throw new Error(`${AXPBY_KERNEL}: expected 2 groups of tensors, got ${ins.length} tensors`);
    for (let i = 0; i < k; i++) sameShapeFloat(AXPBY_KERNEL, [ins[i], ins[k + i]]);
    const mem = memFor(backendName, args.backend);
    const outs = ins.slice(0, k).map((x) => mem.alloc(x.shape));
    const [bufs, offs] = listRefs(mem, [...ins, ...outs]);
    addon.axpby(bufs, offs, new Float64Array(ins.slice(0, k).map((x) => tf.util.sizeFromShape(x.shape))), alpha, beta);
    return outs;
  };
}

/** The most layers the MLP kernels take (MAX_LAYERS in native/rrl_nets.c); deeper networks run layer by layer. */
export const MLP_MAX_LAYERS = 32;

/** Shapes of a whole-MLP kernel call, checked: see planMlp. */
export interface MlpPlan {
  layers: number;
  /** Members (1 for a plain network). */
  E: number;
  B: number;
  /** x is [B, in] for every member (rather than [E, B, in]). */
  xShared: boolean;
  /** in_0, then out_l per layer. */
  inDim: number;
  outDims: number[];
  /** Layer l has LayerNorm (and so a gain and a bias after its weight and bias). */
  norms: boolean[];
  /** W_l rank 3 ([E, in, out], bias [E, 1, out]) rather than rank 2 ([in, out], bias [out]). */
  ensembleRank: boolean;
  /** Shape of layer l's output (and of its normalised values xhat_l). */
  outShape(l: number): number[];
  /** Shape of layer l's per-row 1 / standard deviation (LayerNorm layers): [E, B, 1] or [B, 1]. */
  rowShape(): number[];
  /** Shape of layer l's bias (and LayerNorm gain and bias). */
  biasShape(l: number): number[];
}

/**
 * The MLP kernels' shapes from x and the parameter list, per layer W_l, b_l and, where norms[l],
 * the LayerNorm gain g_l and bias beta_l (norms absent: none, two tensors per layer): a plain
 * network (x [B, in], W [in, out], b [out]) or an ensemble (W [E, in, out], b [E, 1, out],
 * x [B, in] shared or [E, B, in]). Throws, naming the tensor, for anything else.
 */
export function planMlp(xShape: number[], paramShapes: number[][], norms?: boolean[]): MlpPlan {
  const perLayer = (l: number) => (norms?.[l] ? 4 : 2);
  const n = norms ? norms.length : paramShapes.length / 2;
  const expected = norms ? norms.reduce((a, _, l) => a + perLayer(l), 0) : paramShapes.length;
  if (n < 1 || !Number.isInteger(n) || expected !== paramShapes.length) {
    throw new Error(`${MLP_KERNEL}: expected weight/bias pairs (and a LayerNorm gain/bias pair per normalised layer), got ${paramShapes.length} parameter tensors for ${norms ? `${n} layers` : 'pairs'}`);
  }
  const ensembleRank = paramShapes[0].length === 3;
  const E = ensembleRank ? paramShapes[0][0] : 1;
  const xShared = xShape.length === 2;
  if (!xShared && !(ensembleRank && xShape.length === 3 && xShape[0] === E)) {
    throw new Error(`${MLP_KERNEL}: input of shape [${xShape}] does not fit weights of shape [${paramShapes[0]}]`);
  }
  const B = xShape[xShape.length - 2];
  const inDim = xShape[xShape.length - 1];
  const outDims: number[] = [];
  const layerNorms: boolean[] = [];
  let prev = inDim;
  let at = 0;
  for (let l = 0; l < n; l++) {
    const w = paramShapes[at];
    const out = w[w.length - 1];
    const wOk = ensembleRank ? w.length === 3 && w[0] === E && w[1] === prev : w.length === 2 && w[0] === prev;
    const vecOk = (b: number[]) => (ensembleRank ? b.length === 3 && b[0] === E && b[1] === 1 && b[2] === out : b.length === 1 && b[0] === out);
    const vecs = paramShapes.slice(at + 1, at + perLayer(l));
    if (!wOk || !vecs.every(vecOk)) {
      throw new Error(`${MLP_KERNEL}: layer ${l} has weight [${w}] and ${vecs.map((v) => `[${v}]`).join(', ')} after a width of ${prev}`);
    }
    outDims.push(out);
    layerNorms.push(perLayer(l) === 4);
    prev = out;
    at += perLayer(l);
  }
  return {
    layers: n, E, B, xShared, inDim, outDims, norms: layerNorms, ensembleRank,
    outShape: (l) => (ensembleRank ? [E, B, outDims[l]] : [B, outDims[l]]),
    rowShape: () => (ensembleRank ? [E, B, 1] : [B, 1]),
    biasShape: (l) => (ensembleRank ? [E, 1, outDims[l]] : [outDims[l]]),
  };
}

/** The MLP kernels' spec argument: the plan's shapes, `extra` (the backward's needDx, needParams), then per layer width, activation, LayerNorm. */
export function mlpSpec(p: MlpPlan, acts: number[], extra: number[]): Int32Array {
  return Int32Array.from([p.layers, p.E, p.B, p.xShared ? 1 : 0, ...extra, p.inDim, ...p.outDims.flatMap((o, l) => [o, acts[l], p.norms[l] ? 1 : 0])]);
}

function checkActs(acts: unknown, layers: number): number[] {
  const ok = Array.isArray(acts) && acts.length === layers && acts.every((a) => Object.values(ACTIVATIONS).includes(a as number));
  if (!ok) throw new Error(`${MLP_KERNEL}: attribute acts must list one activation code per layer (${layers})`);
  return acts as number[];
}

/** The norms attribute: one 0/1 per layer, or absent (no LayerNorm anywhere). */
function checkNorms(norms: unknown): boolean[] | undefined {
  if (norms === undefined) return undefined;
  if (!Array.isArray(norms) || norms.length < 1 || !norms.every((v) => v === 0 || v === 1)) {
    throw new Error(`${MLP_KERNEL}: attribute norms must list 0 or 1 per layer`);
  }
  return norms.map((v) => v === 1);
}

function allFloat(name: string, ts: TensorInfo[]): void {
  const bad = ts.findIndex((t) => t.dtype !== 'float32');
  if (bad >= 0) throw new Error(`${name}: input ${bad} is ${ts[bad].dtype}, not float32`);
}

/**
 * inputs [x, W_0, b_0, (g_0, beta_0,) ...], attrs { acts, norms? }; outputs per layer y_l, and
 * xhat_l, rstd_l after it where norms[l].
 */
function mlpKernel(addon: BlasAddon, backendName: NativeBackend): KernelFunc {
  return (args: KernelArgs) => {
    const ins = args.inputs as unknown as TensorInfo[];
    allFloat(MLP_KERNEL, ins);
    const attrs = args.attrs as { acts?: unknown; norms?: unknown };
    const plan = planMlp(ins[0].shape, ins.slice(1).map((t) => t.shape), checkNorms(attrs.norms));
    const acts = checkActs(attrs.acts, plan.layers);
    const mem = memFor(backendName, args.backend);
    const outs = plan.outDims.flatMap((_, l) => (plan.norms[l]
      ? [mem.alloc(plan.outShape(l)), mem.alloc(plan.outShape(l)), mem.alloc(plan.rowShape())]
      : [mem.alloc(plan.outShape(l))]));
    const [bufs, offs] = listRefs(mem, [...ins, ...outs]);
    addon.mlpForward(bufs, offs, mlpSpec(plan, acts, []));
    return outs;
  };
}

/**
 * inputs [dy, x, per layer W_l (and g_l where normalised), per layer y_l (and xhat_l, rstd_l)],
 * attrs { acts, norms?, needDx, needParams }; outputs [dx] when needDx, then per layer
 * [dW_l, db_l (, dg_l, dbeta_l)] when needParams.
 */
function mlpGradKernel(addon: BlasAddon, backendName: NativeBackend): KernelFunc {
  return (args: KernelArgs) => {
    const ins = args.inputs as unknown as TensorInfo[];
    allFloat(MLP_GRAD_KERNEL, ins);
    const { acts: rawActs, norms: rawNorms, needDx, needParams } = args.attrs as { acts?: unknown; norms?: unknown; needDx?: boolean; needParams?: boolean };
    const norms = checkNorms(rawNorms);
    const normCount = norms ? norms.filter(Boolean).length : 0;
    // dy, x, n weights + one gain per normalised layer, n outputs + two per normalised layer.
    const n = (ins.length - 2 - 3 * normCount) / 2;
    if (n < 1 || !Number.isInteger(n) || (norms && norms.length !== n)) {
      throw new Error(`${MLP_GRAD_KERNEL}: expected dy, x, the weights (and gains) and the layer outputs (and LayerNorm values), got ${ins.length} tensors`);
    }
    const layerNorm = (l: number) => norms?.[l] ?? false;
    const ws: TensorInfo[] = [];
    const gains: (TensorInfo | null)[] = [];
    let at = 2;
    for (let l = 0; l < n; l++) {
      ws.push(ins[at++]);
      gains.push(layerNorm(l) ? ins[at++] : null);
    }
    const saved = ins.slice(at);
    const vecShape = (w: TensorInfo) => (w.shape.length === 3 ? [w.shape[0], 1, w.shape[2]] : [w.shape[1]]);
    const plan = planMlp(ins[1].shape, ws.flatMap((w, l) => (layerNorm(l) ? [w.shape, vecShape(w), vecShape(w), vecShape(w)] : [w.shape, vecShape(w)])), norms);
    gains.forEach((g, l) => {
      if (g && !tf.util.arraysEqual(g.shape, plan.biasShape(l))) throw new Error(`${MLP_GRAD_KERNEL}: LayerNorm gain ${l} has shape [${g.shape}], expected [${plan.biasShape(l)}]`);
    });
    let k = 0;
    for (let l = 0; l < n; l++) {
      const want = layerNorm(l) ? [plan.outShape(l), plan.outShape(l), plan.rowShape()] : [plan.outShape(l)];
      for (const shape of want) {
        const t = saved[k++];
        if (!tf.util.arraysEqual(t.shape, shape)) throw new Error(`${MLP_GRAD_KERNEL}: saved value ${k - 1} of layer ${l} has shape [${t.shape}], expected [${shape}]`);
      }
    }
    if (!tf.util.arraysEqual(ins[0].shape, plan.outShape(n - 1))) throw new Error(`${MLP_GRAD_KERNEL}: dy has shape [${ins[0].shape}], expected [${plan.outShape(n - 1)}]`);
    const acts = checkActs(rawActs, n);
    const mem = memFor(backendName, args.backend);
    const outs: TensorInfo[] = [];
    if (needDx) outs.push(mem.alloc(ins[1].shape));
    if (needParams) {
      ws.forEach((w, l) => {
        outs.push(mem.alloc(w.shape), mem.alloc(plan.biasShape(l)));
        if (layerNorm(l)) outs.push(mem.alloc(plan.biasShape(l)), mem.alloc(plan.biasShape(l)));
      });
    }
    const [bufs, offs] = listRefs(mem, [...ins, ...outs]);
    addon.mlpBackward(bufs, offs, mlpSpec(plan, acts, [needDx ? 1 : 0, needParams ? 1 : 0]));
    return outs;
  };
}

interface GaussianAttrs {
  logStdMin: number;
  logStdMax: number;
}

function gaussianShapes(name: string, head: TensorInfo, eps: TensorInfo): { B: number; A: number } {
  const [B, A] = eps.shape;
  if (eps.shape.length !== 2 || head.shape.length !== 2 || head.shape[0] !== B || head.shape[1] !== 2 * A || A < 1) {
    throw new Error(`${name}: head must be [B, 2A] for noise [B, A], got [${head.shape}] and [${eps.shape}]`);
  }
  allFloat(name, [head, eps]);
  return { B, A };
}

/** inputs { head [B, 2A], eps [B, A] }, attrs GaussianAttrs; outputs [action [B, A], logProb [B, 1]]. */
function tanhGaussianKernel(addon: BlasAddon, backendName: NativeBackend): KernelFunc {
  return (args: KernelArgs) => {
    const { head, eps } = args.inputs as Record<string, TensorInfo>;
    const at = args.attrs as unknown as GaussianAttrs;
    const { B, A } = gaussianShapes(TANH_GAUSSIAN_KERNEL, head, eps);
    const mem = memFor(backendName, args.backend);
    const outs = [mem.alloc([B, A]), mem.alloc([B, 1])];
    const [bufs, offs] = listRefs(mem, [head, eps, ...outs]);
    addon.tanhGaussian(bufs, offs, Int32Array.from([B, A]), at.logStdMin, at.logStdMax);
    return outs;
  };
}

/** inputs { dAction, dLogProb, head, eps }, attrs GaussianAttrs; output dHead [B, 2A]. */
function tanhGaussianGradKernel(addon: BlasAddon, backendName: NativeBackend): KernelFunc {
  return (args: KernelArgs) => {
    const { dAction, dLogProb, head, eps } = args.inputs as Record<string, TensorInfo>;
    const at = args.attrs as unknown as GaussianAttrs;
    const { B, A } = gaussianShapes(TANH_GAUSSIAN_GRAD_KERNEL, head, eps);
    if (!tf.util.arraysEqual(dAction.shape, [B, A]) || !tf.util.arraysEqual(dLogProb.shape, [B, 1])) {
      throw new Error(`${TANH_GAUSSIAN_GRAD_KERNEL}: gradients of shapes [${dAction.shape}] and [${dLogProb.shape}] for noise [${eps.shape}]`);
    }
    allFloat(TANH_GAUSSIAN_GRAD_KERNEL, [dAction, dLogProb]);
    const mem = memFor(backendName, args.backend);
    const out = mem.alloc([B, 2 * A]);
    const [bufs, offs] = listRefs(mem, [dAction, dLogProb, head, eps, out]);
    addon.tanhGaussianGrad(bufs, offs, Int32Array.from([B, A]), at.logStdMin, at.logStdMax);
    return out;
  };
}

/** SAC loss kernels' shared checks: q [E, B, 1], rows [B, 1], logAlpha [K], task int32 [B]. */
function sacShapes(name: string, q: TensorInfo | null, rows: TensorInfo[], logAlpha: TensorInfo | null, task: TensorInfo | null): Int32Array {
  const B = q ? q.shape[1] : rows[0].shape[0];
  const E = q ? q.shape[0] : 1;
  const K = logAlpha ? logAlpha.shape[0] : 1;
  const ok = (!q || (q.shape.length === 3 && q.shape[2] === 1 && q.dtype === 'float32'))
    && rows.every((r) => r.dtype === 'float32' && r.shape.length === 2 && r.shape[0] === B && r.shape[1] === 1)
    && (!logAlpha || (logAlpha.shape.length === 1 && logAlpha.dtype === 'float32' && K >= 1))
    && (!task || (task.dtype === 'int32' && task.shape.length === 1 && task.shape[0] === B));
  if (!ok) {
    const desc = (t: TensorInfo | null) => (t ? `${t.dtype}[${t.shape}]` : '-');
    throw new Error(`${name}: expected q [E, B, 1], rows [B, 1], logAlpha [K], int32 task [B]; got q ${desc(q)}, rows ${rows.map(desc).join(' ')}, logAlpha ${desc(logAlpha)}, task ${desc(task)}`);
  }
  return Int32Array.from([E, B, K]);
}

function sacTargetKernel(addon: BlasAddon, backendName: NativeBackend): KernelFunc {
  return (args: KernelArgs) => {
    const { q, logProb, logAlpha, task, reward, terminated } = args.inputs as Record<string, TensorInfo>;
    const { gamma, clipLo, clipHi } = args.attrs as unknown as { gamma: number; clipLo: number; clipHi: number };
    const spec = sacShapes(SAC_TARGET_KERNEL, q, [logProb, reward, terminated], logAlpha, task);
    const mem = memFor(backendName, args.backend);
    const y = mem.alloc([spec[1], 1]);
    const [bufs, offs] = listRefs(mem, [q, logProb, logAlpha, task, reward, terminated, y]);
    addon.sacTarget(bufs, offs, spec, gamma, clipLo, clipHi);
    return y;
  };
}

function sacCriticGradKernel(addon: BlasAddon, backendName: NativeBackend): KernelFunc {
  return (args: KernelArgs) => {
    const { q, y } = args.inputs as Record<string, TensorInfo>;
    const spec = sacShapes(SAC_CRITIC_GRAD_KERNEL, q, [y], null, null);
    const mem = memFor(backendName, args.backend);
    const outs = [mem.alloc(q.shape), mem.alloc([2])];
    const [bufs, offs] = listRefs(mem, [q, y, ...outs]);
    addon.sacCriticGrad(bufs, offs, spec);
    return outs;
  };
}

function sacActorGradKernel(addon: BlasAddon, backendName: NativeBackend): KernelFunc {
  return (args: KernelArgs) => {
    const { q, logProb, logAlpha, task } = args.inputs as Record<string, TensorInfo>;
    const spec = sacShapes(SAC_ACTOR_GRAD_KERNEL, q, [logProb], logAlpha, task);
    const mem = memFor(backendName, args.backend);
    const outs = [mem.alloc(q.shape), mem.alloc(logProb.shape), mem.alloc([1])];
    const [bufs, offs] = listRefs(mem, [q, logProb, logAlpha, task, ...outs]);
    addon.sacActorGrad(bufs, offs, spec);
    return outs;
  };
}

function sacAlphaGradKernel(addon: BlasAddon, backendName: NativeBackend): KernelFunc {
  return (args: KernelArgs) => {
    const { logProb, logAlpha, task } = args.inputs as Record<string, TensorInfo>;
    const { targetEntropy } = args.attrs as unknown as { targetEntropy: number };
    const spec = sacShapes(SAC_ALPHA_GRAD_KERNEL, null, [logProb], logAlpha, task);
    const mem = memFor(backendName, args.backend);
    const outs = [mem.alloc(logAlpha.shape), mem.alloc([1])];
    const [bufs, offs] = listRefs(mem, [logProb, logAlpha, task, ...outs]);
    addon.sacAlphaGrad(bufs, offs, spec, targetEntropy);
    return outs;
  };
}

/** How every task's outputs are laid out for the selection (agents/nn/task-select.ts). */
export interface TaskSelectAttrs {
  /** 0: [E, B, K * out] (multihead's wide head); 1: [E * K, B, out] (independent's task networks). */
  layout: 0 | 1;
  numTasks: number;
  out: number;
  /** Column of the network input x where the one-hot starts. */
  col0: number;
}

/** The selection's spec [E, B, K, O, layout, D, col0], checked against h and x. */
function selectSpec(name: string, h: TensorInfo, x: TensorInfo, at: TaskSelectAttrs): Int32Array {
  const [B, D] = x.shape;
  const K = at.numTasks;
  const O = at.out;
  const E = tf.util.sizeFromShape(h.shape) / Math.max(1, B * K * O);
  const lead = at.layout === 0 ? [E, B, K * O] : [E * K, B, O];
  const ok = x.shape.length === 2 && (at.layout === 0 || at.layout === 1) && Number.isInteger(E) && E >= 1
    && Number.isInteger(at.col0) && at.col0 >= 0 && at.col0 + K <= D && tf.util.arraysEqual(h.shape, lead);
  if (!ok) throw new Error(`${name}: outputs [${h.shape}] and input [${x.shape}] do not fit layout ${at.layout}, ${K} tasks of ${O} outputs, one-hot at column ${at.col0}`);
  allFloat(name, [h, x]);
  return Int32Array.from([E, B, K, O, at.layout, D, at.col0]);
}

/** inputs { h, x }, attrs TaskSelectAttrs; output y [E, B, out]. */
function taskSelectKernel(addon: BlasAddon, backendName: NativeBackend): KernelFunc {
  return (args: KernelArgs) => {
    const { h, x } = args.inputs as Record<string, TensorInfo>;
    const spec = selectSpec(TASK_SELECT_KERNEL, h, x, args.attrs as unknown as TaskSelectAttrs);
    const mem = memFor(backendName, args.backend);
    const y = mem.alloc([spec[0], spec[1], spec[3]]);
    const [bufs, offs] = listRefs(mem, [h, x, y]);
    addon.taskSelect(bufs, offs, spec);
    return y;
  };
}

/** inputs { dy, h, x }, attrs TaskSelectAttrs and needOneHot; outputs dh (h's shape) and, when asked, dOneHot [B, K]. */
function taskSelectGradKernel(addon: BlasAddon, backendName: NativeBackend): KernelFunc {
  return (args: KernelArgs) => {
    const { dy, h, x } = args.inputs as Record<string, TensorInfo>;
    const at = args.attrs as unknown as TaskSelectAttrs & { needOneHot: boolean };
    const spec = selectSpec(TASK_SELECT_GRAD_KERNEL, h, x, at);
    if (!tf.util.arraysEqual(dy.shape, [spec[0], spec[1], spec[3]])) throw new Error(`${TASK_SELECT_GRAD_KERNEL}: dy has shape [${dy.shape}], expected [${spec[0]},${spec[1]},${spec[3]}]`);
    allFloat(TASK_SELECT_GRAD_KERNEL, [dy]);
    const mem = memFor(backendName, args.backend);
    const outs = [mem.alloc(h.shape), ...(at.needOneHot ? [mem.alloc([spec[1], spec[2]])] : [])];
    const [bufs, offs] = listRefs(mem, [dy, h, x, ...outs]);
    addon.taskSelectGrad(bufs, offs, Int32Array.from([...spec, at.needOneHot ? 1 : 0]));
    return outs;
  };
}

/** Every Rrl* kernel with its maker, for agents/tensor/kernels.ts to register. */
export const ADDED: [string, (addon: BlasAddon, b: NativeBackend) => KernelFunc][] = [
  [ADAM_KERNEL, adamKernel],
  [AXPBY_KERNEL, axpbyKernel],
  [MLP_KERNEL, mlpKernel],
  [MLP_GRAD_KERNEL, mlpGradKernel],
  [TANH_GAUSSIAN_KERNEL, tanhGaussianKernel],
  [TANH_GAUSSIAN_GRAD_KERNEL, tanhGaussianGradKernel],
  [SAC_TARGET_KERNEL, sacTargetKernel],
  [SAC_CRITIC_GRAD_KERNEL, sacCriticGradKernel],
  [SAC_ACTOR_GRAD_KERNEL, sacActorGradKernel],
  [SAC_ALPHA_GRAD_KERNEL, sacAlphaGradKernel],
  [TASK_SELECT_KERNEL, taskSelectKernel],
  [TASK_SELECT_GRAD_KERNEL, taskSelectGradKernel],
];

/**
 * One Adam step over every tensor of a list in one native kernel: returns the new params, first
 * and second moments (3 lists in the order of `params`). The caller checks nativeKernelsActive().
 */
export function runAdamKernel(params: tf.Tensor[], grads: tf.Tensor[], m: tf.Tensor[], v: tf.Tensor[], attrs: AdamAttrs): [tf.Tensor[], tf.Tensor[], tf.Tensor[]] {
  const k = params.length;
  const outs = tf.engine().runKernel(ADAM_KERNEL, [...params, ...grads, ...m, ...v] as unknown as tf.NamedTensorMap, attrs as unknown as NamedAttrMap) as unknown as tf.Tensor[];
  return [outs.slice(0, k), outs.slice(k, 2 * k), outs.slice(2 * k)];
}

/** alpha x_i + beta y_i for every pair of two lists, as one native kernel; null where there is none. */
export function axpbyNative(x: tf.Tensor[], y: tf.Tensor[], alpha: number, beta: number): tf.Tensor[] | null {
  if (!nativeKernelsActive()) return null;
  if (x.length !== y.length) throw new Error(`${AXPBY_KERNEL}: ${x.length} tensors against ${y.length}`);
  return tf.engine().runKernel(AXPBY_KERNEL, [...x, ...y] as unknown as tf.NamedTensorMap, { alpha, beta }) as unknown as tf.Tensor[];
}

/**
 * Every layer's output of an MLP (x, its parameter list, an activation and a LayerNorm flag per
 * layer) as one native kernel: per layer y_l, followed by xhat_l and rstd_l where norms[l]. The
 * caller checks nativeKernelsActive(). Its backward is mlpBackwardNative.
 */
export function mlpForwardNative(x: tf.Tensor, params: tf.Tensor[], acts: string[], norms: boolean[]): tf.Tensor[] {
  return tf.engine().runKernel(MLP_KERNEL, [x, ...params] as unknown as tf.NamedTensorMap, {
    acts: acts.map((a) => ACTIVATIONS[a]), norms: norms.map((v) => (v ? 1 : 0)),
  } as unknown as NamedAttrMap) as unknown as tf.Tensor[];
}

/**
 * The MLP's gradients from dL/dy: [dx] if asked, then per layer [dW_l, db_l (, dg_l, dbeta_l)] if
 * asked. `weights` holds W_l and, after it, g_l where norms[l]; `saved` is what the forward
 * returned (y_l, and xhat_l, rstd_l).
 */
export function mlpBackwardNative(
  dy: tf.Tensor, x: tf.Tensor, weights: tf.Tensor[], saved: tf.Tensor[], acts: string[], norms: boolean[], want: { dx: boolean; params: boolean },
): tf.Tensor[] {
  return tf.engine().runKernel(
    MLP_GRAD_KERNEL,
    [dy, x, ...weights, ...saved] as unknown as tf.NamedTensorMap,
    { acts: acts.map((a) => ACTIVATIONS[a]), norms: norms.map((v) => (v ? 1 : 0)), needDx: want.dx, needParams: want.params } as unknown as NamedAttrMap,
  ) as unknown as tf.Tensor[];
}

/** The tanh-Gaussian sample [action, logProb] as one native kernel (agents/nn/actor.ts has the math). */
export function tanhGaussianNative(head: tf.Tensor, eps: tf.Tensor, logStdMin: number, logStdMax: number): [tf.Tensor, tf.Tensor] {
  return tf.engine().runKernel(TANH_GAUSSIAN_KERNEL, { head, eps }, { logStdMin, logStdMax }) as unknown as [tf.Tensor, tf.Tensor];
}

/** dL/dhead of the tanh-Gaussian sample from dL/daction and dL/dlogProb, as one native kernel. */
export function tanhGaussianGradNative(dAction: tf.Tensor, dLogProb: tf.Tensor, head: tf.Tensor, eps: tf.Tensor, logStdMin: number, logStdMax: number): tf.Tensor {
  return tf.engine().runKernel(TANH_GAUSSIAN_GRAD_KERNEL, { dAction, dLogProb, head, eps }, { logStdMin, logStdMax }) as tf.Tensor;
}

/** Each row's own task output, y [E, B, out], as one native kernel (agents/nn/task-select.ts). */
export function taskSelectNative(h: tf.Tensor, x: tf.Tensor, attrs: TaskSelectAttrs): tf.Tensor {
  return tf.engine().runKernel(TASK_SELECT_KERNEL, { h, x }, attrs as unknown as NamedAttrMap) as tf.Tensor;
}

/** The selection's backward: [dh] or [dh, dOneHot] (needOneHot), as one native kernel. */
export function taskSelectGradNative(dy: tf.Tensor, h: tf.Tensor, x: tf.Tensor, attrs: TaskSelectAttrs, needOneHot: boolean): tf.Tensor[] {
  const out = tf.engine().runKernel(TASK_SELECT_GRAD_KERNEL, { dy, h, x }, { ...attrs, needOneHot } as unknown as NamedAttrMap);
  return (Array.isArray(out) ? out : [out]) as tf.Tensor[];
}

/** Runs one of the Rrl* kernels by name (agents/sac/losses.ts documents the SAC ones). */
export function runNative(kernel: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, number> = {}): tf.Tensor[] {
  const out = tf.engine().runKernel(kernel, inputs, attrs);
  return (Array.isArray(out) ? out : [out]) as tf.Tensor[];
}
