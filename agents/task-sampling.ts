// Success-weighted task sampling: each update's batch gives more rows to the tasks the policy
// fails at, as measured by its recent training episodes. A task's weight is exp((1 - success) / T)
// (T the temperature: small T puts nearly every row on the hardest task, large T is uniform), and a
// floor keeps a share of the batch spread evenly, so a mastered task keeps being rehearsed and
// never drifts. Temperature 0 turns it off: task-balanced batches, the same rows for every task.
//
// Rows are whole numbers: the shares are rounded by largest remainder, so they sum to the batch.

/** Rows per task for one batch: floor/K of the batch evenly, the rest by exp((1 - success) / T). */
export function taskCounts(success: ArrayLike<number>, batch: number, temperature: number, floor: number): Int32Array {
  const K = success.length;
  if (K === 0) throw new RangeError('task counts need at least one task');
  if (!(temperature > 0)) throw new RangeError(`task-sampling temperature must be above 0, got ${temperature}`);
  if (!(floor >= 0 && floor <= 1)) throw new RangeError(`task-sampling floor must be in [0, 1], got ${floor}`);
  const w = Array.from(success, (s) => Math.exp((1 - Math.min(1, Math.max(0, s))) / temperature));
  const total = w.reduce((a, b) => a + b, 0);
  const share = w.map((x) => floor / K + (1 - floor) * (x / total));
  const exact = share.map((p) => p * batch);
  const counts = Int32Array.from(exact, Math.floor);
  let left = batch - counts.reduce((a, b) => a + b, 0);
  // Largest remainders first; ties to the lower task index, so the result is deterministic.
  const order = exact.map((e, t) => [e - Math.floor(e), t] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let i = 0; left > 0; i = (i + 1) % K, left--) counts[order[i][1]]++;
  return counts;
}

export interface TaskSamplingOptions {
  /** 0: task-balanced batches. */
  temperature: number;
  floor: number;
  /** Recent episodes per task that make its success rate. */
  window?: number;
}

/** Keeps each task's recent training outcomes and turns them into per-task batch rows. */
export class TaskSampler {
  private readonly recent: number[][];
  private readonly window: number;
  private cached: { batch: number; counts: Int32Array } | null = null;

  /** `recent`: each task's last outcomes (1 success, 0 not), as a checkpoint keeps them. */
  constructor(readonly numTasks: number, readonly opts: TaskSamplingOptions, recent?: number[][]) {
    this.window = opts.window ?? 20;
    this.recent = recent?.length === numTasks ? recent.map((r) => r.slice(-this.window)) : Array.from({ length: numTasks }, () => []);
  }

  /** One finished training episode of `task`. */
  record(task: number, success: boolean): void {
    const r = this.recent[task];
    r.push(success ? 1 : 0);
    if (r.length > this.window) r.shift();
    this.cached = null;
  }

  /** Success rate over each task's recent episodes (0 before it has any: unknown counts as hard). */
  successRates(): number[] {
    return this.recent.map((r) => (r.length ? r.reduce((a, b) => a + b, 0) / r.length : 0));
  }

  /** Rows per task for a batch, or undefined for task-balanced batches (temperature 0). */
  counts(batch: number): Int32Array | undefined {
    if (this.opts.temperature === 0) return undefined;
    if (this.cached?.batch !== batch) this.cached = { batch, counts: taskCounts(this.successRates(), batch, this.opts.temperature, this.opts.floor) };
    return this.cached.counts;
  }

  /** What a checkpoint keeps. */
  getState(): number[][] {
    return this.recent.map((r) => r.slice());
  }
}
