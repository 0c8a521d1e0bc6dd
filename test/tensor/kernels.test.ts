// The native BLAS kernels against tfjs's own, on both backends they serve.
import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { addon, addonReason, requireBlas, useBackend, withStock, relErr, rand } from './helpers.ts';
import { planMatMul, nativeKernelsActive, enableBlasKernels, disableBlasKernels, type NativeBackend } from '../../agents/tensor/kernels.ts';
import { planMlp, runAdamKernel, axpbyNative } from '../../agents/tensor/fused.ts';
import { selectTask, selectTaskBackward, type TaskSelection } from '../../agents/nn/task-select.ts';

const TOL = 1e-4;

it('native addon is present where CI requires it', () => {
  if (requireBlas) expect(addon, `RRL_REQUIRE_BLAS=1 but ${addonReason}`).not.toBeNull();
});

// [aShape, bShape, transposeA, transposeB]
type Case = [number[], number[], boolean, boolean];
const CASES: Case[] = [
  [[7, 5], [5, 3], false, false],
  [[5, 7], [5, 3], true, false],
  [[7, 5], [3, 5], false, true],
  [[5, 7], [3, 5], true, true],
  [[1, 1], [1, 1], false, false],
  [[1, 9], [9, 1], false, false],
  [[9, 1], [1, 9], false, false],
  [[256, 44], [44, 256], false, false],
  [[256, 256], [256, 8], true, false],
  [[3, 4, 6], [3, 6, 2], false, false],
  [[3, 6, 4], [3, 2, 6], true, true],
  [[2, 3, 4, 5], [2, 3, 5, 6], false, false],
  // a 2-D operand broadcast against a stack, on either side
  [[16, 44], [2, 44, 32], false, false],
  [[2, 16, 44], [44, 32], false, false],
  [[44, 16], [2, 32, 44], true, true],
  [[2, 32, 16], [2, 32, 8], true, false],
  // size-1 batch against a stack
  [[1, 4, 5], [3, 5, 2], false, false],
  // one-row and one-column products (the addon uses gemv for these), every transpose
  [[1, 7], [7, 5], false, false],
  [[7, 1], [7, 5], true, false],
  [[1, 7], [5, 7], false, true],
  [[7, 1], [5, 7], true, true],
  [[6, 7], [7, 1], false, false],
  [[7, 6], [7, 1], true, false],
  [[6, 7], [1, 7], false, true],
  [[7, 6], [1, 7], true, true],
  [[1, 16], [2, 16, 8], false, false],
  [[2, 16, 8], [2, 8, 1], false, false],
  // outer products (inner dimension 1: the addon's own loop), every transpose
  [[1, 9], [1, 7], true, false],
  [[9, 1], [7, 1], false, true],
  [[1, 9], [7, 1], true, true],
  [[256, 1], [1, 256], false, false],
];

// Sizes 0: products that are empty, or sums over an empty inner dimension (all zeros).
const ZERO_CASES: Case[] = [
  [[0, 5], [5, 3], false, false],
  [[4, 5], [5, 0], false, false],
  [[4, 0], [0, 3], false, false],
  [[0, 4, 5], [0, 5, 3], false, false],
  [[0, 4], [0, 3], true, false],
];

function expectedZeroShape(c: Case): number[] {
  return planMatMul(c[0], c[1], c[2], c[3]).outShape;
}

for (const backend of ['wasm', 'cpu'] as NativeBackend[]) {
  describe.skipIf(!addon)(`native kernels on ${backend} (${addon ? addon.info() : addonReason})`, () => {
    beforeAll(async () => {
      await useBackend(backend, true);
    });

    it.each(CASES)('BatchMatMul %j x %j tA=%s tB=%s matches tfjs', (as, bs, ta, tb) => {
      const seed = as.length * 100 + bs.reduce((x, y) => x * 7 + y, 0);
      tf.tidy(() => {
        const a = rand(as, seed);
        const b = rand(bs, seed + 1);
        const got = tf.matMul(a, b, ta, tb);
        const want = withStock(backend, () => tf.matMul(a, b, ta, tb));
        expect(got.shape).toEqual(want.shape);
        expect(relErr(got.dataSync(), want.dataSync())).toBeLessThan(TOL);
      });
    });

    it('BatchMatMul and _FusedMatMul match tfjs on 200 random shapes', () => {
      // Seeded shape generator: sizes 0..9 and 1 and up to 70, either transpose, no batch, a shared
      // batch, or a 2-D operand against a stack (either side).
      let state = 12345;
      const rnd = (n: number) => {
        state = (state * 1103515245 + 12345) % 2147483648;
        return state % n;
      };
      const dim = () => [0, 1, 1 + rnd(9), 1 + rnd(70)][rnd(4)];
      for (let c = 0; c < 200; c++) {
        const [m, n, k] = [dim(), dim(), dim()];
        const ta = rnd(2) === 1;
        const tb = rnd(2) === 1;
        const batch = 1 + rnd(3);
        const mode = rnd(4); // 0: 2-D x 2-D, 1: stack x stack, 2: 2-D x stack, 3: stack x 2-D
        const aMat = ta ? [k, m] : [m, k];
        const bMat = tb ? [n, k] : [k, n];
        const aShape = mode === 1 || mode === 3 ? [batch, ...aMat] : aMat;
        const bShape = mode === 1 || mode === 2 ? [batch, ...bMat] : bMat;
        tf.tidy(() => {
          const a = rand(aShape, 1000 + c);
          const b = rand(bShape, 2000 + c);
          const bias = rand([n], 3000 + c);
          const got = tf.matMul(a, b, ta, tb);
          const gotFused = tf.fused.matMul({ a: a as tf.Tensor3D, b: b as tf.Tensor3D, transposeA: ta, transposeB: tb, bias, activation: 'relu' });
          const [want, wantFused] = withStock(backend, () => {
            // tfjs's own kernels, with the 2-D operand tiled (the stock wasm kernel needs equal batches)
            const a3 = mode === 2 ? tf.tile(tf.expandDims(a, 0), [batch, 1, 1]) : a;
            const b3 = mode === 3 ? tf.tile(tf.expandDims(b, 0), [batch, 1, 1]) : b;
            // an empty inner dimension sums nothing: zeros (the stock wasm kernel leaves memory as is)
            const p = k === 0 ? tf.zeros(planMatMul(aShape, bShape, ta, tb).outShape) : tf.matMul(a3, b3, ta, tb);
            return [p, tf.relu(tf.add(p, bias))];
          });
          const where = `case ${c}: ${JSON.stringify(aShape)} x ${JSON.stringify(bShape)} tA=${ta} tB=${tb}`;
          expect(got.shape, where).toEqual(want.shape);
          expect(gotFused.shape, where).toEqual(want.shape);
          if (got.size > 0) {
            expect(relErr(got.dataSync(), want.dataSync()), where).toBeLessThan(TOL);
            expect(relErr(gotFused.dataSync(), wantFused.dataSync()), where).toBeLessThan(TOL);
          }
        });
      }
    });

    it('BatchMatMul broadcasts batch dims both ways ([2,1] x [1,3])', () => {
      tf.tidy(() => {
        const a = rand([2, 1, 4, 5], 11);
        const b = rand([1, 3, 5, 6], 12);
        const got = tf.matMul(a, b);
        // Reference from explicitly tiled operands (the stock kernels index batches modulo size).
        const want = withStock(backend, () => tf.matMul(tf.broadcastTo(a, [2, 3, 4, 5]), tf.broadcastTo(b, [2, 3, 5, 6])));
        expect(got.shape).toEqual([2, 3, 4, 6]);
        expect(relErr(got.dataSync(), want.dataSync())).toBeLessThan(TOL);
      });
    });

    it.each(ZERO_CASES)('BatchMatMul with a zero size %j x %j', (as, bs, ta, tb) => {
      tf.tidy(() => {
        const got = tf.matMul(tf.ones(as), tf.ones(bs), ta, tb);
        expect(got.shape).toEqual(expectedZeroShape([as, bs, ta, tb]));
        const vals = got.dataSync();
        expect(vals.length).toBe(tf.util.sizeFromShape(got.shape));
        expect(Array.from(vals).every((v) => v === 0)).toBe(true);
      });
    });

    it('adds exactly one tensor per product (works in place, no temporaries)', () => {
      const a = rand([32, 16], 1);
      const b = rand([2, 16, 8], 2);
      const before = tf.engine().backend.numDataIds();
      const c = tf.matMul(a, b);
      expect(tf.engine().backend.numDataIds()).toBe(before + 1);
      tf.dispose([a, b, c]);
    });

    const ACTS = ['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu'] as const;
    it.each(ACTS)('_FusedMatMul with activation %s and rank-1 bias matches unfused tfjs ops', (act) => {
      tf.tidy(() => {
        const a = rand([33, 20], 3);
        const b = rand([20, 17], 4);
        const bias = rand([17], 5);
        const got = tf.fused.matMul({ a, b, bias, activation: act, leakyreluAlpha: 0.1 });
        const want = withStock(backend, () => {
          const z = tf.add(tf.matMul(a, b), bias);
          const y = { linear: z, relu: tf.relu(z), relu6: tf.relu6(z), elu: tf.elu(z), sigmoid: tf.sigmoid(z), leakyrelu: tf.leakyRelu(z, 0.1) }[act];
          return y;
        });
        expect(relErr(got.dataSync(), want.dataSync())).toBeLessThan(TOL);
      });
    });

    it.each([
      [[2, 16, 12], [2, 12, 5], [2, 1, 5]],
      [[16, 12], [2, 12, 5], [2, 1, 5]],
      [[2, 16, 12], [2, 12, 5], [16, 5]],
      [[2, 16, 12], [2, 12, 5], [16, 1]],
      [[2, 16, 12], [2, 12, 5], [1]],
      [[2, 16, 12], [2, 12, 5], [2, 16, 5]],
    ])('_FusedMatMul %j x %j with bias %j broadcast matches unfused tfjs ops', (as, bs, biasShape) => {
      tf.tidy(() => {
        const a = rand(as, 6);
        const b = rand(bs, 7);
        const bias = rand(biasShape, 8);
        const got = tf.fused.matMul({ a: a as tf.Tensor3D, b: b as tf.Tensor3D, bias, activation: 'relu' });
        const want = withStock(backend, () => tf.relu(tf.add(tf.matMul(a, b), bias)));
        expect(got.shape).toEqual(want.shape);
        expect(relErr(got.dataSync(), want.dataSync())).toBeLessThan(TOL);
      });
    });

    it('_FusedMatMul hands prelu back to the stock kernel', () => {
      tf.tidy(() => {
        const a = rand([8, 6], 9);
        const b = rand([6, 4], 10);
        const alpha = tf.fill([4], 0.25);
        const got = tf.fused.matMul({ a, b, activation: 'prelu', preluActivationWeights: alpha });
        const want = withStock(backend, () => tf.prelu(tf.matMul(a, b), alpha));
        expect(relErr(got.dataSync(), want.dataSync())).toBeLessThan(TOL);
      });
    });

    it('RrlAdam matches the Adam formula written in tfjs ops, for every tensor of a list', () => {
      expect(nativeKernelsActive()).toBe(true);
      tf.tidy(() => {
        const shapes = [[300], [7, 5], [2, 1, 3]];
        const p = shapes.map((s, i) => rand(s, 20 + i));
        const g = shapes.map((s, i) => rand(s, 30 + i));
        const m = shapes.map((s, i) => tf.mul(rand(s, 40 + i), 0.1));
        const v = shapes.map((s, i) => tf.abs(tf.mul(rand(s, 50 + i), 0.01)));
        const at = { lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, step: 7 };
        const [p2, m2, v2] = runAdamKernel(p, g, m, v, at);
        shapes.forEach((shape, i) => {
          const mw = tf.add(tf.mul(m[i], at.beta1), tf.mul(g[i], 1 - at.beta1));
          const vw = tf.add(tf.mul(v[i], at.beta2), tf.mul(tf.square(g[i]), 1 - at.beta2));
          const mhat = tf.div(mw, 1 - at.beta1 ** at.step);
          const vhat = tf.div(vw, 1 - at.beta2 ** at.step);
          const pw = tf.sub(p[i], tf.mul(tf.div(mhat, tf.add(tf.sqrt(vhat), at.epsilon)), at.lr));
          for (const out of [p2[i], m2[i], v2[i]]) expect(out.shape).toEqual(shape);
          expect(relErr(m2[i].dataSync(), mw.dataSync())).toBeLessThan(TOL);
          expect(relErr(v2[i].dataSync(), vw.dataSync())).toBeLessThan(TOL);
          expect(relErr(p2[i].dataSync(), pw.dataSync())).toBeLessThan(TOL);
          // the step moved every tensor
          expect(relErr(p2[i].dataSync(), p[i].dataSync())).toBeGreaterThan(1e-6);
        });
        expect(() => runAdamKernel([p[0]], [g[1]], [m[0]], [v[0]], at)).toThrow(/one shape/);
      });
    });

    it('RrlAxpby matches its tfjs-op definition', () => {
      tf.tidy(() => {
        const xs = [rand([123], 42), rand([4, 6], 45)];
        const zs = [rand([123], 43), rand([4, 6], 46)];
        const ps = axpbyNative(xs, zs, 0.995, 0.005)!;
        ps.forEach((p, i) => {
          expect(p.shape).toEqual(xs[i].shape);
          expect(relErr(p.dataSync(), tf.add(tf.mul(xs[i], 0.995), tf.mul(zs[i], 0.005)).dataSync())).toBeLessThan(TOL);
        });
        expect(() => axpbyNative([xs[0]], [rand([5], 44)], 1, 1)).toThrow(/one shape/);
      });
    });

    // Both layouts, an ensemble, and an input whose "one-hot" columns hold arbitrary values (the
    // selection is linear in them), checked against the tfjs ops of agents/nn/task-select.ts.
    it('RrlTaskSelect and its gradient match the tfjs ops, both layouts', async () => {
      const [E, B, K, O, D, col0] = [2, 7, 3, 4, 9, 2];
      for (const layout of [0, 1] as const) {
        tf.tidy(() => {
          const s: TaskSelection = { layout, numTasks: K, out: O, col0 };
          const h = rand(layout === 0 ? [E, B, K * O] : [E * K, B, O], 60 + layout);
          const x = rand([B, D], 62);
          const dy = rand([E, B, O], 63);
          const y = selectTask(h, x, s);
          const g = selectTaskBackward(dy, h, x, s, true);
          const onlyDh = selectTaskBackward(dy, h, x, s, false);
          const want = withStock(backend, () => {
            const w = selectTaskBackward(dy, h, x, s, true);
            return { y: selectTask(h, x, s), dh: w.dh, dOneHot: w.dOneHot! };
          });
          expect(y.shape).toEqual([E, B, O]);
          expect(relErr(y.dataSync(), want.y.dataSync())).toBeLessThan(TOL);
          expect(g.dh.shape).toEqual(h.shape);
          expect(relErr(g.dh.dataSync(), want.dh.dataSync())).toBeLessThan(TOL);
          expect(g.dOneHot!.shape).toEqual([B, K]);
          expect(relErr(g.dOneHot!.dataSync(), want.dOneHot.dataSync())).toBeLessThan(TOL);
          expect(onlyDh.dOneHot).toBeNull();
          expect(relErr(onlyDh.dh.dataSync(), want.dh.dataSync())).toBeLessThan(TOL);
        });
      }
      // the native kernels ran (not the tfjs ops on both sides), and the stock side ran none of them
      const s0: TaskSelection = { layout: 0, numTasks: K, out: O, col0 };
      const h0 = rand([E, B, K * O], 66);
      const x0 = rand([B, D], 67);
      const names = async (f: () => unknown) => (await tf.profile(() => void f())).kernels.map((k) => k.name);
      const both = () => selectTaskBackward(selectTask(h0, x0, s0), h0, x0, s0, true);
      expect(await names(both)).toEqual(['RrlTaskSelect', 'RrlTaskSelectGrad']);
      disableBlasKernels(backend);
      try {
        expect((await names(both)).filter((n) => n.startsWith('Rrl'))).toEqual([]);
      } finally {
        enableBlasKernels(backend, addon!);
      }
      expect(() => selectTask(rand([2, 7, 5], 64), rand([7, 9], 65), { layout: 0, numTasks: 3, out: 2, col0: 0 })).toThrow(/RrlTaskSelect: outputs \[2,7,5\]/);
      expect(() => selectTask(rand([2, 7, 6], 64), rand([7, 9], 65), { layout: 0, numTasks: 3, out: 2, col0: 7 })).toThrow(/one-hot at column 7/);
    });

    it('Concat matches the stock kernel on random shapes, axes and dtypes', () => {
      let seed = 100;
      for (let trial = 0; trial < 40; trial++) {
        tf.tidy(() => {
          const rank = 1 + (trial % 4);
          const shape = Array.from({ length: rank }, (_, d) => 1 + ((trial * 7 + d * 3) % 5));
          const axis = trial % rank;
          const parts = Array.from({ length: 1 + (trial % 3) + 1 }, (_, i) => {
            const sh = shape.slice();
            sh[axis] = (trial + i) % 4; // sizes 0..3 along the axis, empty parts included
            return trial % 5 === 0 ? tf.cast(tf.mul(rand(sh, seed++), 100), 'int32') : rand(sh, seed++);
          });
          const got = tf.concat(parts, axis);
          const want = withStock(backend, () => tf.concat(parts, axis));
          expect(got.shape).toEqual(want.shape);
          expect(got.dtype).toBe(want.dtype);
          expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()));
        });
      }
      // more inputs than the addon takes go to the stock kernel
      tf.tidy(() => {
        const many = Array.from({ length: 1100 }, (_, i) => tf.fill([2, 1], i));
        const got = tf.concat(many, 1);
        expect(got.shape).toEqual([2, 1100]);
        expect(Array.from(got.dataSync())).toEqual(Array.from(withStock(backend, () => tf.concat(many, 1)).dataSync()));
      });
      // bool goes to the stock kernel
      tf.tidy(() => {
        expect(Array.from(tf.concat([tf.tensor1d([true], 'bool'), tf.tensor1d([false], 'bool')]).dataSync())).toEqual([1, 0]);
      });
    });

    it('Slice matches the stock kernel on random ranks 1-4 and 5, begins and sizes', () => {
      let seed = 200;
      for (let trial = 0; trial < 60; trial++) {
        tf.tidy(() => {
          const rank = 1 + (trial % 5);
          const shape = Array.from({ length: rank }, (_, d) => 1 + ((trial * 5 + d * 7) % 6));
          const x = trial % 4 === 0 ? tf.cast(tf.mul(rand(shape, seed++), 50), 'int32') : rand(shape, seed++);
          const begin = shape.map((n, d) => (trial + d) % n);
          const size = shape.map((n, d) => ((trial + 2 * d) % 3 === 0 ? -1 : Math.min(n - begin[d], 1 + ((trial + d) % 3))));
          const got = tf.slice(x, begin, size);
          const want = withStock(backend, () => tf.slice(x, begin, size));
          expect(got.shape).toEqual(want.shape);
          expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()));
        });
      }
      tf.tidy(() => {
        expect(() => tf.slice(rand([3, 4], 1), [2, 0], [2, 4])).toThrow();
      });
    });

    it('reads a tensor cast from bool or int32 (the cpu backend keeps the old storage)', () => {
      tf.tidy(() => {
        const mask = tf.cast(tf.greater(rand([6, 5], 300), 0), 'float32');
        const ints = tf.cast(tf.tensor2d([[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]], [5, 2], 'int32'), 'float32');
        const got = tf.matMul(mask, ints);
        const want = withStock(backend, () => tf.matMul(mask, ints));
        expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()));
        expect(Array.from(tf.concat([ints, ints], 1).dataSync())).toEqual(Array.from(withStock(backend, () => tf.concat([ints, ints], 1)).dataSync()));
      });
    });

    it('gradients of a small network match the stock kernels (shape and value)', () => {
      const w1 = tf.variable(rand([10, 16], 30));
      const b1 = tf.variable(rand([16], 31));
      const w2 = tf.variable(rand([2, 16, 3], 32));
      const x = rand([12, 10], 33);
      const loss = () => {
        const h = tf.fused.matMul({ a: x, b: w1, bias: b1, activation: 'relu' });
        // twin heads over a shared hidden layer: [2, 12, 3] (tiled: tfjs's BatchMatMul gradient
        // does not handle a broadcast operand)
        const y = tf.matMul(tf.tile(tf.expandDims(h, 0), [2, 1, 1]), w2);
        return tf.mean(tf.square(tf.sub(y, 0.5))) as tf.Scalar;
      };
      const vars = [w1, b1, w2];
      const native = tf.variableGrads(loss, vars);
      const stock = withStock(backend, () => tf.variableGrads(loss, vars));
      expect(Math.abs(native.value.dataSync()[0] - stock.value.dataSync()[0])).toBeLessThan(1e-5);
      for (const v of vars) {
        expect(native.grads[v.name].shape).toEqual(v.shape);
        expect(native.grads[v.name].shape).toEqual(stock.grads[v.name].shape);
        expect(relErr(native.grads[v.name].dataSync(), stock.grads[v.name].dataSync())).toBeLessThan(TOL);
      }
      tf.dispose([native.value, stock.value, ...Object.values(native.grads), ...Object.values(stock.grads), ...vars, x]);
    });
  });
}

describe('MLP kernel planning', () => {
  it('takes plain and ensemble networks, shared or per-member inputs', () => {
    const plain = planMlp([16, 5], [[5, 8], [8], [8, 2], [2]]);
    expect([plain.E, plain.B, plain.xShared, plain.inDim, plain.outDims, plain.outShape(1)]).toEqual([1, 16, true, 5, [8, 2], [16, 2]]);
    const ens = planMlp([3, 16, 5], [[3, 5, 8], [3, 1, 8]]);
    expect([ens.E, ens.xShared, ens.outShape(0)]).toEqual([3, false, [3, 16, 8]]);
  });
  it('names the layer whose shapes do not chain, and refuses an input that fits no member', () => {
    expect(() => planMlp([16, 5], [[5, 8], [8], [7, 2], [2]])).toThrow(/layer 1 has weight \[7,2\]/);
    expect(() => planMlp([16, 5], [[5, 8], [1, 8]])).toThrow(/layer 0/);
    expect(() => planMlp([2, 16, 5], [[3, 5, 8], [3, 1, 8]])).toThrow(/input of shape \[2,16,5\]/);
    expect(() => planMlp([16, 5], [[5, 8]])).toThrow(/weight\/bias pairs/);
  });
  it('takes a LayerNorm gain and bias after the weight and bias of each normalised layer', () => {
    const p = planMlp([16, 5], [[5, 8], [8], [8], [8], [8, 2], [2]], [true, false]);
    expect([p.layers, p.norms, p.outDims, p.rowShape(), p.biasShape(0)]).toEqual([2, [true, false], [8, 2], [16, 1], [8]]);
    const e = planMlp([16, 5], [[3, 5, 8], [3, 1, 8], [3, 1, 8], [3, 1, 8]], [true]);
    expect([e.rowShape(), e.biasShape(0)]).toEqual([[3, 16, 1], [3, 1, 8]]);
    expect(() => planMlp([16, 5], [[5, 8], [8], [8, 2], [2]], [true, false])).toThrow(/LayerNorm gain\/bias pair/);
    expect(() => planMlp([16, 5], [[5, 8], [8], [7], [8], [8, 2], [2]], [true, false])).toThrow(/layer 0 has weight \[5,8\] and \[8\], \[7\], \[8\]/);
  });
});

describe('matmul planning', () => {
  it('rejects mismatched inner dimensions like tf.matMul', () => {
    expect(() => planMatMul([2, 3], [4, 5], false, false)).toThrow(/inner shapes/);
  });
  it('uses uniform strides for a shared 2-D operand and pairs for a two-sided broadcast', () => {
    const p = planMatMul([16, 44], [2, 44, 32], false, false);
    expect([p.batch, p.strideA, p.strideB, p.pairs]).toEqual([2, 0, 44 * 32, null]);
    const q = planMatMul([2, 1, 4, 5], [1, 3, 5, 6], false, false);
    expect(Array.from(q.pairs!)).toEqual([0, 0, 0, 1, 0, 2, 1, 0, 1, 1, 1, 2]);
  });
});

// The addon is called only through fused.ts/kernels.ts, which shape its arguments; these check that
// a bad call still fails as a named RangeError rather than reading or writing out of bounds.
describe.skipIf(!addon)('native addon argument checks', () => {
  const buf = new ArrayBuffer(64); // 16 floats
  it('rejects a wrong argument count', () => {
    expect(() => (addon!.axpby as (...a: unknown[]) => void)([buf], new Float64Array([0]))).toThrow(/rrl_blas\.axpby: expected 5 arguments/);
  });
  it('rejects bad sizes in the list kernels', () => {
    const offs = new Float64Array([0, 0, 0]);
    expect(() => addon!.axpby([buf, buf, buf], offs, new Float64Array([-1]), 1, 1)).toThrow(/rrl_blas\.axpby: sizes must be/);
    expect(() => addon!.adam([buf], new Float64Array([0]), new Int32Array([1]) as unknown as Float64Array, 1e-3, 0.9, 0.999, 1e-8, 1)).toThrow(
      /rrl_blas\.adam: sizes must be/,
    );
  });
  it('rejects a bad tanh-Gaussian spec', () => {
    const offs = new Float64Array(5);
    expect(() => addon!.tanhGaussian([buf, buf, buf, buf], offs.subarray(0, 4), new Int32Array([2, 0]), -5, 2)).toThrow(/rrl_blas\.tanhGaussian: bad spec/);
    expect(() => addon!.tanhGaussianGrad([buf, buf, buf, buf, buf], offs, new Int32Array([2]), -5, 2)).toThrow(/rrl_blas\.tanhGaussianGrad: bad spec/);
  });
  it('rejects a bad MLP spec: layer count, LayerNorm flag, activation code', () => {
    const mlp = (spec: number[]) => () => addon!.mlpForward([buf, buf, buf, buf], new Float64Array(4), Int32Array.from(spec));
    expect(mlp([1, 1, 2, 1, 2, 2, 1, 0])).not.toThrow(); // x [2, 2], W [2, 2], b [2], y [2, 2]
    expect(mlp([1, 1, 2, 1, 2, 2, 1, 2])).toThrow(/rrl_blas\.mlpForward: bad spec/);
    expect(mlp([1, 1, 2, 1, 2, 2, 9, 0])).toThrow(/rrl_blas\.mlpForward: bad spec/);
    expect(mlp([1, 1, 2, 1, 2, 2, 1])).toThrow(/rrl_blas\.mlpForward: bad spec/);
    expect(mlp([0, 1, 2, 1, 2])).toThrow(/rrl_blas\.mlpForward: bad spec/);
    // with LayerNorm the list needs g, beta, xhat and rstd too
    expect(mlp([1, 1, 2, 1, 2, 2, 1, 1])).toThrow(/wrong length/);
  });
  it('rejects a bad task-selection spec: layout, one-hot columns past the input, count', () => {
    const sel = (spec: number[]) => () => addon!.taskSelect([buf, buf, buf], new Float64Array(3), Int32Array.from(spec));
    expect(sel([1, 2, 2, 1, 0, 3, 1])).not.toThrow(); // h [1, 2, 2, 1], x [2, 3], y [1, 2, 1]
    expect(sel([1, 2, 2, 1, 2, 3, 1])).toThrow(/rrl_blas\.taskSelect: bad spec/);
    expect(sel([1, 2, 2, 1, 0, 3, 2])).toThrow(/rrl_blas\.taskSelect: bad spec/);
    expect(sel([1, 2, 2, 1, 0, 3])).toThrow(/rrl_blas\.taskSelect: bad spec/);
    expect(sel([1, 8, 2, 1, 0, 3, 1])).toThrow(RangeError); // h needs 16 floats, x 24
    expect(() => addon!.taskSelectGrad([buf, buf, buf, buf], new Float64Array(4), Int32Array.from([1, 2, 2, 1, 0, 3, 1]))).toThrow(/rrl_blas\.taskSelectGrad: bad spec/);
  });
  it('rejects tensors that do not fit their buffers', () => {
    // 3 groups of one 17-float tensor each, in a 16-float buffer
    expect(() => addon!.axpby([buf, buf, buf], new Float64Array(3), new Float64Array([17]), 1, 1)).toThrow(RangeError);
    // head [4, 8] needs 32 floats
    expect(() => addon!.tanhGaussian([buf, buf, buf, buf], new Float64Array(4), new Int32Array([4, 4]), -5, 2)).toThrow(RangeError);
  });
});
