// Interval estimates for the benchmark report, after Agarwal et al. 2021 ("Deep RL at the edge of
// the statistical precipice", the rliable library): the interquartile mean and a seeded, stratified
// bootstrap with percentile intervals. Pure functions; the generator is sim/rng.ts's, so a report
// computed twice from the same runs is identical to the byte.
import { Rng } from '../../sim/rng.ts';

/**
 * Scores of one condition, one column per task (its seeds' values). `joint`: index i of every column
 * is the same run (a multi-task run scores every task with one network), so a resample draws whole
 * runs; otherwise (single-task runs) each column is resampled on its own. Either way each task keeps
 * its own number of seeds: the bootstrap is stratified by task.
 */
export interface ScoreSet {
  columns: number[][];
  joint: boolean;
}

export interface BootstrapOptions {
  /** Bootstrap resamples. */
  reps: number;
  /** Seed of the resampling generator; with `key`, it fixes every resample. */
  seed: number;
  /** Interval coverage, e.g. 0.95. */
  level: number;
}

export const BOOTSTRAP_DEFAULTS: BootstrapOptions = { reps: 10_000, seed: 0, level: 0.95 };

/** A point estimate and its percentile bootstrap interval (null where resampling cannot vary it). */
export interface Estimate {
  point: number;
  lo: number | null;
  hi: number | null;
}

/**
 * Interquartile mean, as rliable (scipy's trim_mean with proportion 0.25): sort, drop floor(n / 4)
 * values at each end, average the rest. 5 seeds: the middle 3; 4: the middle 2; 2 or 3: all of them.
 */
export function iqm(xs: readonly number[]): number {
  if (!xs.length) throw new RangeError('iqm of no values');
  const s = Float64Array.from(xs).sort();
  return trimmedSortedMean(s, s.length);
}

/** IQM of the first n values of an ascending array (no allocation; the bootstrap's inner loop). */
function trimmedSortedMean(s: Float64Array, n: number): number {
  const cut = Math.floor(n / 4);
  let sum = 0;
  for (let i = cut; i < n - cut; i++) sum += s[i];
  return sum / (n - 2 * cut);
}

/** Quantile of an ascending array by linear interpolation between order statistics (numpy's default). */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (!sorted.length) throw new RangeError('quantile of no values');
  const h = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const i = Math.floor(h);
  return i + 1 < sorted.length ? sorted[i] + (h - i) * (sorted[i + 1] - sorted[i]) : sorted[i];
}

/** 32-bit FNV-1a: each statistic's resamples come from its own stream, so adding one changes no other. */
export function streamOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function checkSet(s: ScoreSet, what: string): void {
  if (!s.columns.length || s.columns.some((c) => !c.length)) throw new RangeError(`${what}: every task needs at least one score`);
  if (s.joint && s.columns.some((c) => c.length !== s.columns[0].length)) throw new RangeError(`${what}: joint columns (one run per index) must have equal lengths`);
  for (const c of s.columns) for (const v of c) if (!Number.isFinite(v)) throw new RangeError(`${what}: score ${v} is not a finite number`);
}

/** Whether resampling can change anything: some task has two or more seeds. */
export function canVary(sets: readonly ScoreSet[]): boolean {
  return sets.some((s) => s.columns.some((c) => c.length > 1));
}

/** Draws one stratified resample of `s` into `out` (same shape). */
export function resampleInto(s: ScoreSet, rng: Rng, out: number[][]): void {
  if (s.joint) {
    const n = s.columns[0].length;
    for (let i = 0; i < n; i++) {
      const k = rng.int(n);
      for (let t = 0; t < s.columns.length; t++) out[t][i] = s.columns[t][k];
    }
  } else {
    for (let t = 0; t < s.columns.length; t++) {
      const c = s.columns[t];
      for (let i = 0; i < c.length; i++) out[t][i] = c[rng.int(c.length)];
    }
  }
}

/**
 * A statistic of one or more score sets with its percentile bootstrap interval: every resample
 * redraws each set independently (stratified by task, whole runs where `joint`), the statistic is
 * recomputed, and the interval spans the (1 - level) / 2 and (1 + level) / 2 quantiles of those
 * values. `key` names the statistic; it picks the generator's stream.
 */
export function bootstrap(sets: readonly ScoreSet[], stat: (sets: readonly number[][][]) => number, key: string, opts: BootstrapOptions = BOOTSTRAP_DEFAULTS): Estimate {
  sets.forEach((s, i) => checkSet(s, `${key} (set ${i})`));
  const point = stat(sets.map((s) => s.columns));
  if (!canVary(sets)) return { point, lo: null, hi: null };
  const rng = new Rng(opts.seed, streamOf(key));
  const bufs = sets.map((s) => s.columns.map((c) => new Array<number>(c.length)));
  const values = new Float64Array(opts.reps);
  for (let r = 0; r < opts.reps; r++) {
    sets.forEach((s, i) => resampleInto(s, rng, bufs[i]));
    values[r] = stat(bufs);
  }
  values.sort();
  const a = (1 - opts.level) / 2;
  return { point, lo: quantile(values, a), hi: quantile(values, 1 - a) };
}

/**
 * Like bootstrap(), for a statistic with one value per threshold (a performance profile): one set of
 * resamples, an interval per output. `stat` writes its values into `out`.
 */
export function bootstrapVector(set: ScoreSet, size: number, stat: (columns: readonly number[][], out: Float64Array) => void, key: string, opts: BootstrapOptions = BOOTSTRAP_DEFAULTS): { point: number[]; lo: number[] | null; hi: number[] | null } {
  checkSet(set, key);
  const point = new Float64Array(size);
  stat(set.columns, point);
  if (!canVary([set])) return { point: [...point], lo: null, hi: null };
  const rng = new Rng(opts.seed, streamOf(key));
  const buf = set.columns.map((c) => new Array<number>(c.length));
  const values = Array.from({ length: size }, () => new Float64Array(opts.reps));
  const one = new Float64Array(size);
  for (let r = 0; r < opts.reps; r++) {
    resampleInto(set, rng, buf);
    stat(buf, one);
    for (let j = 0; j < size; j++) values[j][r] = one[j];
  }
  const a = (1 - opts.level) / 2;
  const lo: number[] = [];
  const hi: number[] = [];
  for (const v of values) {
    v.sort();
    lo.push(quantile(v, a));
    hi.push(quantile(v, 1 - a));
  }
  return { point: [...point], lo, hi };
}

// ---- the statistics the report bootstraps ------------------------------------------------------

/** IQM over every score of every task pooled (rliable's aggregate IQM; one task: that task's IQM). */
export function pooledIqm(columns: readonly number[][]): number {
  let n = 0;
  for (const c of columns) n += c.length;
  const s = new Float64Array(n);
  let k = 0;
  for (const c of columns) for (const v of c) s[k++] = v;
  s.sort();
  return trimmedSortedMean(s, n);
}

/**
 * Probability that a run of X scores higher than a run of Y on the same task, averaged over tasks
 * (column t of each is task t): per task, the Mann-Whitney U statistic over nx x ny, ties counting
 * one half. 1: every X run beats every Y run on every task; 0.5: no difference in ranks.
 */
export function probabilityOfImprovement(x: readonly number[][], y: readonly number[][]): number {
  if (x.length !== y.length || !x.length) throw new RangeError('probability of improvement needs the same tasks, at least one, on both sides');
  let total = 0;
  for (let t = 0; t < x.length; t++) {
    let wins = 0;
    for (const a of x[t]) for (const b of y[t]) wins += a > b ? 1 : a === b ? 0.5 : 0;
    total += wins / (x[t].length * y[t].length);
  }
  return total / x.length;
}
