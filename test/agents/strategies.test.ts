// The multi-task strategies of the SAC update: soft parameter sharing's penalty (against autodiff
// and finite differences, and as the update applies it) and PCGrad (a two-task case worked by hand,
// and the update's per-task surgery against per-task gradients from tfjs).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConditionedNet } from '../../agents/nn/conditioned.ts';
import { pcgrad, shuffledOrder } from '../../agents/sac/pcgrad.ts';
import { PCGRAD_STREAM, policyNoise, Sac, type SacBatch } from '../../agents/sac/update.ts';
import { Rng } from '../../sim/rng.ts';
import { addon, rand, relErr, useBackend } from '../tensor/helpers.ts';
import { referenceGaussian, referenceMlp } from '../tensor/reference.ts';

beforeAll(async () => {
  await useBackend('cpu', false);
});

const K = 3;
const softNet = (lambda: number, ensemble = 2) =>
  new ConditionedNet({ arch: 'soft', descriptor: 'onehot', numTasks: K, metaDim: 4, featureDim: 5, hidden: [8, 6], outDim: 1, ensemble, softLambda: lambda });

describe('soft parameter sharing', () => {
  it("the penalty is lambda sum_t |theta_t - mean theta|^2 per ensemble member, and its gradient tfjs's", () => {
    const lambda = 0.3;
    const net = softNet(lambda);
    const params = net.init(5);
    const E = 2;
    // The penalty in plain ops: members e*K + k, the mean over k within each e.
    const plain = (...ps: tf.Tensor[]) =>
      tf.addN(ps.map((p) => {
        const v = tf.reshape(p, [E, K, -1]);
        return tf.mul(tf.sum(tf.square(tf.sub(v, tf.mean(v, 1, true)))), lambda);
      })) as tf.Scalar;
    const mine = net.penalty!(params);
    expect(relErr(mine.loss.dataSync(), plain(...params).dataSync())).toBeLessThan(1e-5);
    const want = tf.grads(plain)(params);
    mine.dParams.forEach((g, j) => {
      expect(g.shape).toEqual(params[j].shape);
      expect(relErr(g.dataSync(), want[j].dataSync())).toBeLessThan(1e-5);
    });
    // and a few finite-difference probes (the penalty is quadratic: central differences are exact up to rounding)
    const eps = 1e-2;
    for (const [j, i] of [[0, 3], [1, 7], [2, 11], [5, 0]] as const) {
      const at = (d: number) => {
        const ps = params.map((p, q) => (q === j ? tf.add(p, tf.mul(tf.oneHot([i], p.size).reshape(p.shape), d)) : p));
        return net.penalty!(ps).loss.dataSync()[0];
      };
      const fd = (at(eps) - at(-eps)) / (2 * eps);
      expect(Math.abs(fd - mine.dParams[j].dataSync()[i])).toBeLessThan(1e-3 + 1e-3 * Math.abs(fd));
    }
    // identical task networks cost nothing
    const tied = params.map((p) => tf.tile(tf.slice(tf.reshape(p, [E, K, -1]), [0, 0, 0], [E, 1, -1]), [1, K, 1]).reshape(p.shape));
    expect(net.penalty!(tied).loss.dataSync()[0]).toBeLessThan(1e-10); // (the mean's rounding)
    // lambda 0 is `independent`
    expect(softNet(0).penalty!(params).loss.dataSync()[0]).toBe(0);
  });

  it('one SAC update adds the penalty gradient to the critic and the actor gradients', () => {
    // Adam's first moment after one step from zero is (1 - beta1) g: the applied gradients of two
    // updates that differ only in lambda differ by 2 lambda (theta - mean theta) at the start. One
    // network's lambda at a time: the actor step goes through the critics as just updated, so a
    // critic penalty would change the actor's gradient too.
    const run = (criticLambda: number, actorLambda: number) => {
      const mk = (outDim: number, ensemble: number, featureDim: number, softLambda: number) =>
        new ConditionedNet({ arch: 'soft', descriptor: 'onehot', numTasks: K, metaDim: 4, featureDim, hidden: [8, 6], outDim, ensemble, softLambda });
      const sac = new Sac({ obsDim: 4 + K + 3, actDim: 2, numTasks: K, seed: 2, actorNet: mk(4, 1, 3, actorLambda), criticNet: mk(1, 2, 5, criticLambda) });
      const batch = batchOf(12, 4 + K + 3, 2);
      const start = { critic: sac.criticParams.map((p) => p.clone()), actor: sac.actorParams.map((p) => p.clone()) };
      sac.update(batch);
      const st = sac.getState();
      return { sac, start, m: st.optimizers };
    };
    const lambda = 0.7;
    const none = run(0, 0);
    const runs = { critic: run(lambda, 0), actor: run(0, lambda) };
    for (const which of ['critic', 'actor'] as const) {
      const b = runs[which];
      const net = which === 'critic' ? b.sac.critic : b.sac.actor.net;
      const pen = net.penalty!(b.start[which]).dParams;
      b.m[which].m.forEach((mb, j) => {
        const diff = Array.from(mb, (v, i) => (v - none.m[which].m[j][i]) / 0.1);
        expect(relErr(diff, pen[j].dataSync()), `${which} parameter ${j}`).toBeLessThan(1e-5);
      });
    }
    for (const r of [none, runs.critic, runs.actor]) r.sac.dispose();
  });
});

/** A batch whose rows are in the packed layout [meta (4) | one-hot K | features]. */
function batchOf(B: number, obsDim: number, A: number, task = Array.from({ length: B }, (_, i) => (i * 5) % K)): SacBatch {
  const feats = rand([B, obsDim - 4 - K], 81);
  const obs = (f: tf.Tensor) => tf.concat([tf.zeros([B, 4]), tf.oneHot(tf.tensor1d(task, 'int32'), K).toFloat(), f], 1) as tf.Tensor2D;
  return {
    obs: obs(feats),
    action: rand([B, A], 82) as tf.Tensor2D,
    reward: rand([B, 1], 83) as tf.Tensor2D,
    nextObs: obs(rand([B, obsDim - 4 - K], 84)),
    terminated: tf.cast(tf.greater(rand([B, 1], 85), 0.6), 'float32') as tf.Tensor2D,
    task: tf.tensor1d(task, 'int32'),
  };
}

describe('PCGrad', () => {
  it('a two-task case worked by hand', () => {
    // g1 = (1, 0, 2), g2 = (-1, 1, 0): g1 . g2 = -1 < 0, a conflict.
    //   g1' = g1 - (g1 . g2 / |g2|^2) g2 = (1, 0, 2) - (-1 / 2)(-1, 1, 0) = (0.5, 0.5, 2)
    //   g2' = g2 - (g2 . g1 / |g1|^2) g1 = (-1, 1, 0) - (-1 / 5)(1, 0, 2) = (-0.8, 1, 0.4)
    //   sum = (-0.3, 1.5, 2.4); the plain sum would be (0, 1, 2).
    const g1 = Float32Array.of(1, 0, 2);
    const g2 = Float32Array.of(-1, 1, 0);
    for (const order of [[0, 1], [1, 0]]) {
      const out = Array.from(pcgrad([g1, g2], order));
      [-0.3, 1.5, 2.4].forEach((v, i) => expect(out[i]).toBeCloseTo(v, 6));
    }
    // each projected gradient no longer conflicts: g1' . g2 = -0.5 + 0.5 = 0, g2' . g1 = -0.8 + 0.8 = 0
    // No conflict (g1 . g3 = 1 + 4 > 0): the plain sum.
    expect(Array.from(pcgrad([g1, Float32Array.of(1, 1, 2)], [0, 1]))).toEqual([2, 1, 4]);
    // A zero gradient (a task without rows in the batch) changes nothing.
    expect(Array.from(pcgrad([g1, new Float32Array(3)], [1, 0]))).toEqual([1, 0, 2]);
  });

  it('with three tasks the order matters, and a seeded order repeats', () => {
    // g1 = (1, 0), g2 = (-1, 1), g3 = (-1, -1); every pair conflicts but g2 . g3 = 0.
    // Order [0, 1, 2]:
    //   g1: . g2 = -1 -> (1, 0) + 0.5 (-1, 1) = (0.5, 0.5); . g3 = -1 -> + 0.5 (-1, -1) = (0, 0)
    //   g2: . g1 = -1 -> (-1, 1) + (1, 0) = (0, 1);        . g3 = -1 -> + 0.5 (-1, -1) = (-0.5, 0.5)
    //   g3: . g1 = -1 -> (-1, -1) + (1, 0) = (0, -1);      . g2 = -1 -> + 0.5 (-1, 1) = (-0.5, -0.5)
    //   sum (-1, 0)
    // Order [2, 1, 0]:
    //   g1: . g3 = -1 -> (0.5, -0.5); . g2 = -1 -> (0, 0)
    //   g2: . g3 = 0, kept;           . g1 = -1 -> (0, 1)
    //   g3: . g2 = 0, kept;           . g1 = -1 -> (0, -1)
    //   sum (0, 0)
    const g = [Float32Array.of(1, 0), Float32Array.of(-1, 1), Float32Array.of(-1, -1)];
    const a = Array.from(pcgrad(g, [0, 1, 2]));
    const b = Array.from(pcgrad(g, [2, 1, 0]));
    [-1, 0].forEach((v, i) => expect(a[i]).toBeCloseTo(v, 6));
    [0, 0].forEach((v, i) => expect(b[i]).toBeCloseTo(v, 6));
    const o1 = shuffledOrder(5, new Rng(9, 3));
    expect([...o1].sort()).toEqual([0, 1, 2, 3, 4]);
    expect(shuffledOrder(5, new Rng(9, 3))).toEqual(o1);
  });

  // On the native kernels too (training's default backend), where the update's products and losses are native.
  const backends: ['cpu' | 'wasm', boolean][] = [['cpu', false], ...(addon ? [['wasm', true] as ['wasm', boolean]] : [])];
  it.each(backends)('the update projects per-task gradients of its critic and actor losses (against tfjs, task by task; %s, BLAS %s)', async (backend, blas) => {
    await useBackend(backend, blas);
    const OBS = 4 + K + 3, A = 2, B = 12, seed = 6;
    const sac = new Sac({ obsDim: OBS, actDim: A, numTasks: K, hidden: [16, 16], seed, pcgrad: true });
    const hp = sac.hp;
    const actor0 = sac.actorParams.map((p) => p.clone());
    const critic0 = sac.criticParams.map((p) => p.clone());
    const target0 = sac.criticTarget.map((p) => p.clone());
    // Rewards of opposite signs per task, so the tasks' critic gradients conflict.
    const batch = { ...batchOf(B, OBS, A), reward: tf.tensor2d(Array.from({ length: B }, (_, i) => [3, -3, 0][(i * 5) % K]), [B, 1]) };
    const noise = (k: number) => policyNoise(seed * 1_000_003 + 17 + k, B, A);
    sac.update(batch);
    const st = sac.getState();
    const E = hp.numCritics;
    const actor = (ps: tf.Tensor[], obs: tf.Tensor, eps: tf.Tensor) => referenceGaussian(referenceMlp(ps, obs), eps, hp.logStdMin, hp.logStdMax);
    const critic = (ps: tf.Tensor[], obs: tf.Tensor, act: tf.Tensor) => referenceMlp(ps, tf.concat([obs, act], 1), { ensemble: E });
    const alpha = Math.exp(hp.initLogAlpha);
    const rows = Array.from(batch.task.dataSync());
    const maskOf = (k: number) => tf.tensor2d(rows.map((t) => (t === k ? 1 : 0)), [B, 1]);
    const flat = (ts: tf.Tensor[]) => Float32Array.from(ts.flatMap((t) => Array.from(t.dataSync())));
    // The same losses as the update (sums over all rows / B), restricted to one task's rows.
    const [a2, lp2] = actor(actor0, batch.nextObs, noise(1));
    const y = tf.add(batch.reward, tf.mul(tf.mul(tf.sub(1, batch.terminated), hp.gamma), tf.sub(tf.min(critic(target0, batch.nextObs, a2), 0), tf.mul(alpha, lp2))));
    const criticTask = (k: number) => flat(tf.grads((...ps: tf.Tensor[]) => tf.div(tf.sum(tf.mul(tf.squaredDifference(critic(ps, batch.obs, batch.action), y), maskOf(k))), B))(critic0));
    const critic1 = sac.criticParams.map((p) => p.clone());
    const actorTask = (k: number) =>
      flat(tf.grads((...ps: tf.Tensor[]) => {
        const [a, lp] = actor(ps, batch.obs, noise(2));
        return tf.div(tf.sum(tf.mul(tf.sub(tf.mul(alpha, lp), tf.min(critic(critic1, batch.obs, a), 0)), maskOf(k))), B);
      })(actor0));
    // The order of each step: the Rng of the noise seed as it stood (one draw before the critic step, two before the actor's).
    const orderAt = (draws: number) => shuffledOrder(K, new Rng(seed * 1_000_003 + 17 + draws, PCGRAD_STREAM));
    const wantCritic = pcgrad([0, 1, 2].map(criticTask), orderAt(1));
    const wantActor = pcgrad([0, 1, 2].map(actorTask), orderAt(2));
    const applied = (ms: Float32Array[]) => Float32Array.from(ms.flatMap((m) => Array.from(m, (v) => v / (1 - hp.adamBeta1))));
    expect(relErr(applied(st.optimizers.critic.m), wantCritic)).toBeLessThan(1e-3);
    expect(relErr(applied(st.optimizers.actor.m), wantActor)).toBeLessThan(1e-3);
    // and surgery changed something: the plain sums differ
    const plainCritic = [0, 1, 2].map(criticTask).reduce((s, g) => s.map((v, i) => v + g[i]));
    expect(relErr(plainCritic, wantCritic)).toBeGreaterThan(1e-3);
    sac.dispose();
    await useBackend('cpu', false);
  });
});

describe('the strategies keep no tensors', () => {
  it('pcgrad and soft updates leave the live tensor count where it was', () => {
    const OBS = 4 + K + 3;
    const mk = (outDim: number, ensemble: number, featureDim: number) =>
      new ConditionedNet({ arch: 'soft', descriptor: 'onehot', numTasks: K, metaDim: 4, featureDim, hidden: [8, 6], outDim, ensemble, softLambda: 0.1 });
    const sacs = [
      new Sac({ obsDim: OBS, actDim: 2, numTasks: K, hidden: [16, 16], seed: 1, pcgrad: true }),
      new Sac({ obsDim: OBS, actDim: 2, numTasks: K, seed: 1, actorNet: mk(4, 1, 3), criticNet: mk(1, 2, 5) }),
    ];
    const batch = batchOf(12, OBS, 2);
    for (const sac of sacs) {
      sac.update(batch);
      const before = tf.memory().numTensors;
      for (let i = 0; i < 5; i++) sac.update(batch, { metrics: i === 4 });
      expect(tf.memory().numTensors).toBe(before);
      sac.dispose();
    }
  });
});
