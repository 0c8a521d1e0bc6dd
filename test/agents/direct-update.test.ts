// The direct SAC update (agents/sac/direct.ts) against update.ts's tfjs ops: the same parameters,
// target critics, moments and temperatures after several updates, bit for bit (within an ulp-sized
// tolerance with behaviour cloning, whose few elementwise ops round differently), on the networks
// it runs (plain MLPs, multihead) and on wasm and cpu; where it does not apply, the tfjs path runs.
import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { addon, requireBlas, useBackend, withStock } from '../tensor/helpers.ts';
import { Sac, type SacBatch, type SacConfig, type SacMetrics, type SacState } from '../../agents/sac/update.ts';
import { ConditionedNet, type Arch } from '../../agents/nn/conditioned.ts';
import type { NativeBackend } from '../../agents/tensor/kernels.ts';
import { Rng } from '../../sim/rng.ts';

const OBS_META = 3;
const K = 3;
const STATE = 7;
const A = 2;

function batchOf(B: number, obsDim: number, seed: number, demo: boolean): SacBatch {
  const rng = new Rng(seed, 0xd1);
  const normal = (n: number) => {
    const a = new Float32Array(n);
    rng.fillNormal(a);
    return a;
  };
  const task = Int32Array.from({ length: B }, (_, i) => (i * 5 + seed) % K);
  // Conditioned networks read [descriptor | one-hot | state]: put a real one-hot where it belongs.
  const obs = (v: Float32Array) => {
    for (let r = 0; r < B; r++) for (let k = 0; k < K; k++) v[r * obsDim + OBS_META + k] = k === task[r] ? 1 : 0;
    return tf.tensor2d(v, [B, obsDim]);
  };
  return {
    obs: obs(normal(B * obsDim)),
    action: tf.tensor2d(normal(B * A).map(Math.tanh), [B, A]),
    reward: tf.tensor2d(normal(B), [B, 1]),
    nextObs: obs(normal(B * obsDim)),
    terminated: tf.tensor2d(Float32Array.from({ length: B }, (_, i) => (i % 7 === 0 ? 1 : 0)), [B, 1]),
    task: tf.tensor1d(task, 'int32'),
    demo: demo ? tf.tensor2d(Float32Array.from({ length: B }, (_, i) => (i % 2 === 0 ? 1 : 0)), [B, 1]) : undefined,
  };
}

function flat(st: SacState): Float32Array {
  const parts = [...st.actor, ...st.critic, ...st.criticTarget, st.logAlpha, ...st.optimizers.actor.m, ...st.optimizers.actor.v, ...st.optimizers.critic.m, ...st.optimizers.critic.v, ...st.optimizers.alpha.m, ...st.optimizers.alpha.v];
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

interface Case {
  name: string;
  arch: Arch | null;
  layerNorm: boolean;
  bcWeight: number;
  critics: number;
}

const CASES: Case[] = [
  { name: 'plain MLPs', arch: null, layerNorm: false, bcWeight: 0, critics: 2 },
  { name: 'plain MLPs, LayerNorm, 3 critics', arch: null, layerNorm: true, bcWeight: 0, critics: 3 },
  { name: 'multihead', arch: 'multihead', layerNorm: false, bcWeight: 0, critics: 2 },
  { name: 'concat (one-hot)', arch: 'concat', layerNorm: false, bcWeight: 0, critics: 2 },
  { name: 'multihead, LayerNorm, behaviour cloning', arch: 'multihead', layerNorm: true, bcWeight: 0.5, critics: 2 },
];

function makeSac(c: Case, direct: boolean, extra: Partial<SacConfig> = {}): Sac {
  const base = { actDim: A, numTasks: K, hidden: [16, 16], seed: 3, numCritics: c.critics, layerNorm: c.layerNorm, bcWeight: c.bcWeight, direct, ...extra };
  if (!c.arch) return new Sac({ ...base, obsDim: OBS_META + K + STATE });
  const common = { arch: c.arch, descriptor: 'onehot' as const, numTasks: K, metaDim: OBS_META, hidden: [16, 16], layerNorm: c.layerNorm };
  const actorNet = new ConditionedNet({ ...common, featureDim: STATE, outDim: 2 * A, ensemble: 1 });
  const criticNet = new ConditionedNet({ ...common, featureDim: STATE + A, outDim: 1, ensemble: c.critics });
  return new Sac({ ...base, obsDim: actorNet.inDim, actorNet, criticNet });
}

const backends: NativeBackend[] = addon ? ['wasm', 'cpu'] : [];

describe('direct SAC update', () => {
  it('has the native kernels to run on where CI installs OpenBLAS', () => {
    if (requireBlas) expect(addon).not.toBeNull();
  });

  for (const backend of backends) {
    describe(`on ${backend} + BLAS`, () => {
      beforeAll(async () => {
        await useBackend(backend, true);
      });

      it.each(CASES)('equals the tfjs path after 5 updates ($name)', (c) => {
        const direct = makeSac(c, true);
        const ops = makeSac(c, false);
        expect((direct as unknown as { directUpdate(): unknown }).directUpdate()).not.toBeNull();
        const metrics: [unknown, unknown][] = [];
        for (let i = 0; i < 5; i++) {
          const batch = batchOf(24, direct.obsDim, i, c.bcWeight > 0);
          metrics.push([direct.update(batch, { metrics: true }), ops.update(batch, { metrics: true })]);
          tf.dispose(Object.values(batch).filter((t): t is tf.Tensor => t !== undefined));
        }
        const a = flat(direct.getState());
        const b = flat(ops.getState());
        expect(direct.updates).toBe(5);
        expect(direct.actorOpt.steps).toBe(5);
        if (c.bcWeight === 0) {
          expect(a).toEqual(b);
          // The same losses; alpha = exp(log alpha) in double here, in float32 in tfjs.
          const [m1, m2] = metrics[4] as [SacMetrics, SacMetrics];
          expect({ ...m1, alpha: [] }).toEqual({ ...m2, alpha: [] });
          m1.alpha.forEach((v, i) => expect(v).toBeCloseTo(m2.alpha[i], 6));
        } else {
          let worst = 0;
          for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1e-3, Math.abs(b[i])));
          expect(worst).toBeLessThan(1e-3);
        }
        direct.dispose();
        ops.dispose();
      });

      it('leaves tensors that shared the parameters\' memory (clones) as they were', () => {
        const sac = makeSac(CASES[0], true);
        const before = sac.actorParams.map((p) => p.clone());
        const values = before.map((t) => t.dataSync().slice());
        const batch = batchOf(16, sac.obsDim, 1, false);
        sac.update(batch);
        before.forEach((t, i) => expect(t.dataSync()).toEqual(values[i]));
        expect(sac.actorParams[0].dataSync()).not.toEqual(values[0]);
        // The target critics started as clones of the critics: they moved by tau only.
        const st = sac.getState();
        expect(st.criticTarget[0]).not.toEqual(st.critic[0]);
        tf.dispose([...before, ...Object.values(batch).filter((t): t is tf.Tensor => t !== undefined)]);
        sac.dispose();
      });

      it('resumes from a state bit for bit as the tfjs path does', () => {
        const c = CASES[2];
        const first = makeSac(c, true);
        const batch = batchOf(16, first.obsDim, 2, false);
        first.update(batch);
        const saved = first.getState();
        const direct = makeSac(c, true);
        const ops = makeSac(c, false);
        direct.setState(saved);
        ops.setState(saved);
        direct.update(batch);
        ops.update(batch);
        expect(flat(direct.getState())).toEqual(flat(ops.getState()));
        // setState copied the arrays: updating in place did not write into them.
        expect(flat(first.getState())).toEqual(flat(saved));
        tf.dispose(Object.values(batch).filter((t): t is tf.Tensor => t !== undefined));
        for (const s of [first, direct, ops]) s.dispose();
      });

      it('moves to the tfjs ops when the native kernels are switched off, and back', () => {
        const sac = makeSac(CASES[2], true);
        const batch = batchOf(16, sac.obsDim, 3, false);
        sac.update(batch);
        withStock(backend, () => sac.update(batch));
        sac.update(batch);
        expect(sac.updates).toBe(3);
        expect(sac.actorOpt.steps).toBe(3);
        expect(flat(sac.getState()).every(Number.isFinite)).toBe(true);
        tf.dispose(Object.values(batch).filter((t): t is tf.Tensor => t !== undefined));
        sac.dispose();
      });

      it.each<[string, Partial<SacConfig>, Arch | null]>([
        ['PCGrad', { pcgrad: true }, null],
        ['an architecture without a kernel form (gated)', {}, 'gated'],
      ])('is not used with %s (the tfjs path runs)', (_, extra, arch) => {
        const sac = makeSac({ ...CASES[0], arch }, true, extra);
        expect((sac as unknown as { directUpdate(): unknown }).directUpdate()).toBeNull();
        sac.dispose();
      });
    });
  }
});
