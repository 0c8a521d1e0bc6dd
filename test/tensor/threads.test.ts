// The native kernels on several threads: every way they split the work (rows, ensemble members,
// both) gives the gradients tfjs's autodiff gives, and a given thread setting reproduces a
// training run to the bit, even while another thread competes for the cores.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { Worker } from 'node:worker_threads';
import { addon, useBackend, relErr, rand } from './helpers.ts';
import { referenceMlp, vjp } from './reference.ts';
import { MLP } from '../../agents/nn/mlp.ts';
import { Sac, type SacBatch } from '../../agents/sac/update.ts';
import { selectBackend } from '../../agents/tensor/backend.ts';
import { threadsFromEnv, defaultThreads, MAX_DEFAULT_THREADS } from '../../agents/tensor/native.ts';

const TOL = 1e-4;

describe('RRL_BLAS_THREADS', () => {
  const saved = process.env.RRL_BLAS_THREADS;
  afterAll(() => {
    if (saved === undefined) delete process.env.RRL_BLAS_THREADS;
    else process.env.RRL_BLAS_THREADS = saved;
  });
  it('is a whole number from 1 to 256; anything else is an error naming the variable', async () => {
    process.env.RRL_BLAS_THREADS = '3';
    expect(threadsFromEnv()).toBe(3);
    expect(defaultThreads()).toBe(3);
    for (const bad of ['0', '-1', '2.5', 'two', '257']) {
      process.env.RRL_BLAS_THREADS = bad;
      expect(() => threadsFromEnv()).toThrow(`RRL_BLAS_THREADS must be a whole number from 1 to 256, got "${bad}"`);
      await expect(selectBackend({ force: 'cpu', log: false })).rejects.toThrow(/RRL_BLAS_THREADS must be/);
    }
    delete process.env.RRL_BLAS_THREADS;
    expect(threadsFromEnv()).toBeNull();
    expect(defaultThreads()).toBeGreaterThanOrEqual(1);
    expect(defaultThreads()).toBeLessThanOrEqual(MAX_DEFAULT_THREADS);
  });
});

function batchOf(B: number, obs: number, act: number, tasks: number, seed: number): SacBatch {
  return tf.tidy(() => ({
    obs: rand([B, obs], seed) as tf.Tensor2D,
    action: rand([B, act], seed + 1) as tf.Tensor2D,
    reward: rand([B, 1], seed + 2) as tf.Tensor2D,
    nextObs: rand([B, obs], seed + 3) as tf.Tensor2D,
    terminated: tf.cast(tf.greater(rand([B, 1], seed + 4), 0.8), 'float32') as tf.Tensor2D,
    task: tf.randomUniform([B], 0, tasks, 'int32', seed + 5) as tf.Tensor1D,
  }));
}

/** Every parameter, target and optimizer moment of a SAC learner after `updates` updates from a seed. */
function train(threads: number, cfg: { numCritics: number; layerNorm: boolean }, updates: number): Float32Array[] {
  addon!.setThreads(threads);
  const B = 256;
  const sac = new Sac({ obsDim: 20, actDim: 4, numTasks: 3, hidden: [64, 64], seed: 7, ...cfg });
  const batch = batchOf(B, 20, 4, 3, 11);
  for (let i = 0; i < updates; i++) sac.update(batch);
  const st = sac.getState();
  tf.dispose(Object.values(batch));
  sac.dispose();
  const o = st.optimizers;
  return [...st.actor, ...st.critic, ...st.criticTarget, st.logAlpha, ...o.actor.m, ...o.actor.v, ...o.critic.m, ...o.critic.v, ...o.alpha.m, ...o.alpha.v];
}

function bitIdentical(a: Float32Array[], b: Float32Array[]): boolean {
  return a.length === b.length && a.every((x, i) => Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(b[i].buffer, b[i].byteOffset, b[i].byteLength)));
}

for (const backend of ['wasm', 'cpu'] as const) {
  describe.skipIf(!addon)(`native kernels on several threads (${backend} + BLAS)`, () => {
    let before = 1;
    beforeAll(async () => {
      await useBackend(backend, true);
      before = addon!.setThreads(0);
    });
    afterAll(() => {
      addon!.setThreads(before);
    });

    it('setThreads sets the kernels\' thread count and 0 only asks', () => {
      expect(addon!.setThreads(3)).toBe(3);
      expect(addon!.setThreads(0)).toBe(3);
      expect(addon!.setThreads(-1)).toBe(3);
      expect(addon!.setThreads(1)).toBe(1);
      expect(() => addon!.setThreads(1000)).toThrow(/at most 256 threads/);
    });

    // threads x (members, rows, shared input, LayerNorm): one member split into row blocks, twin
    // critics one member per thread, three members on two threads (member and row blocks), more
    // rows than blocks divide evenly, a batch too small to split.
    const shapes: [string, number | undefined, number, boolean, boolean][] = [
      ['one network, 256 rows', undefined, 256, true, false],
      ['one network, 101 rows, LayerNorm', undefined, 101, true, true],
      ['2 members, shared input, 130 rows', 2, 130, true, false],
      ['3 members, shared input, 257 rows, LayerNorm', 3, 257, true, true],
      ['3 members, one input each, 96 rows', 3, 96, false, false],
      ['5 members, shared input, 64 rows, LayerNorm', 5, 64, true, true],
      ['2 members, 20 rows (no row split)', 2, 20, true, false],
    ];
    for (const threads of [1, 2, 3, 4]) {
      it.each(shapes)(`%s: forward and backward match autodiff on ${threads} thread(s)`, (_name, E, B, shared, layerNorm) => {
        addon!.setThreads(threads);
        tf.tidy(() => {
          const net = new MLP({ inDim: 9, hidden: [40, 24], outDim: 5, ensemble: E, layerNorm });
          const params = net.init(3).map((p, j) => tf.add(p, tf.mul(rand(p.shape, 60 + j), 0.2)));
          const x = rand(shared ? [B, 9] : [E!, B, 9], 4);
          const dy = rand(E ? [E, B, 5] : [B, 5], 5);
          const ref = (xx: tf.Tensor, ...ps: tf.Tensor[]) => referenceMlp(ps, xx, { ensemble: E, layerNorm });
          const { y, cache } = net.forward(params, x);
          expect(relErr(y.dataSync(), ref(x, ...params).dataSync())).toBeLessThan(TOL);
          const mine = net.backward(params, cache, dy, { dx: true, params: true });
          const want = vjp(ref, [x, ...params], dy);
          expect(relErr(mine.dx!.dataSync(), want[0].dataSync())).toBeLessThan(TOL);
          mine.dParams!.forEach((g, j) => expect(relErr(g.dataSync(), want[1 + j].dataSync()), `parameter ${j}`).toBeLessThan(TOL));
        });
      });
    }

    // An input-gradient-only backward skips the rows whose dy is zero (SAC's actor step: only the
    // critic holding a row's minimum gets its gradient). Rows dead in one member, in every member,
    // and a whole dead member; the row with NaN inputs is dead everywhere, so its dx is 0.
    const dead: [string, number | undefined, number, boolean][] = [
      ['one network, 101 rows', undefined, 101, false],
      ['2 members, shared input, 130 rows', 2, 130, false],
      ['3 members, shared input, 257 rows, LayerNorm', 3, 257, true],
    ];
    for (const threads of [1, 2, 3]) {
      it.each(dead)(`%s: dx alone skips rows with zero dy and matches autodiff on ${threads} thread(s)`, (_name, E, B, layerNorm) => {
        addon!.setThreads(threads);
        tf.tidy(() => {
          const net = new MLP({ inDim: 9, hidden: [40, 24], outDim: 5, ensemble: E, layerNorm });
          const params = net.init(3).map((p, j) => tf.add(p, tf.mul(rand(p.shape, 60 + j), 0.2)));
          const xs = rand([B, 9], 4).dataSync().slice();
          xs.fill(NaN, 7 * 9, 8 * 9);
          const x = tf.tensor2d(xs, [B, 9]);
          const M = E ?? 1;
          const dys = rand([M, B, 5], 5).dataSync().slice();
          // Member m loses every row r with (r + m) % 3 === 0; row 7 is dead in all; member 2 (if any) entirely.
          for (let m = 0; m < M; m++) {
            for (let r = 0; r < B; r++) {
              if ((r + m) % 3 === 0 || r === 7 || m === 2) dys.fill(0, (m * B + r) * 5, (m * B + r + 1) * 5);
            }
          }
          const dy = tf.tensor(dys, E ? [M, B, 5] : [B, 5]);
          const { cache } = net.forward(params, x);
          const mine = net.backward(params, cache, dy, { dx: true, params: false }).dx!.dataSync() as Float32Array;
          expect(Array.from(mine.subarray(7 * 9, 8 * 9))).toEqual(new Array(9).fill(0));
          const live = (a: Float32Array) => a.filter((_, i) => Math.floor(i / 9) !== 7);
          const clean = tf.tensor2d(xs.map((v) => (Number.isNaN(v) ? 0 : v)), [B, 9]);
          const ref = (xx: tf.Tensor, ...ps: tf.Tensor[]) => referenceMlp(ps, xx, { ensemble: E, layerNorm });
          const want = vjp(ref, [clean, ...params], dy)[0].dataSync() as Float32Array;
          expect(relErr(live(mine), live(want))).toBeLessThan(TOL);
        });
      });
    }

    it('Adam and Polyak averaging over many blocks are the same on 1 and 3 threads', () => {
      tf.tidy(() => {
        const shapes = [[300, 200], [70000], [5]];
        const run = (threads: number) => {
          addon!.setThreads(threads);
          const x = shapes.map((s, i) => rand(s, 20 + i));
          const y = shapes.map((s, i) => rand(s, 30 + i));
          const avg = tf.engine().runKernel('RrlAxpby', [...x, ...y] as unknown as tf.NamedTensorMap, { alpha: 0.995, beta: 0.005 }) as unknown as tf.Tensor[];
          const adam = tf.engine().runKernel('RrlAdam', [...x, ...y, ...y, ...y.map((t) => tf.abs(t))] as unknown as tf.NamedTensorMap,
            { lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, step: 3 }) as unknown as tf.Tensor[];
          return [...avg, ...adam].map((t) => t.dataSync() as Float32Array);
        };
        expect(bitIdentical(run(1), run(3))).toBe(true);
      });
    });

    it.each([
      [2, { numCritics: 2, layerNorm: false }],
      [2, { numCritics: 3, layerNorm: true }],
      [3, { numCritics: 2, layerNorm: false }],
      [1, { numCritics: 2, layerNorm: false }],
    ])('a seed and %i thread(s) reproduce 20 SAC updates to the bit (%o)', (threads, cfg) => {
      const a = train(threads, cfg, 20);
      const b = train(threads, cfg, 20);
      expect(bitIdentical(a, b)).toBe(true);
      // and the updates did something
      const start = train(threads, cfg, 0)[0];
      expect(a[0].some((v, i) => v !== start[i])).toBe(true);
    }, 60_000);

    it('...and so does a run whose worker threads compete with a busy thread for the two cores', async () => {
      const quiet = train(2, { numCritics: 2, layerNorm: false }, 20);
      // A thread that spins for the whole run: the pool's workers get descheduled at random points,
      // so items run on whichever thread gets there first. The sums must not care.
      const busy = new Worker('const end = Date.now() + 4000; while (Date.now() < end) {}', { eval: true });
      await new Promise((r) => setTimeout(r, 50));
      try {
        for (let run = 0; run < 3; run++) expect(bitIdentical(train(2, { numCritics: 2, layerNorm: false }, 20), quiet)).toBe(true);
        expect(bitIdentical(train(3, { numCritics: 3, layerNorm: false }, 10), train(3, { numCritics: 3, layerNorm: false }, 10))).toBe(true);
      } finally {
        await busy.terminate();
      }
    }, 60_000);
  });
}
