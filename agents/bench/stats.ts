// The report's statistics, as pure functions of learning curves (tested on synthetic curves in
// test/bench/stats.test.ts). A curve is a run's evaluation success for one task against env steps
// *per task*, so single-task and multi-task runs share one x axis.

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
 * Negative transfer, the rule the report states: multi-task's mean final success is below
 * single-task's by more than the sum of the two sample standard deviations over seeds. It needs at
 * least two seeds on each side (otherwise seed noise is unknown and the answer is null).
 */
export function negativeTransfer(multi: CellStats | null, single: CellStats | null): { flag: boolean | null; gap: number | null; noise: number | null } {
  if (!multi || !single) return { flag: null, gap: null, noise: null };
  const gap = single.finalMean - multi.finalMean;
  if (multi.finalStd === null || single.finalStd === null) return { flag: null, gap, noise: null };
  const noise = multi.finalStd + single.finalStd;
  return { flag: gap > noise + 1e-12, gap, noise };
}

/** Per x, mean / min / max over curves (seeds), over the curves that have a point at that x. */
export function band(curves: readonly (readonly CurvePoint[])[]): { x: number; mean: number; min: number; max: number; n: number }[] {
  const byX = new Map<number, number[]>();
  for (const c of curves) for (const p of c) (byX.get(p.x) ?? byX.set(p.x, []).get(p.x)!).push(p.y);
  return [...byX.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([x, ys]) => ({ x, mean: mean(ys)!, min: Math.min(...ys), max: Math.max(...ys), n: ys.length }));
}
