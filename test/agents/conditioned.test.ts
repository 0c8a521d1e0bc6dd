// Every conditioning architecture: gradients reach every parameter and the input, outputs have the
// ensemble shape, per-task parts really are per task, and the descriptor choice is honoured.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ARCHS, ConditionedNet, DESCRIPTORS, packInputs, type Arch } from '../../agents/nn/conditioned.ts';
import { useBackend } from '../tensor/helpers.ts';

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

describe('conditioned networks', () => {
  for (const arch of ARCHS) {
    for (const descriptor of DESCRIPTORS) {
      it(`${arch} (${descriptor}): gradients reach every parameter and the input`, () => {
        const net = new ConditionedNet({ arch, descriptor, numTasks: K, metaDim: META, featureDim: F, hidden: [16, 16], outDim: 2, ensemble: 2 });
        const params = net.init(1).map((t) => tf.variable(t));
        const { x } = inputs(0);
        const y = net.apply(params, x);
        expect(y.shape).toEqual([2, B, 2]);
        const { grads } = tf.variableGrads(() => tf.sum(tf.square(net.apply(params, x))) as tf.Scalar, params);
        for (const p of params) {
          const g = grads[p.name];
          expect(g.shape).toEqual(p.shape);
          expect(Number.isFinite(tf.sum(g).dataSync()[0])).toBe(true);
          expect(tf.max(tf.abs(g)).dataSync()[0]).toBeGreaterThan(0);
        }
        // input gradient (critics pass it to the actor through the action columns)
        const dx = tf.grad((xx: tf.Tensor) => tf.sum(net.apply(params, xx, { gradInput: true, gradParams: false })))(x);
        const featGrad = tf.slice(dx, [0, META + K], [B, F]);
        expect(tf.max(tf.abs(featGrad)).dataSync()[0]).toBeGreaterThan(0);
        // Finite differences agree on most input entries (a ReLU kink between x - eps and x + eps
        // can spoil a few, so a majority is required rather than all).
        const eps = 1e-3;
        const xa = x.arraySync();
        const dxa = dx.arraySync() as number[][];
        const f = (xb: number[][]) => tf.sum(net.apply(params, tf.tensor2d(xb), { gradParams: false })).dataSync()[0];
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
    }
  }

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

  it('concat with the metadata descriptor ignores the one-hot; with the one-hot it ignores the metadata', () => {
    for (const descriptor of DESCRIPTORS) {
      const net = new ConditionedNet({ arch: 'concat', descriptor, numTasks: K, metaDim: META, featureDim: F, hidden: [8], outDim: 1, ensemble: 1 });
      const params = net.init(3);
      const { x } = inputs(2);
      const y0 = net.apply(params, x).dataSync();
      const xm = x.arraySync();
      for (const row of xm) for (let c = 0; c < META; c++) row[c] += 1; // perturb metadata only
      const y1 = net.apply(params, tf.tensor2d(xm)).dataSync();
      const changed = Array.from(y0).some((v, i) => v !== y1[i]);
      expect(changed).toBe(descriptor === 'metadata');
    }
  });

  it('refuses unknown architectures and descriptors by name', () => {
    expect(() => new ConditionedNet({ arch: 'film' as never, descriptor: 'onehot', numTasks: 1, metaDim: 8, featureDim: 2, hidden: [4], outDim: 1, ensemble: 1 })).toThrow(/unknown architecture "film"; known: concat, multihead, gated, moe, independent/);
    expect(() => new ConditionedNet({ arch: 'concat', descriptor: 'text' as never, numTasks: 1, metaDim: 8, featureDim: 2, hidden: [4], outDim: 1, ensemble: 1 })).toThrow(/unknown descriptor/);
  });
});
