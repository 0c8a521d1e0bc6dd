// The hand-written gradients of agents/nn against tfjs's autodiff of the same math in plain ops,
// and the SAC update's observable behaviour.
import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { addon, useBackend, relErr, rand } from './helpers.ts';
import { referenceMlp, referenceGaussian, vjp } from './reference.ts';
import { MLP } from '../../agents/nn/mlp.ts';
import type { Activation } from '../../agents/nn/dense.ts';
import { Adam } from '../../agents/nn/adam.ts';
import { TanhGaussianActor } from '../../agents/nn/actor.ts';
import { Sac, SAC_DEFAULTS, policyNoise, type SacBatch } from '../../agents/sac/update.ts';
import type { NativeBackend } from '../../agents/tensor/kernels.ts';

const TOL = 1e-4;

const setups: [NativeBackend, boolean][] = [['wasm', false], ['cpu', false]];
if (addon) setups.unshift(['wasm', true], ['cpu', true]);

for (const [backend, blas] of setups) {
  describe(`agents/nn on ${backend}${blas ? ' + BLAS' : ''}`, () => {
    beforeAll(async () => {
      await useBackend(backend, blas);
    });

    it.each([
      ['plain', undefined, 'relu', 'linear', false],
      ['plain, input gradient', undefined, 'relu', 'linear', true],
      ['ensemble of 2, shared input', 2, 'relu', 'linear', true],
      ['ensemble of 3, shared input, params only', 3, 'relu', 'linear', false],
      ['ensemble of 2, one input per member', 2, 'relu', 'linear', true],
      ['tanh hidden, sigmoid out', 2, 'tanh', 'sigmoid', true],
      ['elu hidden, relu out', undefined, 'elu', 'relu', true],
      ['sigmoid hidden, tanh out', 1, 'sigmoid', 'tanh', true],
    ] as const)('MLP forward and backward match autodiff (%s)', (name, ensemble, act, outAct, wantDx) => {
      const net = new MLP({ inDim: 7, hidden: [11, 9], outDim: 3, ensemble, activation: act as Activation, outActivation: outAct as Activation });
      const params = net.init(5);
      const perMember = name.includes('per member');
      const x = rand(perMember ? [ensemble!, 13, 7] : [13, 7], 6);
      const dy = rand(ensemble ? [ensemble, 13, 3] : [13, 3], 7);
      const ref = (xx: tf.Tensor, ...ps: tf.Tensor[]) => referenceMlp(ps, xx, { ensemble, act, outAct });
      const { y, cache } = net.forward(params, x);
      expect(relErr(y.dataSync(), ref(x, ...params).dataSync())).toBeLessThan(TOL);
      const mine = net.backward(params, cache, dy, { dx: wantDx, params: true });
      const want = vjp(ref, [x, ...params], dy);
      expect(mine.dParams!.length).toBe(params.length);
      mine.dParams!.forEach((g, j) => {
        expect(g.shape).toEqual(params[j].shape);
        expect(relErr(g.dataSync(), want[1 + j].dataSync())).toBeLessThan(TOL);
      });
      if (wantDx) {
        expect(mine.dx!.shape).toEqual(x.shape);
        expect(relErr(mine.dx!.dataSync(), want[0].dataSync())).toBeLessThan(TOL);
      } else {
        expect(mine.dx).toBeNull();
      }
      const dxOnly = net.backward(params, cache, dy, { dx: true, params: false });
      expect(dxOnly.dParams).toBeNull();
      expect(relErr(dxOnly.dx!.dataSync(), want[0].dataSync())).toBeLessThan(TOL);
      tf.dispose([...params, x, dy, y, ...want]);
    });

    it.each([
      // name, ensemble, hidden activation, output LayerNorm too, input gradient, rows
      ['plain', undefined, 'relu', false, true, 13],
      ['plain, 100 rows', undefined, 'relu', false, true, 100],
      ['ensemble of 2, shared input', 2, 'relu', false, true, 70],
      ['ensemble of 3, one input per member', 3, 'tanh', false, true, 66],
      ['trunk: output layer normalised too', 2, 'relu', true, true, 13],
      ['1-member ensemble, params only', 1, 'elu', false, false, 9],
    ] as const)('MLP with LayerNorm matches autodiff (%s)', (name, ensemble, act, outLn, wantDx, rows) => {
      tf.tidy(() => {
        const net = new MLP({ inDim: 7, hidden: [11, 9], outDim: 3, ensemble, activation: act, outActivation: outLn ? 'relu' : 'linear', layerNorm: true, outLayerNorm: outLn });
        expect(net.norms).toEqual([true, true, outLn]);
        expect(net.paramShapes.length).toBe(outLn ? 12 : 10);
        // gains and biases away from their initial 1 and 0, so every term of the gradient shows
        const params = net.init(5).map((p, j) => tf.add(p, tf.mul(rand(p.shape, 90 + j), 0.3)));
        const perMember = name.includes('per member');
        const x = rand(perMember ? [ensemble!, rows, 7] : [rows, 7], 6);
        const dy = rand(ensemble ? [ensemble, rows, 3] : [rows, 3], 7);
        const opts = { ensemble, act, outAct: outLn ? 'relu' : 'linear', layerNorm: true, outLayerNorm: outLn } as const;
        const ref = (xx: tf.Tensor, ...ps: tf.Tensor[]) => referenceMlp(ps, xx, opts);
        const { y, cache } = net.forward(params, x);
        expect(relErr(y.dataSync(), ref(x, ...params).dataSync())).toBeLessThan(TOL);
        const mine = net.backward(params, cache, dy, { dx: wantDx, params: true });
        const want = vjp(ref, [x, ...params], dy);
        mine.dParams!.forEach((g, j) => {
          expect(g.shape).toEqual(params[j].shape);
          expect(relErr(g.dataSync(), want[1 + j].dataSync()), `parameter ${j}`).toBeLessThan(TOL);
        });
        if (wantDx) expect(relErr(mine.dx!.dataSync(), want[0].dataSync())).toBeLessThan(TOL);
        else expect(mine.dx).toBeNull();
      });
    });

    it('a LayerNorm MLP starts as torch.nn.LayerNorm does (gain 1, bias 0) and its rows are normalised', () => {
      tf.tidy(() => {
        const net = new MLP({ inDim: 5, hidden: [16], outDim: 2, layerNorm: true, activation: 'linear' });
        const params = net.init(1);
        expect(Array.from(params[2].dataSync()).every((v) => v === 1)).toBe(true);
        expect(Array.from(params[3].dataSync()).every((v) => v === 0)).toBe(true);
        // without LayerNorm the same seed gives the same W and b as before LayerNorm existed
        const plain = new MLP({ inDim: 5, hidden: [16], outDim: 2 }).init(1);
        expect(Array.from(plain[0].dataSync())).toEqual(Array.from(params[0].dataSync()));
        expect(Array.from(plain[2].dataSync())).toEqual(Array.from(params[4].dataSync()));
        const { cache } = net.forward(params, tf.mul(rand([40, 5], 2), 10));
        const h = (cache as { ys: tf.Tensor[] }).ys[0];
        const { mean, variance } = tf.moments(h, -1);
        expect(Math.max(...Array.from(tf.abs(mean).dataSync()))).toBeLessThan(1e-4);
        expect(Math.max(...Array.from(tf.abs(tf.sub(variance, 1)).dataSync()))).toBeLessThan(1e-3);
      });
    });

    it('an MLP deeper than the native kernels take (33 layers) runs layer by layer, and matches autodiff', () => {
      tf.tidy(() => {
        const net = new MLP({ inDim: 3, hidden: new Array(32).fill(4), outDim: 2, activation: 'tanh', ensemble: 2 });
        const params = net.init(8);
        const x = rand([5, 3], 80);
        const dy = rand([2, 5, 2], 81);
        const ref = (xx: tf.Tensor, ...ps: tf.Tensor[]) => referenceMlp(ps, xx, { ensemble: 2, act: 'tanh' });
        const { y, cache } = net.forward(params, x);
        expect(relErr(y.dataSync(), ref(x, ...params).dataSync())).toBeLessThan(TOL);
        const mine = net.backward(params, cache, dy, { dx: true, params: true });
        const want = vjp(ref, [x, ...params], dy);
        [mine.dx!, ...mine.dParams!].forEach((g, j) => expect(relErr(g.dataSync(), want[j].dataSync())).toBeLessThan(TOL));
      });
    });

    it.each(['relu', 'tanh', 'sigmoid', 'elu', 'linear'] as const)('one-layer MLP (%s) matches autodiff', (act) => {
      const net = new MLP({ inDim: 4, hidden: [], outDim: 6, outActivation: act });
      const params = net.init(3);
      const x = rand([9, 4], 3);
      const dy = rand([9, 6], 4);
      const ref = (xx: tf.Tensor, ...ps: tf.Tensor[]) => referenceMlp(ps, xx, { outAct: act });
      const { cache } = net.forward(params, x);
      const mine = net.backward(params, cache, dy, { dx: true, params: true });
      const want = vjp(ref, [x, ...params], dy);
      [mine.dx!, ...mine.dParams!].forEach((g, j) => expect(relErr(g.dataSync(), want[j].dataSync())).toBeLessThan(TOL));
    });

    it('tanh-Gaussian sample, log-prob and their backward match the same math in tfjs ops', () => {
      const A = 3;
      const [lo, hi] = [-5, 2];
      const actor = new TanhGaussianActor({ inDim: 1, actDim: A, hidden: [], logStdMin: lo, logStdMax: hi });
      const head = tf.mul(rand([20, 2 * A], 50), 2);
      const eps = tf.randomNormal([20, A], 0, 1, 'float32', 51);
      const dA = rand([20, A], 52);
      const dL = rand([20, 1], 53);
      const { action, logProb } = actor.sampleFrom(head, eps);
      const [refA, refL] = referenceGaussian(head, eps, lo, hi);
      expect(relErr(action.dataSync(), refA.dataSync())).toBeLessThan(TOL);
      expect(relErr(logProb.dataSync(), refL.dataSync())).toBeLessThan(TOL);
      const mine = actor.sampleBackward(dA, dL, head, eps);
      const [want] = tf.grads((h: tf.Tensor) => {
        const [a, l] = referenceGaussian(h, eps, lo, hi);
        return tf.add(tf.sum(tf.mul(a, dA)), tf.sum(tf.mul(l, dL)));
      })([head]);
      expect(mine.shape).toEqual([20, 2 * A]);
      expect(relErr(mine.dataSync(), want.dataSync())).toBeLessThan(TOL);
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
      const critic = new MLP({ inDim: 5, hidden: [8, 8], outDim: 1, ensemble: 2 });
      const params = critic.init(9);
      const x = rand([10, 5], 10);
      const both = critic.apply(params, x);
      const single = new MLP({ inDim: 5, hidden: [8, 8], outDim: 1 });
      for (let e = 0; e < 2; e++) {
        const pe = params.map((p) => tf.squeeze(tf.slice(p, [e, 0, 0], [1, -1, -1]), [0]));
        // plain layers take a rank-1 bias
        const fixed = pe.map((p, j) => (j % 2 === 1 ? tf.reshape(p, [-1]) : p));
        const one = single.apply(fixed, x);
        const mine = tf.squeeze(tf.slice(both, [e, 0, 0], [1, -1, -1]), [0]);
        expect(relErr(mine.dataSync(), one.dataSync())).toBeLessThan(TOL);
      }
    });

    it.each([
      [2, false, 32],
      [3, false, 32],
      [5, false, 70],
      [2, true, 70],
      [3, true, 32],
    ])('one SAC update applies the gradients of its losses as tfjs differentiates them (%i critics, LayerNorm %s, %i rows)', (E, layerNorm, B) => {
      // Adam's first moment after one step from zero is (1 - beta1) g, so each optimizer's state
      // holds 0.1 x the gradient it applied. The reference differentiates CleanRL's losses, in
      // plain ops, at the parameters each step saw; with more than two critics the targets and the
      // actor take the minimum over all of them.
      const OBS = 6, A = 2, K = 3, seed = 4;
      const sac = new Sac({ obsDim: OBS, actDim: A, numTasks: K, hidden: [16, 16], seed, numCritics: E, layerNorm });
      expect(sac.criticParams[0].shape[0]).toBe(E);
      expect(sac.actorParams.length).toBe(layerNorm ? 10 : 6);
      const hp = sac.hp;
      const snap = (vs: tf.Tensor[]) => vs.map((v) => v.clone());
      const actor0 = snap(sac.actorParams);
      const critic0 = snap(sac.criticParams);
      const target0 = snap(sac.criticTarget);
      const batch: SacBatch = {
        obs: rand([B, OBS], 70) as tf.Tensor2D,
        action: rand([B, A], 71) as tf.Tensor2D,
        reward: rand([B, 1], 72) as tf.Tensor2D,
        nextObs: rand([B, OBS], 73) as tf.Tensor2D,
        terminated: tf.cast(tf.greater(rand([B, 1], 74), 0.6), 'float32') as tf.Tensor2D,
        task: tf.tensor1d(Array.from({ length: B }, (_, i) => (i * 7) % K), 'int32'),
      };
      // the update's three noise draws (Sac.noise: a seeded stream)
      const noise = (k: number) => policyNoise(seed * 1_000_003 + 17 + k, B, A);
      sac.update(batch);
      const st = sac.getState();
      const m = (arrs: Float32Array[]) => arrs.map((a) => Array.from(a, (v) => v / (1 - hp.adamBeta1)));
      const flat = (ts: tf.Tensor[]) => ts.flatMap((t) => Array.from(t.dataSync()));
      const alphaRows = tf.reshape(tf.gather(tf.exp(tf.zeros([K])), batch.task), [B, 1]); // log alpha starts at 0
      const actor = (ps: tf.Tensor[], obs: tf.Tensor, eps: tf.Tensor) => referenceGaussian(referenceMlp(ps, obs, { layerNorm }), eps, hp.logStdMin, hp.logStdMax);
      const critic = (ps: tf.Tensor[], obs: tf.Tensor, act: tf.Tensor) => referenceMlp(ps, tf.concat([obs, act], 1), { ensemble: E, layerNorm });

      // critic: sum over critics of mean (q - y)^2, y from the target critics
      const [a2, lp2] = actor(actor0, batch.nextObs, noise(1));
      const y = tf.add(batch.reward, tf.mul(tf.mul(tf.sub(1, batch.terminated), hp.gamma), tf.sub(tf.min(critic(target0, batch.nextObs, a2), 0), tf.mul(alphaRows, lp2))));
      const gCritic = tf.grads((...ps: tf.Tensor[]) => tf.mul(tf.mean(tf.squaredDifference(critic(ps, batch.obs, batch.action), y)), E))(critic0);
      // actor: mean(alpha log pi - min Q), through the critics after their step
      const critic1 = sac.criticParams.map((p) => p.clone());
      const gActor = tf.grads((...ps: tf.Tensor[]) => {
        const [a, lp] = actor(ps, batch.obs, noise(2));
        return tf.mean(tf.sub(tf.mul(alphaRows, lp), tf.min(critic(critic1, batch.obs, a), 0)));
      })(actor0);
      // temperature: mean(-alpha[task] (log pi + target entropy)), log pi from the updated actor
      const [, lp3] = actor(sac.actorParams, batch.obs, noise(3));
      // (alpha per row as one-hot x alpha: gather's gradient has no wasm kernel)
      const oneHot = tf.cast(tf.oneHot(batch.task, K), 'float32');
      const [gAlpha] = tf.grads((la: tf.Tensor) => tf.mean(tf.mul(tf.neg(tf.matMul(oneHot, tf.reshape(tf.exp(la), [K, 1]))), tf.add(lp3, sac.targetEntropy))))([tf.zeros([K])]);

      expect(relErr(m(st.optimizers.critic.m).flat(), flat(gCritic))).toBeLessThan(1e-3);
      expect(relErr(m(st.optimizers.actor.m).flat(), flat(gActor))).toBeLessThan(1e-3);
      expect(relErr(m(st.optimizers.alpha.m).flat(), flat([gAlpha]))).toBeLessThan(1e-3);
      tf.dispose([...actor0, ...critic0, ...target0, ...critic1, ...Object.values(batch)]);
      sac.dispose();
    });

    it("the actor's Q-filtered behaviour cloning on demonstration rows adds the gradient tfjs finds for it", () => {
      // Actor loss + bcWeight * mean|min Q(s, a~)| * sum over demo rows that pass the filter of
      // |tanh(mu) - a|^2 / (demo rows), the scale and the filter held constant; the filter passes
      // where the critics before their step rate the batch's action above the critics after their
      // step rate the policy's sample.
      const OBS = 6, A = 2, K = 2, seed = 5, B = 48, bcWeight = 0.7;
      const sac = new Sac({ obsDim: OBS, actDim: A, numTasks: K, hidden: [16, 16], seed, bcWeight });
      const hp = sac.hp;
      const actor0 = sac.actorParams.map((v) => v.clone());
      const critic0 = sac.criticParams.map((v) => v.clone());
      const demo = tf.tensor2d(Array.from({ length: B }, (_, i) => (i % 3 === 0 ? 1 : 0)), [B, 1]);
      const batch: SacBatch = {
        obs: rand([B, OBS], 80) as tf.Tensor2D,
        action: tf.tanh(rand([B, A], 81)) as tf.Tensor2D,
        reward: rand([B, 1], 82) as tf.Tensor2D,
        nextObs: rand([B, OBS], 83) as tf.Tensor2D,
        terminated: tf.zeros([B, 1]) as tf.Tensor2D,
        task: tf.tensor1d(Array.from({ length: B }, (_, i) => i % K), 'int32'),
        demo,
      };
      const noise = (k: number) => policyNoise(seed * 1_000_003 + 17 + k, B, A);
      const critic = (ps: tf.Tensor[], obs: tf.Tensor, act: tf.Tensor) => referenceMlp(ps, tf.concat([obs, act], 1), { ensemble: 2 });
      sac.update(batch);
      const critic1 = sac.criticParams.map((p) => p.clone());
      const alphaRows = tf.ones([B, 1]);
      const [aPi] = referenceGaussian(referenceMlp(actor0, batch.obs), noise(2), hp.logStdMin, hp.logStdMax);
      const minPi = tf.min(critic(critic1, batch.obs, aPi), 0);
      const mask = tf.mul(demo, tf.cast(tf.greater(tf.min(critic(critic0, batch.obs, batch.action), 0), minPi), 'float32'));
      const passed = mask.sum().dataSync()[0];
      // The filter must neither pass nor block everything here, or the test would check less.
      expect(passed).toBeGreaterThan(0);
      expect(passed).toBeLessThan(B / 3);
      const scale = tf.div(tf.mul(tf.mean(tf.abs(minPi)), bcWeight), tf.sum(demo));
      const gActor = tf.grads((...ps: tf.Tensor[]) => {
        const [a, lp] = referenceGaussian(referenceMlp(ps, batch.obs), noise(2), hp.logStdMin, hp.logStdMax);
        const rl = tf.mean(tf.sub(tf.mul(alphaRows, lp), tf.min(critic(critic1, batch.obs, a), 0)));
        const mu = tf.slice(referenceMlp(ps, batch.obs), [0, 0], [B, A]);
        const bc = tf.mul(scale, tf.sum(tf.mul(mask, tf.sum(tf.square(tf.sub(tf.tanh(mu), batch.action)), 1, true))));
        return tf.add(rl, bc);
      })(actor0);
      const st = sac.getState();
      const m = st.optimizers.actor.m.flatMap((a) => Array.from(a, (v) => v / (1 - hp.adamBeta1)));
      expect(relErr(m, gActor.flatMap((t) => Array.from(t.dataSync())))).toBeLessThan(1e-3);
      tf.dispose([...actor0, ...critic0, ...critic1, ...Object.values(batch), ...gActor]);
      sac.dispose();
    });
  });
}
