// A thousand training steps must leave the number of live tensors, tfjs's byte count and the wasm
// heap where they were after warm-up: anything retained per step would show up a thousand times.
import { describe, it, expect } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { addon, useBackend, rand } from './helpers.ts';
import { Sac } from '../../agents/sac/update.ts';
import type { NativeBackend } from '../../agents/tensor/kernels.ts';

// With the addon, the stock-kernel path (the tfjs-op versions of every kernel) is checked too.
const setups: [NativeBackend, boolean][] = addon ? [['wasm', true], ['cpu', true], ['wasm', false]] : [['wasm', false]];

describe.each(setups)('no leaks over 1000 SAC updates on %s (BLAS %s)', (backend, blas) => {
  it('live tensors, bytes and heap stay flat', async () => {
    await useBackend(backend, blas);
    const B = 32;
    const sac = new Sac({ obsDim: 10, actDim: 3, numTasks: 3, hidden: [32, 32], seed: 1 });
    const batch = tf.tidy(() => ({
      obs: rand([B, 10], 1) as tf.Tensor2D,
      action: rand([B, 3], 2) as tf.Tensor2D,
      reward: rand([B, 1], 3) as tf.Tensor2D,
      nextObs: rand([B, 10], 4) as tf.Tensor2D,
      terminated: tf.zeros([B, 1]) as tf.Tensor2D,
      task: tf.randomUniform([B], 0, 3, 'int32', 5) as tf.Tensor1D,
    }));
    const heap = (): number => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const wasm = (tf.backend() as any).wasm;
      return wasm ? wasm.HEAPU8.buffer.byteLength : 0;
    };
    for (let i = 0; i < 20; i++) sac.update(batch, { metrics: i % 10 === 0 });
    const before = { tensors: tf.memory().numTensors, bytes: tf.memory().numBytes, heap: heap(), dataIds: tf.engine().backend.numDataIds() };
    const samples: number[] = [];
    for (let i = 0; i < 1000; i++) {
      // every 100th step also reads the metrics, the other code path through update()
      sac.update(batch, { metrics: i % 100 === 0 });
      if (i % 100 === 99) samples.push(tf.memory().numTensors);
    }
    const after = { tensors: tf.memory().numTensors, bytes: tf.memory().numBytes, heap: heap(), dataIds: tf.engine().backend.numDataIds() };
    expect(samples.every((n) => n === before.tensors)).toBe(true);
    expect(after).toEqual(before);
    // and the update did something: parameters are finite and moved
    expect(sac.actorOpt.steps).toBe(1020);
    expect(Array.from(sac.actorParams[0].dataSync()).every(Number.isFinite)).toBe(true);
    tf.dispose(Object.values(batch));
    sac.dispose();
  }, 120_000);
});
