// The hand-written gradients of agents/nn against tfjs's autodiff of the same math in plain ops,
// and the SAC update's observable behaviour.
import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { addon, useBackend, relErr, rand } from './helpers.ts';
import { MLP, EnsembleCritic } from '../../agents/nn/mlp.ts';
import { dense } from '../../agents/nn/dense.ts';
import { Adam } from '../../agents/nn/adam.ts';
import { squashedGaussian } from '../../agents/nn/actor.ts';
import { Sac, SAC_DEFAULTS } from '../../agents/sac/update.ts';
import type { NativeBackend } from '../../agents/tensor/kernels.ts';

const TOL = 1e-4;

/** The same MLP in plain tfjs ops, differentiated by tfjs itself (tiling a shared input). */
function referenceMlp(params: tf.Tensor[], x: tf.Tensor, ensemble?: number): tf.Tensor {
  let h = ensemble && x.rank === 2 ? tf.tile(tf.expandDims(x, 0), [ensemble, 1, 1]) : x;
  const n = params.length / 2;
  for (let i = 0; i < n; i++) {
    h = tf.add(tf.matMul(h, params[2 * i]), params[2 * i + 1]);
    if (i < n - 1) h = tf.relu(h);
  }
  return h;
}

const setups: [NativeBackend, boolean][] = [['wasm', false], ['cpu', false]];
if (addon) setups.unshift(['wasm', true], ['cpu', true]);

for (const [backend, blas] of setups) {
  describe(`agents/nn on ${backend}${blas ? ' + BLAS' : ''}`, () => {
    beforeAll(async () => {
      await useBackend(backend, blas);
    });

    it.each([
      ['plain', undefined, false],
      ['plain, input gradient', undefined, true],
      ['ensemble of 2, shared input', 2, true],
      ['ensemble of 3, shared input', 3, false],
    ] as const)('MLP gradients match autodiff (%s)', (_name, ensemble, gradInput) => {
      const net = new MLP({ inDim: 7, hidden: [11, 9], outDim: 3, ensemble });
      const params = net.init(5).map((t) => tf.variable(t));
      const x = tf.variable(rand([13, 7], 6));
      const target = rand(ensemble ? [ensemble, 13, 3] : [13, 3], 7);
      const loss = (f: () => tf.Tensor) => () => tf.mean(tf.square(tf.sub(f(), target))) as tf.Scalar;
      const vars = gradInput ? [...params, x] : params;
      const mine = tf.variableGrads(loss(() => net.apply(params, x, { gradInput })), vars);
      const ref = tf.variableGrads(loss(() => referenceMlp(params, x, ensemble)), vars);
      expect(relErr(mine.value.dataSync(), ref.value.dataSync())).toBeLessThan(TOL);
      for (const v of vars) {
        expect(mine.grads[v.name].shape).toEqual(v.shape);
        expect(relErr(mine.grads[v.name].dataSync(), ref.grads[v.name].dataSync())).toBeLessThan(TOL);
      }
      tf.dispose([mine.value, ref.value, ...Object.values(mine.grads), ...Object.values(ref.grads), ...params, x, target]);
    });

    it('parameters held constant get no gradient, and the input still does', () => {
      const net = new MLP({ inDim: 5, hidden: [8], outDim: 1, ensemble: 2 });
      const params = net.init(1).map((t) => tf.variable(t));
      const x = tf.variable(rand([6, 5], 2));
      const g = tf.variableGrads(() => tf.sum(tf.min(net.apply(params, x, { gradParams: false, gradInput: true }), 0)) as tf.Scalar, [x, ...params]);
      expect(Object.keys(g.grads)).toEqual([x.name]);
      const ref = tf.variableGrads(() => tf.sum(tf.min(referenceMlp(params, x, 2), 0)) as tf.Scalar, [x]);
      expect(relErr(g.grads[x.name].dataSync(), ref.grads[x.name].dataSync())).toBeLessThan(TOL);
      tf.dispose([g.value, ref.value, ...Object.values(g.grads), ...Object.values(ref.grads), ...params, x]);
    });

    it.each(['relu', 'tanh', 'sigmoid', 'elu', 'linear'] as const)('dense layer (%s) gradient matches autodiff', (act) => {
      const x = tf.variable(rand([9, 4], 3));
      const w = tf.variable(rand([4, 6], 4));
      const b = tf.variable(rand([6], 5));
      const f = { relu: tf.relu, tanh: tf.tanh, sigmoid: tf.sigmoid, elu: tf.elu, linear: (z: tf.Tensor) => z }[act];
      const mine = tf.variableGrads(() => tf.sum(tf.square(dense(x, w, b, act))) as tf.Scalar, [x, w, b]);
      const ref = tf.variableGrads(() => tf.sum(tf.square(f(tf.add(tf.matMul(x, w), b)))) as tf.Scalar, [x, w, b]);
      for (const v of [x, w, b]) expect(relErr(mine.grads[v.name].dataSync(), ref.grads[v.name].dataSync())).toBeLessThan(TOL);
      tf.dispose([mine.value, ref.value, ...Object.values(mine.grads), ...Object.values(ref.grads), x, w, b]);
    });

    it('tanh-Gaussian sample, log-prob and their gradients match the same math in tfjs ops', () => {
      const A = 3;
      const head = tf.variable(tf.mul(rand([20, 2 * A], 50), 2));
      const eps = tf.randomNormal([20, A], 0, 1, 'float32', 51);
      const w = rand([20, A + 1], 52); // a random linear read-out of [action | logProb]
      const [lo, hi] = [-5, 2];
      const reference = (): tf.Tensor => {
        const [mu, raw] = tf.split(head, [A, A], 1);
        const logStd = tf.add(lo + 0.5 * (hi - lo), tf.mul(tf.tanh(raw), 0.5 * (hi - lo)));
        const a = tf.tanh(tf.add(mu, tf.mul(tf.exp(logStd), eps)));
        const logN = tf.sub(tf.mul(tf.square(eps), -0.5), tf.add(logStd, 0.5 * Math.log(2 * Math.PI)));
        const logProb = tf.sum(tf.sub(logN, tf.log(tf.sub(1 + 1e-6, tf.square(a)))), 1, true);
        return tf.concat([a, logProb], 1);
      };
      const mine = tf.variableGrads(() => tf.sum(tf.mul(squashedGaussian(head, eps, A, lo, hi), w)) as tf.Scalar, [head]);
      const ref = tf.variableGrads(() => tf.sum(tf.mul(reference(), w)) as tf.Scalar, [head]);
      expect(relErr(mine.value.dataSync(), ref.value.dataSync())).toBeLessThan(TOL);
      expect(relErr(mine.grads[head.name].dataSync(), ref.grads[head.name].dataSync())).toBeLessThan(TOL);
      tf.dispose([mine.value, ref.value, mine.grads[head.name], ref.grads[head.name], head, eps, w]);
    });

    it('Adam follows torch.optim.Adam on a quadratic', () => {
      // Reference: torch.optim.Adam's update in float64, on f(p) = sum p^2.
      const lr = 0.1, b1 = 0.9, b2 = 0.999, eps = 1e-8;
      const ref = [1, -2, 0.5];
      const m = [0, 0, 0];
      const v = [0, 0, 0];
      const p = tf.variable(tf.tensor1d(ref));
      const opt = new Adam([p], { lr });
      for (let t = 1; t <= 5; t++) {
        const g = tf.mul(p, 2);
        opt.step([g]);
        g.dispose();
        for (let i = 0; i < 3; i++) {
          const gi = 2 * ref[i];
          m[i] = b1 * m[i] + (1 - b1) * gi;
          v[i] = b2 * v[i] + (1 - b2) * gi * gi;
          ref[i] -= (lr * m[i]) / (1 - b1 ** t) / (Math.sqrt(v[i] / (1 - b2 ** t)) + eps);
        }
      }
      expect(relErr(p.dataSync(), ref)).toBeLessThan(TOL);
      expect(opt.steps).toBe(5);
      opt.dispose();
      p.dispose();
    });

    it('SAC: critic regresses rewards when gamma = 0, and only the sampled tasks change temperature', () => {
      const B = 64;
      // gamma = 0 makes the critic target the reward itself, so its loss must fall steadily.
      const sac = new Sac({ obsDim: 6, actDim: 2, numTasks: 4, hidden: [32, 32], seed: 3, gamma: 0 });
      const batch = tf.tidy(() => ({
        obs: rand([B, 6], 40) as tf.Tensor2D,
        action: rand([B, 2], 41) as tf.Tensor2D,
        reward: rand([B, 1], 42) as tf.Tensor2D,
        nextObs: rand([B, 6], 43) as tf.Tensor2D,
        terminated: tf.zeros([B, 1]) as tf.Tensor2D,
        // tasks 0 and 2 only
        task: tf.mul(tf.randomUniform([B], 0, 2, 'int32', 44), tf.scalar(2, 'int32')) as tf.Tensor1D,
      }));
      const first = sac.update(batch, { metrics: true })!;
      let last = first;
      for (let i = 0; i < 200; i++) last = sac.update(batch, { metrics: i === 199 }) ?? last;
      expect(Number.isFinite(last.qLoss) && Number.isFinite(last.actorLoss) && Number.isFinite(last.alphaLoss)).toBe(true);
      expect(last.qLoss).toBeLessThan(0.5 * first.qLoss);
      // Tasks 1 and 3 never appear: their temperatures keep the initial exp(0) = 1.
      expect(last.alpha[1]).toBe(1);
      expect(last.alpha[3]).toBe(1);
      expect(last.alpha[0]).not.toBe(1);
      expect(last.alpha[2]).not.toBe(1);
      // Targets trail the online critics (Polyak), so they differ but not wildly.
      const gap = relErr(sac.criticTarget[0].dataSync(), sac.criticParams[0].dataSync());
      expect(gap).toBeGreaterThan(0);
      expect(SAC_DEFAULTS.tau).toBeLessThan(1);
      tf.dispose(Object.values(batch));
      sac.dispose();
    });

    it('twin critics as one batched network equal two separate networks', () => {
      const critic = new EnsembleCritic(5, [8, 8], 2);
      const params = critic.init(9);
      const x = rand([10, 5], 10);
      const both = critic.values(params, x);
      const single = new MLP({ inDim: 5, hidden: [8, 8], outDim: 1 });
      for (let e = 0; e < 2; e++) {
        const pe = params.map((p) => tf.squeeze(tf.slice(p, [e, 0, 0], [1, -1, -1]), [0]));
        // plain layers take a rank-1 bias
        const fixed = pe.map((p, j) => (j % 2 === 1 ? tf.reshape(p, [-1]) : p));
        const one = single.apply(fixed, x, { gradParams: false });
        const mine = tf.squeeze(tf.slice(both, [e, 0, 0], [1, -1, -1]), [0]);
        expect(relErr(mine.dataSync(), one.dataSync())).toBeLessThan(TOL);
      }
      const minQ = critic.minValue(params, x).dataSync();
      const all = both.dataSync();
      for (let i = 0; i < 10; i++) expect(minQ[i]).toBe(Math.min(all[i], all[10 + i]));
    });
  });
}
