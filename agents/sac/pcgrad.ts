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
 *
 * Every projected g_i' is a combination sum_m c_m g_m of the original gradients, so its dot
 * products are sum_m c_m G[m][j] with G the tasks' Gram matrix: the projections run on K x K
 * numbers, and the vectors are read K (K + 1) / 2 times for G and K times for the sum.
 */
export function pcgrad(grads: readonly Float32Array[], order: readonly number[]): Float32Array {
  const K = grads.length;
  const n = K ? grads[0].length : 0;
  if (grads.some((g) => g.length !== n)) throw new RangeError('pcgrad: per-task gradients of different lengths');
  if (order.length !== K || [...order].sort((a, b) => a - b).some((v, i) => v !== i)) throw new RangeError(`pcgrad: order [${order.join(', ')}] is not a permutation of ${K} tasks`);
  const G = grads.map(() => new Float64Array(K));
  for (let a = 0; a < K; a++) for (let b = a; b < K; b++) G[a][b] = G[b][a] = dot(grads[a], grads[b]);
  // weight[m]: how much of g_m the sum of the projected gradients holds.
  const weight = new Float64Array(K);
  const c = new Float64Array(K);
  for (let i = 0; i < K; i++) {
    c.fill(0);
    c[i] = 1;
    for (const j of order) {
      if (j === i || G[j][j] === 0) continue;
      let d = 0; // g_i' . g_j
      for (let m = 0; m < K; m++) d += c[m] * G[m][j];
      if (d < 0) c[j] -= d / G[j][j];
    }
    for (let m = 0; m < K; m++) weight[m] += c[m];
  }
  const out = new Float32Array(n);
  for (let m = 0; m < K; m++) {
    const w = weight[m];
    const g = grads[m];
    if (w !== 0) for (let k = 0; k < n; k++) out[k] += w * g[k];
  }
  return out;
}

/** a . b, summed in double precision. */
function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k] * b[k];
  return s;
}
