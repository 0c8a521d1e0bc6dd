// SAC's losses and their output gradients (agents/sac/losses.ts): the native kernels against the
// tfjs-op versions, and both against numbers worked out by hand.
import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { addon, useBackend, withStock, relErr, rand } from './helpers.ts';
import { actorLoss, alphaLoss, criticLoss, criticTarget } from '../../agents/sac/losses.ts';
import type { NativeBackend } from '../../agents/tensor/kernels.ts';

const TOL = 1e-5;
// (+ 0 turns the -0 of a tfjs product into 0)
const vals = (ts: tf.Tensor[]) => ts.map((t) => Array.from(t.dataSync(), (v) => v + 0));

const setups: [NativeBackend, boolean][] = addon ? [['wasm', true], ['cpu', true]] : [['wasm', false]];

for (const [backend, blas] of setups) {
  describe(`SAC losses on ${backend}${blas ? ' + BLAS' : ''}`, () => {
    beforeAll(async () => {
      await useBackend(backend, blas);
    });
    // The native kernels where registered; the tfjs ops otherwise (or inside withStock).
    const both = <T>(f: () => T): [T, T] => [f(), blas ? withStock(backend, f) : f()];

    it('match each other on a random batch with ties between critics and a clip', () => {
      tf.tidy(() => {
        const B = 40, K = 5;
        const q = rand([2, B, 1], 1);
        const tied = tf.concat([tf.slice(q, [0, 0, 0], [1, B, 1]), tf.slice(q, [0, 0, 0], [1, B, 1])], 0); // every row tied
        const lp = rand([B, 1], 2);
        const logAlpha = rand([K], 3);
        const task = tf.tensor1d(Array.from({ length: B }, (_, i) => (i * 3) % K), 'int32');
        const r = rand([B, 1], 4);
        const d = tf.cast(tf.greater(rand([B, 1], 5), 0.5), 'float32');
        const y = rand([B, 1], 6);
        for (const clip of [null, [-0.5, 0.2] as [number, number]]) {
          const [a, b] = both(() => [criticTarget(q, lp, logAlpha, task, r, d, 0.9, clip)]);
          expect(relErr(a[0].dataSync(), b[0].dataSync())).toBeLessThan(TOL);
        }
        for (const qq of [q, tied]) {
          const [c1, c2] = both(() => criticLoss(qq, y));
          expect(relErr(c1.dq.dataSync(), c2.dq.dataSync())).toBeLessThan(TOL);
          expect(relErr(c1.stats.dataSync(), c2.stats.dataSync())).toBeLessThan(TOL);
          const [a1, a2] = both(() => actorLoss(qq, lp, logAlpha, task));
          for (const [u, v] of [[a1.dq, a2.dq], [a1.dLogProb, a2.dLogProb], [a1.loss, a2.loss]]) expect(relErr(u.dataSync(), v.dataSync())).toBeLessThan(TOL);
        }
        const [t1, t2] = both(() => alphaLoss(lp, logAlpha, task, -4));
        expect(relErr(t1.dLogAlpha.dataSync(), t2.dLogAlpha.dataSync())).toBeLessThan(TOL);
        expect(relErr(t1.loss.dataSync(), t2.loss.dataSync())).toBeLessThan(TOL);
        // one task only
        const [o1, o2] = both(() => alphaLoss(lp, tf.zeros([1]), tf.zeros([B], 'int32'), -4));
        expect(relErr(o1.dLogAlpha.dataSync(), o2.dLogAlpha.dataSync())).toBeLessThan(TOL);
      });
    });

    it('give the values worked out by hand', () => {
      tf.tidy(() => {
        // two rows, two critics, two tasks with alpha = 1 and e
        const q = tf.tensor3d([[[1], [5]], [[2], [3]]]); // critic 0: 1, 5; critic 1: 2, 3
        const lp = tf.tensor2d([[-1], [2]]);
        const logAlpha = tf.tensor1d([0, 1]);
        const task = tf.tensor1d([0, 1], 'int32');
        const e = Math.E;
        const [y] = vals([criticTarget(q, lp, logAlpha, task, tf.tensor2d([[0.5], [1]]), tf.tensor2d([[0], [1]]), 0.5, null)]);
        // row 0: 0.5 + 0.5 * (min(1, 2) - 1 * -1) = 1.5; row 1 terminated: 1
        expect(y[0]).toBeCloseTo(1.5, 5);
        expect(y[1]).toBeCloseTo(1, 5);
        const cl = criticLoss(q, tf.tensor2d([[1], [4]]));
        // errors: critic 0: 0, 1; critic 1: 1, -1 -> dq = 2 err / 2; L = (0 + 1)/2 + (1 + 1)/2 = 1.5
        expect(vals([cl.dq])[0]).toEqual([0, 1, 1, -1]);
        expect(vals([cl.stats])[0][0]).toBeCloseTo(1.5, 5);
        expect(vals([cl.stats])[0][1]).toBeCloseTo(2.75, 5);
        const al = actorLoss(q, lp, logAlpha, task);
        // min per row: critic 0 (1) on row 0, critic 1 (3) on row 1
        expect(vals([al.dq])[0]).toEqual([-0.5, 0, 0, -0.5]);
        expect(vals([al.dLogProb])[0][1]).toBeCloseTo(e / 2, 5);
        // mean(1 * -1 - 1, e * 2 - 3)
        expect(vals([al.loss])[0][0]).toBeCloseTo((-2 + 2 * e - 3) / 2, 5);
        const tl = alphaLoss(lp, logAlpha, task, -1);
        // gaps: -2, 1 -> dLogAlpha = [-(1/2)(-2), -(e/2)(1)]
        const [g] = vals([tl.dLogAlpha]);
        expect(g[0]).toBeCloseTo(1, 5);
        expect(g[1]).toBeCloseTo(-e / 2, 5);
      });
    });

    if (blas) {
      it('the native kernels refuse a task index outside [0, K) and bad shapes, naming the kernel', () => {
        tf.tidy(() => {
          const q = rand([2, 3, 1], 1);
          const lp = rand([3, 1], 2);
          const bad = tf.tensor1d([0, 1, 7], 'int32');
          expect(() => actorLoss(q, lp, tf.zeros([2]), bad)).toThrow(/task index is outside/);
          expect(() => alphaLoss(lp, tf.zeros([2]), tf.tensor1d([0, -1, 0], 'int32'), -1)).toThrow(/task index is outside/);
          expect(() => criticLoss(rand([2, 3], 3), lp)).toThrow(/RrlSacCriticGrad: expected q \[E, B, 1\]/);
          expect(() => actorLoss(q, lp, tf.zeros([2]), tf.tensor1d([0, 1, 0], 'float32'))).toThrow(/int32 task/);
        });
      });
    }
  });
}
