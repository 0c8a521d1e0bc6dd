// Gradient surgery, PCGrad (Yu et al. 2020, "Gradient Surgery for Multi-Task Learning"): each
// task's gradient, where it conflicts with another task's (negative dot product), is projected
// onto the normal plane of that gradient; the projected gradients are then summed.
//
//   for each task i:  g_i' = g_i
//     for each other task j, in a random order:  if g_i' . g_j < 0:  g_i' -= (g_i' . g_j) / |g_j|^2 g_j
//   g = sum_i g_i'
//
// As in the paper's Algorithm 1 and its authors' code, over the whole parameter vector: the
// coordinates only one task touches (multihead's head columns, an independent network) are zero in
// every other task's gradient, so they never change a dot product's sign; they do count in the
// norms. Host-side, on gradients flattened into one float32 vector per task (dot products summed in
// double precision).
import type { Rng } from '../../sim/rng.ts';

/** A random order of 0 .. n-1 (Fisher-Yates with the given generator). */
export function shuffledOrder(n: number, rng: Rng): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/**
 * The PCGrad sum of per-task gradients (all the same length), visiting the other tasks in `order`
 * (a permutation of the task indices; each task skips itself). Returns a new vector.
 */
export function pcgrad(grads: readonly Float32Array[], order: readonly number[]): Float32Array {
  const K = grads.length;
  const n = K ? grads[0].length : 0;
  if (grads.some((g) => g.length !== n)) throw new RangeError('pcgrad: per-task gradients of different lengths');
  if (order.length !== K || [...order].sort((a, b) => a - b).some((v, i) => v !== i)) throw new RangeError(`pcgrad: order [${order.join(', ')}] is not a permutation of ${K} tasks`);
  const sq = grads.map((g) => dot(g, g));
  const out = new Float32Array(n);
  const gi = new Float32Array(n);
  for (let i = 0; i < K; i++) {
    gi.set(grads[i]);
    for (const j of order) {
      if (j === i || sq[j] === 0) continue;
      const d = dot(gi, grads[j]);
      if (d >= 0) continue;
      const c = d / sq[j];
      const gj = grads[j];
      for (let k = 0; k < n; k++) gi[k] -= c * gj[k];
    }
    for (let k = 0; k < n; k++) out[k] += gi[k];
  }
  return out;
}

/** a . b, summed in double precision (float32 arrays only: one shape of call keeps it fast). */
function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k] * b[k];
  return s;
}
