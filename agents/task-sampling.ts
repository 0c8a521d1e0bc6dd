// Task sampling weighted by difficulty (the `+weighted` strategy): how many rows of each update's
// batch each task gets, from each task's recent training success. Hard tasks (low success) get more
// rows; a floor keeps every task in every batch. Pure functions, so the count rule can be reused by
// any recipe and tested on its own; the success window lives in the run's checkpointed state.

/**
 * Rows per task for a batch of `batch` rows: weights w_t = exp((1 - success_t) / T), normalised to
 * p_t, then mixed with the uniform share, q_t = floor / K + (1 - floor) p_t, so every task keeps at
 * least floor / K of the batch (floor 1: uniform; floor 0: the temperature alone). Counts are
 * batch * q_t rounded by largest remainder (ties to the lower task index), so they sum to `batch`.
 */
export function taskCounts(success: readonly number[], batch: number, T: number, floor: number): number[] {
  const K = success.length;
  if (K === 0) throw new RangeError('taskCounts: no tasks');
  if (!Number.isInteger(batch) || batch < 0) throw new RangeError(`taskCounts: batch must be a non-negative integer, got ${batch}`);
  if (!(T > 0)) throw new RangeError(`taskCounts: temperature must be above 0, got ${T}`);
  if (!(floor >= 0 && floor <= 1)) throw new RangeError(`taskCounts: floor must be in [0, 1], got ${floor}`);
  for (const s of success) if (!(s >= 0 && s <= 1)) throw new RangeError(`taskCounts: success rates must be in [0, 1], got ${s}`);
  // Shifted by the largest exponent (the easiest task's) so a small T cannot overflow.
  const z = success.map((s) => (1 - s) / T);
  const top = Math.max(...z);
  const w = z.map((v) => Math.exp(v - top));
  const sum = w.reduce((a, b) => a + b, 0);
  const share = w.map((v) => floor / K + (1 - floor) * (v / sum));
  const exact = share.map((q) => q * batch);
  const counts = exact.map(Math.floor);
  let left = batch - counts.reduce((a, b) => a + b, 0);
  const byRemainder = exact.map((e, t) => [e - counts[t], t] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let i = 0; left > 0; i = (i + 1) % K, left--) counts[byRemainder[i][1]]++;
  return counts;
}

/**
 * Each task's last `size` training outcomes (1 success, 0 failure), oldest first: plain arrays, so
 * the run's checkpoint stores them as they are and a resumed run weighs its batches exactly as the
 * uninterrupted one would have.
 */
export type SuccessWindow = number[][];

export function emptyWindow(numTasks: number): SuccessWindow {
  return Array.from({ length: numTasks }, () => []);
}

/** Adds one finished episode's outcome to its task's window, dropping the oldest beyond `size`. */
export function recordOutcome(window: SuccessWindow, task: number, success: boolean, size: number): void {
  const w = window[task];
  w.push(success ? 1 : 0);
  while (w.length > size) w.shift();
}

/** Success rate per task over its window; a task with no finished episode yet counts as 0 (hard). */
export function successRates(window: SuccessWindow): number[] {
  return window.map((w) => (w.length === 0 ? 0 : w.reduce((a, b) => a + b, 0) / w.length));
}
