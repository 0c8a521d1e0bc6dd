// Every conditioning architecture: the written-out backward equals tfjs's autodiff of the same
// architecture in plain ops, gradients reach every parameter and the input, outputs have the
// ensemble shape, per-task parts really are per task, and the descriptor choice is honoured.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ARCHS, ConditionedNet, DESCRIPTORS, packInputs, type Arch, type DescriptorKind } from '../../agents/nn/conditioned.ts';
import { addon, relErr, useBackend } from '../tensor/helpers.ts';
import { referenceMlp, vjp } from '../tensor/reference.ts';

const K = 3;
const META = 8;
const F = 6;
const B = 9;

beforeAll(async () => {
  await useBackend('cpu', false);
});

function inputs(seed: number): { x: tf.Tensor2D; task: Int32Array } {
  const task = Int32Array.from({ length: B }, (_, i) => i % K);
  const meta = new Float32Array(K * META);
  for (let t = 0; t < K; t++) meta[t * META + t] = 1, (meta[t * META + 5] = t / 2);
  const feats = Float32Array.from({ length: B * F }, (_, i) => Math.sin(seed + i * 1.7));
  return { x: tf.tensor2d(packInputs(feats, F, task, K, meta, META), [B, META + K + F]), task };
}

/**
 * Each architecture again in plain ops, from the layout of agents/nn/conditioned.ts (one MLP part
 * per entry of `parts`, in parameter order), for tfjs to differentiate.
 */
function reference(arch: Arch, descriptor: DescriptorKind, hidden: number[], E: number, params: tf.Tensor[], x: tf.Tensor, experts = 4, ln = false): tf.Tensor {
  const Bx = x.shape[0];
  const onehot = tf.slice(x, [0, META], [Bx, K]);
  const cond = descriptor === 'onehot' ? onehot : tf.slice(x, [0, 0], [Bx, META]);
  const features = tf.slice(x, [0, META + K], [Bx, x.shape[1]! - META - K]);
  let at = 0;
  // With LayerNorm, every MLP part normalises its hidden layers, and a trunk (whose output is a
  // hidden layer of the whole network) its output layer too.
  const part = (layers: number, input: tf.Tensor, ensemble: number, outAct: 'linear' | 'relu' | 'sigmoid' = 'linear', trunk = false) => {
    const count = (layers - 1) * (ln ? 4 : 2) + (ln && trunk ? 4 : 2);
    const ps = params.slice(at, at + count);
    at += count;
    return referenceMlp(ps, input, { ensemble, outAct, layerNorm: ln, outLayerNorm: ln && trunk });
  };
  const n = hidden.length;
  switch (arch) {
    case 'concat':
      return part(n + 1, tf.concat([cond, features], 1), E);
    case 'multihead': {
      const trunk = part(n, features, E, 'relu', true);
      const heads = part(1, trunk, E); // [E, B, K*out]
      const out = heads.shape[2]! / K;
      return tf.sum(tf.mul(tf.reshape(heads, [E, Bx, K, out]), tf.reshape(onehot, [1, Bx, K, 1])), 2);
    }
    case 'gated': {
      const ps = params.slice(params.length - 2); // the gate network comes last
      const gates = tf.split(referenceMlp(ps, cond, { ensemble: E, outAct: 'sigmoid' }), hidden, 2);
      let h = features;
      for (let l = 0; l < n; l++) h = tf.mul(part(1, h, E, 'relu', true), gates[l]);
      return part(1, h, E);
    }
    case 'moe': {
      const ex = part(n, features, E * experts, 'relu', true);
      const w = tf.softmax(part(1, cond, E)); // [E, B, M]
      const mixed = tf.sum(tf.mul(tf.reshape(ex, [E, experts, Bx, hidden[n - 1]]), tf.reshape(tf.transpose(w, [0, 2, 1]), [E, experts, Bx, 1])), 1);
      return part(1, mixed, E);
    }
    case 'independent':
    case 'soft': { // soft's networks are independent's; its penalty is tested in strategies.test.ts
      const y = part(n + 1, features, E * K);
      const out = y.shape[2]!;
      return tf.sum(tf.mul(tf.reshape(y, [E, K, Bx, out]), tf.reshape(tf.transpose(onehot), [1, K, Bx, 1])), 1);
    }
  }
}

const backends: [('cpu' | 'wasm'), boolean][] = [['cpu', false], ...(addon ? [['wasm', true] as ['wasm', boolean]] : [])];
for (const [backend, blas] of backends) {
  describe(`conditioned networks, backward against autodiff (${backend}${blas ? ' + BLAS' : ''})`, () => {
    beforeAll(async () => {
      await useBackend(backend, blas);
    });
    for (const arch of ARCHS) {
      const cases = [...DESCRIPTORS.map((d) => [d, false, 2] as const), ['onehot', true, 2] as const, ['onehot', false, 3] as const];
      for (const [descriptor, layerNorm, E] of cases) {
        it(`${arch} (${descriptor}${layerNorm ? ', LayerNorm' : ''}, ensemble of ${E})`, () => {
          const hidden = [16, 12];
          const net = new ConditionedNet({ arch, descriptor, numTasks: K, metaDim: META, featureDim: F, hidden, outDim: 2, ensemble: E, layerNorm });
          // LayerNorm gains and biases away from 1 and 0, so every term of their gradients shows
          const params = net.init(1).map((p, j) => (layerNorm ? tf.add(p, tf.randomUniform(p.shape, -0.3, 0.3, 'float32', 40 + j)) : p));
          const { x } = inputs(0);
          const dy = tf.randomUniform([E, B, 2], -1, 1, 'float32', 9);
          const ref = (xx: tf.Tensor, ...ps: tf.Tensor[]) => reference(arch, descriptor, hidden, E, ps, xx, 4, layerNorm);
          const { y, cache } = net.forward(params, x);
          expect(y.shape).toEqual([E, B, 2]);
          expect(relErr(y.dataSync(), ref(x, ...params).dataSync())).toBeLessThan(1e-4);
          const mine = net.backward(params, cache, dy, { dx: true, params: true });
          const want = vjp(ref, [x, ...params], dy);
          expect(mine.dx!.shape).toEqual(x.shape);
          expect(relErr(mine.dx!.dataSync(), want[0].dataSync())).toBeLessThan(1e-4);
          expect(mine.dParams!.length).toBe(params.length);
          mine.dParams!.forEach((g, j) => {
            expect(g.shape).toEqual(params[j].shape);
            expect(relErr(g.dataSync(), want[1 + j].dataSync())).toBeLessThan(1e-4);
            // every parameter takes part
            expect(tf.max(tf.abs(g)).dataSync()[0]).toBeGreaterThan(0);
          });
          // the parts asked for, and only those
          const onlyDx = net.backward(params, cache, dy, { dx: true, params: false });
          expect(onlyDx.dParams).toBeNull();
          expect(relErr(onlyDx.dx!.dataSync(), want[0].dataSync())).toBeLessThan(1e-4);
          expect(net.backward(params, cache, dy, { dx: false, params: true }).dx).toBeNull();
        });
      }
    }
  });
}

describe('conditioned networks', () => {
  beforeAll(async () => {
    await useBackend('cpu', false);
  });

  it('the input gradient agrees with finite differences (multihead, feature columns)', () => {
    const net = new ConditionedNet({ arch: 'multihead', descriptor: 'onehot', numTasks: K, metaDim: META, featureDim: F, hidden: [16, 16], outDim: 1, ensemble: 2 });
    const params = net.init(1);
    const { x } = inputs(0);
    const f = (xb: number[][]) => tf.sum(net.apply(params, tf.tensor2d(xb))).dataSync()[0];
    const { y, cache } = net.forward(params, x);
    const dx = net.backward(params, cache, tf.onesLike(y), { dx: true, params: false }).dx!;
    // A ReLU kink between x - eps and x + eps can spoil a few probes, so a majority must agree.
    const eps = 1e-3;
    const xa = x.arraySync();
    const dxa = dx.arraySync() as number[][];
    let agree = 0;
    const probes = 12;
    for (let k = 0; k < probes; k++) {
      const i = (k * 5) % B;
      const c = META + K + (k % F);
      const up = xa.map((r) => r.slice());
      const dn = xa.map((r) => r.slice());
      up[i][c] += eps;
      dn[i][c] -= eps;
      const fd = (f(up) - f(dn)) / (2 * eps);
      if (Math.abs(fd - dxa[i][c]) <= 5e-3 + 0.05 * Math.abs(fd)) agree++;
    }
    expect(agree).toBeGreaterThanOrEqual(probes - 2);
  });

  const perTask: Arch[] = ['multihead', 'independent'];
  for (const arch of perTask) {
    it(`${arch}: changing task 2's own parameters leaves the outputs of tasks 0 and 1 alone`, () => {
      const net = new ConditionedNet({ arch, descriptor: 'onehot', numTasks: K, metaDim: META, featureDim: F, hidden: [16, 16], outDim: 2, ensemble: 1 });
      const params = net.init(2);
      const { x, task } = inputs(1);
      const before = net.apply(params, x).arraySync() as number[][][];
      // Task 2's own parameters: ensemble member 2 of every layer (independent), or the head
      // columns 2*out .. 3*out of the last layer (multihead).
      const changed = params.map((p, j) => {
        if (arch === 'independent') return tf.add(p, tf.mul(tf.reshape(tf.oneHot([2], K).toFloat(), [K, 1, 1]), 0.5));
        if (j < params.length - 2) return p;
        const cols = p.shape[p.rank - 1];
        const mask = tf.reshape(tf.range(0, cols).div(2).floor().equal(2).toFloat(), [...new Array(p.rank - 1).fill(1), cols]);
        return tf.add(p, tf.mul(mask, 0.5));
      });
      const after = net.apply(changed, x).arraySync() as number[][][];
      for (let i = 0; i < B; i++) {
        const same = after[0][i].every((v, k) => v === before[0][i][k]);
        expect(same).toBe(task[i] !== 2);
      }
    });
  }

  it('concat with a descriptor vector (metadata or language) reads it; with the one-hot it ignores it', () => {
    for (const descriptor of DESCRIPTORS) {
      const net = new ConditionedNet({ arch: 'concat', descriptor, numTasks: K, metaDim: META, featureDim: F, hidden: [8], outDim: 1, ensemble: 1 });
      const params = net.init(3);
      const { x } = inputs(2);
      const y0 = net.apply(params, x).dataSync();
      const xm = x.arraySync();
      for (const row of xm) for (let c = 0; c < META; c++) row[c] += 1; // perturb the descriptor vector only
      const y1 = net.apply(params, tf.tensor2d(xm)).dataSync();
      const changed = Array.from(y0).some((v, i) => v !== y1[i]);
      expect(changed).toBe(descriptor !== 'onehot');
    }
  });

  it('refuses unknown architectures and descriptors by name', () => {
    expect(() => new ConditionedNet({ arch: 'film' as never, descriptor: 'onehot', numTasks: 1, metaDim: 8, featureDim: 2, hidden: [4], outDim: 1, ensemble: 1 })).toThrow(/unknown architecture "film"; known: concat, multihead, gated, moe, independent/);
    expect(() => new ConditionedNet({ arch: 'concat', descriptor: 'text' as never, numTasks: 1, metaDim: 8, featureDim: 2, hidden: [4], outDim: 1, ensemble: 1 })).toThrow(/unknown descriptor/);
  });
});
