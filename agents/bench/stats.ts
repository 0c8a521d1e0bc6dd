// The report's statistics, as pure functions of learning curves (tested on synthetic curves in
// test/bench/stats.test.ts). A curve is a run's evaluation success for one task against env steps
// *per task*, so single-task and multi-task runs share one x axis. The interval estimates (IQM,
// probability of improvement, profiles) are built on bootstrap.ts and profiles.ts.
import { bootstrap, BOOTSTRAP_DEFAULTS, pooledIqm, type BootstrapOptions, type Estimate } from './bootstrap.ts';

export interface CurvePoint {
  /** Env steps spent on this task (a K-task run's total divided by K). */
  x: number;
  /** Evaluation success rate in [0, 1]. */
  y: number;
  /** The run's wall-clock seconds at this evaluation. */
  wall: number;
}

/** Default success threshold for "steps to reach". */
export const THRESHOLD = 0.8;

export function mean(xs: readonly number[]): number | null {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
}

/** Sample standard deviation (n - 1); null below two values, where seed noise cannot be estimated. */
export function sampleStd(xs: readonly number[]): number | null {
  if (xs.length < 2) return null;
  const m = mean(xs)!;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
}

/**
 * Normalised area under the success curve: the trapezoid rule over the evaluation points, divided
 * by the x range they span, so it is the curve's average success in [0, 1] (1 = solved from the
 * first evaluation on). A single point gives its own value. Points are sorted by x first.
 */
export function auc(points: readonly CurvePoint[]): number | null {
  if (!points.length) return null;
  const p = [...points].sort((a, b) => a.x - b.x);
  if (p.length === 1 || p[p.length - 1].x === p[0].x) return p[p.length - 1].y;
  let area = 0;
  for (let i = 1; i < p.length; i++) area += ((p[i].y + p[i - 1].y) / 2) * (p[i].x - p[i - 1].x);
  return area / (p[p.length - 1].x - p[0].x);
}

/** The first evaluation at or above the threshold: its env steps per task and wall time, or null. */
export function firstReach(points: readonly CurvePoint[], threshold = THRESHOLD): { x: number; wall: number } | null {
  const p = [...points].sort((a, b) => a.x - b.x).find((q) => q.y >= threshold);
  return p ? { x: p.x, wall: p.wall } : null;
}

export interface SeedResult {
  seed: number;
  final: number;
  auc: number;
  /** Env steps per task at the first evaluation >= threshold; null when never reached. */
  stepsToThreshold: number | null;
  wallToThreshold: number | null;
}

export interface CellStats {
  seeds: number;
  finalMean: number;
  /** Sample std over seeds (null with one seed). */
  finalStd: number | null;
  aucMean: number;
  aucStd: number | null;
  /** Seeds that reached the threshold within the budget. */
  reached: number;
  /** Mean over the seeds that reached it (null when none did). */
  stepsMean: number | null;
  wallMean: number | null;
}

export function cellStats(rows: readonly SeedResult[]): CellStats | null {
  if (!rows.length) return null;
  const hit = rows.filter((r) => r.stepsToThreshold !== null);
  return {
    seeds: rows.length,
    finalMean: mean(rows.map((r) => r.final))!,
    finalStd: sampleStd(rows.map((r) => r.final)),
    aucMean: mean(rows.map((r) => r.auc))!,
    aucStd: sampleStd(rows.map((r) => r.auc)),
    reached: hit.length,
    stepsMean: mean(hit.map((r) => r.stepsToThreshold!)),
    wallMean: mean(hit.map((r) => r.wallToThreshold!)),
  };
}

export type RatioKind = 'exact' | 'lower-bound' | 'upper-bound' | 'unknown';

/**
 * Sample-efficiency ratio: mean env steps per task to the threshold, multi-task over single-task
 * (below 1: multi-task needs fewer steps per task). A seed that never reached the threshold counts
 * as the budget; then the ratio is only a bound: a lower bound when only multi-task seeds missed
 * (multi-task needs at least that), an upper bound when only single-task seeds missed, unknown
 * when both missed some, or when no seed of either reached it.
 */
export function efficiencyRatio(multi: readonly SeedResult[], single: readonly SeedResult[], budget: number): { ratio: number | null; kind: RatioKind } {
  if (!multi.length || !single.length) return { ratio: null, kind: 'unknown' };
  const missM = multi.some((r) => r.stepsToThreshold === null);
  const missS = single.some((r) => r.stepsToThreshold === null);
  const allMissM = multi.every((r) => r.stepsToThreshold === null);
  const allMissS = single.every((r) => r.stepsToThreshold === null);
  if ((missM && missS) || (allMissM && allMissS)) return { ratio: null, kind: 'unknown' };
  const m = mean(multi.map((r) => r.stepsToThreshold ?? budget))!;
  const s = mean(single.map((r) => r.stepsToThreshold ?? budget))!;
  return { ratio: m / s, kind: missM ? 'lower-bound' : missS ? 'upper-bound' : 'exact' };
}

/**
 * Fewest seeds on each side for a negative-transfer verdict. On synthetic noise (multi-task and
 * single-task scores from one distribution; test/bench/bootstrap.test.ts) the percentile interval
 * of the difference lies wholly below zero on about 18% of tasks with 2 seeds and 9% with 3 (the
 * bootstrap of so few values is too narrow), against 3-5% with 4 or 5, near the nominal 2.5%.
 */
export const MIN_SEEDS_FOR_FLAG = 4;

export interface TransferTest {
  /** IQM of multi-task final success minus IQM of single-task's, with its bootstrap interval. */
  diff: Estimate | null;
  /**
   * true: the whole interval lies below zero (negative transfer shown); false: it does not (not
   * shown, which with few seeds is not "absent"); null: a side has fewer than MIN_SEEDS_FOR_FLAG.
   */
  flag: boolean | null;
  seedsMulti: number;
  seedsSingle: number;
}

/**
 * Negative transfer on one task: the difference of the two conditions' IQMs of final success, each
 * side's seeds resampled on their own (they are different runs).
 */
export function transferTest(multi: readonly number[], single: readonly number[], key: string, opts: BootstrapOptions = BOOTSTRAP_DEFAULTS): TransferTest {
  const seeds = { seedsMulti: multi.length, seedsSingle: single.length };
  if (!multi.length || !single.length) return { diff: null, flag: null, ...seeds };
  const sets = [{ columns: [[...multi]], joint: false }, { columns: [[...single]], joint: false }];
  const diff = bootstrap(sets, ([m, s]) => pooledIqm(m) - pooledIqm(s), key, opts);
  const enough = multi.length >= MIN_SEEDS_FOR_FLAG && single.length >= MIN_SEEDS_FOR_FLAG;
  return { diff, flag: enough && diff.hi !== null ? diff.hi < 0 : null, ...seeds };
}

/** IQM of one cell's seeds with its interval (seeds resampled with replacement). */
export function iqmEstimate(values: readonly number[], key: string, opts: BootstrapOptions = BOOTSTRAP_DEFAULTS): Estimate {
  return bootstrap([{ columns: [[...values]], joint: false }], ([s]) => pooledIqm(s), key, opts);
}

/** Per x, mean / min / max over curves (seeds), over the curves that have a point at that x. */
export function band(curves: readonly (readonly CurvePoint[])[]): { x: number; mean: number; min: number; max: number; n: number }[] {
  const byX = new Map<number, number[]>();
  for (const c of curves) for (const p of c) (byX.get(p.x) ?? byX.set(p.x, []).get(p.x)!).push(p.y);
  return [...byX.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([x, ys]) => ({ x, mean: mean(ys)!, min: Math.min(...ys), max: Math.max(...ys), n: ys.length }));
}
