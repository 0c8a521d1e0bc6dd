// Performance profiles (Agarwal et al. 2021): for each threshold tau, the fraction of runs whose
// score on a task exceeds tau, every task and seed pooled; a curve that lies higher is better at
// every level of success, which a single average can hide. Bands are percentile bootstrap
// intervals, resampling seeds within each task (bootstrap.ts).
import { bootstrapVector, BOOTSTRAP_DEFAULTS, type BootstrapOptions, type ScoreSet } from './bootstrap.ts';

/** Thresholds the report evaluates profiles at: 0, 0.02, ..., 1. */
export const PROFILE_TAUS: readonly number[] = Array.from({ length: 51 }, (_, i) => i / 50);

/** Fraction of scores strictly above tau (rliable's score distribution), over every column pooled. */
export function fractionAbove(columns: readonly (readonly number[])[], tau: number): number {
  let n = 0;
  let above = 0;
  for (const c of columns) {
    for (const v of c) {
      n++;
      if (v > tau) above++;
    }
  }
  if (!n) throw new RangeError('performance profile of no scores');
  return above / n;
}

export interface Profile {
  taus: number[];
  fraction: number[];
  /** Per tau, the interval's ends; null when no task has two seeds. */
  lo: number[] | null;
  hi: number[] | null;
}

export function performanceProfile(set: ScoreSet, key: string, taus: readonly number[] = PROFILE_TAUS, opts: BootstrapOptions = BOOTSTRAP_DEFAULTS): Profile {
  const stat = (columns: readonly number[][], out: Float64Array) => {
    // One pass over the pooled, sorted scores: the count above each (ascending) tau.
    const all = Float64Array.from(columns.flat()).sort();
    let k = 0;
    taus.forEach((tau, j) => {
      while (k < all.length && all[k] <= tau) k++;
      out[j] = (all.length - k) / all.length;
    });
  };
  for (let j = 1; j < taus.length; j++) if (!(taus[j] > taus[j - 1])) throw new RangeError('profile thresholds must be ascending');
  const r = bootstrapVector(set, taus.length, stat, key, opts);
  return { taus: [...taus], fraction: r.point, lo: r.lo, hi: r.hi };
}
