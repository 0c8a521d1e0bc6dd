// Builds a sweep's report from its run folders: results.json (everything, machine-readable),
// results.csv (one row per task x condition), results-seeds.csv (one per run x task) and
// results-aggregate.csv (one per condition), report.md (the tables people read), learning-curve and
// performance-profile SVGs and a copy of every run's raw metrics. It reads only files, so it can run
// at any time: on a partial sweep it reports what has finished and says so. Nothing in it depends
// on the clock: the same runs give the same report, byte for byte (the bootstrap is seeded).
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { resolveTaskArgs } from '../../sim/registry.ts';
import type { TaskSummary } from '../../sim/rollout.ts';
import type { MetricsRow } from '../train/observer.ts';
import { METRICS_FILE } from '../train/run-folder.ts';
import { bootstrap, BOOTSTRAP_DEFAULTS, pooledIqm, probabilityOfImprovement, type BootstrapOptions, type Estimate, type ScoreSet } from './bootstrap.ts';
import type { GitState } from './git-state.ts';
import { performanceProfile, PROFILE_TAUS } from './profiles.ts';
import { ATTEMPTS_FILE, DONE_FILE, ERROR_FILE, planRuns, SINGLE, sweepSchema, type RunPlan, type SweepSpec } from './spec.ts';
import { auc, band, cellStats, efficiencyRatio, firstReach, iqmEstimate, mean, MIN_SEEDS_FOR_FLAG, THRESHOLD, transferTest, type CellStats, type CurvePoint, type RatioKind, type SeedResult } from './stats.ts';
import { curvesSvg, profilesSvg, type Panel } from './svg.ts';

export const INVOCATIONS_FILE = 'invocations.jsonl';
export const RESULTS_FILE = 'results.json';

export interface Invocation {
  command: string;
  cwd: string;
  startedAt: string;
  git: GitState;
  node: string;
  machine: { cpu: string; cores: number; memoryGiB: number; platform: string; arch: string };
  /** Settings read from the environment that change numbers: backend, BLAS threads, Rapier flavour. */
  env?: Record<string, string>;
}

export type RunState = 'done' | 'failed' | 'partial' | 'pending';

/** One start of a run's process, as run-one.ts logs it in attempts.jsonl. */
interface Attempt {
  startedAt?: string;
  /** Env steps of the checkpoint it resumed from; 0 = it started from scratch. */
  resumedFrom: number;
  backend?: string;
  /** Through a queue: the worker that ran it, and that worker's machine. */
  worker?: string;
  machine?: string;
  /** Through a queue: the worker's git commit when it ran the attempt. */
  commit?: string | null;
}

export interface RunResult {
  id: string;
  condition: string;
  seed: number;
  tasks: string[];
  state: RunState;
  /** Env steps per task reached so far (last metrics row). */
  stepsPerTask: number;
  wallSeconds: number | null;
  /** Some attempt resumed from a checkpoint (deterministic, but not bit-identical to one uninterrupted run). */
  resumed: boolean;
  /** Process starts; more than one when the run was stopped, lost or retried. */
  attempts: number;
  /** Total env steps of each checkpoint a later attempt resumed from. */
  resumedFrom: number[];
  /** Later attempts that found no usable checkpoint and started the run over. */
  restarts: number;
  /** When its newest record was written: its finish, else its latest start (null if unknown). */
  updatedAt: string | null;
  /** Through a queue: the workers of its attempts and their machines (absent for local runs). */
  workers?: Record<string, string | null>;
  /** Through a queue: the git commits its attempts ran at, in attempt order (absent when unknown). */
  commits?: string[];
  backend: string | null;
  error: string | null;
  /** Per task: evaluation success vs env steps per task. */
  curves: Record<string, CurvePoint[]>;
  /** Per task: train()'s final evaluation (finished runs only). */
  final: Record<string, number>;
}

export interface Cell extends CellStats {
  task: string;
  condition: string;
  perSeed: SeedResult[];
  /** Interquartile mean over seeds of final success and of AUC, with bootstrap intervals. */
  finalIqm: Estimate;
  aucIqm: Estimate;
}

/** A multi-task condition against single-task on one task. */
export interface Comparison {
  task: string;
  condition: string;
  ratio: number | null;
  ratioKind: RatioKind;
  /** IQM of final success, multi-task minus single-task, with its interval (null without both sides). */
  diff: Estimate | null;
  /** true: the whole interval below zero; false: not shown; null: too few seeds for a verdict. */
  negativeTransfer: boolean | null;
  seedsMulti: number;
  seedsSingle: number;
}

/** One condition across tasks: every finished run's score on every task, pooled. */
export interface Aggregate {
  condition: string;
  /** Tasks with at least one finished run, and the (run, task) scores pooled over them. */
  tasks: number;
  scores: number;
  /** Seeds per task, fewest and most (equal in a complete sweep). */
  seedsMin: number;
  seedsMax: number;
  finalIqm: Estimate;
  aucIqm: Estimate;
  finalMean: number;
  /** P(a run of this condition beats a single-task run on the same task), over the tasks both have; null for single-task itself. */
  improvement: Estimate | null;
  improvementTasks: number;
}

export interface ProfileSeries {
  condition: string;
  fraction: number[];
  lo: number[] | null;
  hi: number[] | null;
}

export interface StatisticsSettings extends BootstrapOptions {
  interval: 'percentile';
  minSeedsForFlag: number;
}

export interface Results {
  /** When the newest of the results came in: the latest finished run, attempt or sweep command. */
  dataAsOf: string | null;
  complete: boolean;
  spec: SweepSpec;
  threshold: number;
  runsTotal: number;
  runsDone: number;
  runs: RunResult[];
  cells: Cell[];
  comparisons: Comparison[];
  aggregates: Aggregate[];
  /** Performance profiles of final success: fraction of (run, task) scores above each tau. */
  profiles: { taus: number[]; series: ProfileSeries[] };
  statistics: StatisticsSettings;
  provenance: {
    invocations: Invocation[];
    backends: string[];
    episodeLengths: Record<string, number>;
    /** A sweep through a queue: every worker that ran an attempt, and its machine. */
    workers?: Record<string, string | null>;
    /** A sweep through a queue: each git commit the workers ran attempts at, and how many runs ran at it. */
    runCommits?: Record<string, number>;
  };
}

/** A JSONL file's records (none when absent; a half-written line, from a killed process, skipped). */
export function readJsonl<T>(path: string): T[] {
  if (!existsSync(path)) return [];
  const out: T[] = [];
  for (const l of readFileSync(path, 'utf8').split('\n')) {
    if (!l.trim()) continue;
    try {
      out.push(JSON.parse(l) as T);
    } catch {
      // a half-written last line of a killed run
    }
  }
  return out;
}

/** A run's evaluation curve per task, per-task env steps; the last row wins at a repeated x. */
export function curvesFromRows(rows: MetricsRow[], tasks: string[]): Record<string, CurvePoint[]> {
  const K = tasks.length;
  const out: Record<string, CurvePoint[]> = {};
  for (const t of tasks) {
    const byX = new Map<number, CurvePoint>();
    for (const r of rows) {
      const e = r.tasks[t]?.evalSuccess;
      // One evaluation per step count; rows of runs from builds that evaluated the last step twice
      // keep the later one (the final evaluation, the run's reported result).
      if (e !== undefined) byX.set(r.envSteps / K, { x: r.envSteps / K, y: e, wall: r.wallSeconds });
    }
    out[t] = [...byX.values()].sort((a, b) => a.x - b.x);
  }
  return out;
}

/** One run's state and results from its folder (`<sweep>/runs/<id>`, or a report's `raw/<id>`). */
export function loadRunFrom(dir: string, plan: RunPlan): RunResult {
  const rows = readJsonl<MetricsRow>(join(dir, METRICS_FILE));
  const attempts = readJsonl<Attempt>(join(dir, ATTEMPTS_FILE));
  const doneP = join(dir, DONE_FILE);
  let done: { final: TaskSummary[]; wallSeconds: number; resumed: boolean; backend: string; finishedAt?: string } | null = null;
  if (existsSync(doneP)) {
    try {
      done = JSON.parse(readFileSync(doneP, 'utf8'));
    } catch (e) {
      throw new Error(`${doneP}: not valid JSON (${(e as Error).message})`);
    }
    if (!Array.isArray(done?.final)) throw new Error(`${doneP}: no "final" list of per-task results`);
  }
  const errP = join(dir, ERROR_FILE);
  const error = !done && existsSync(errP) ? readFileSync(errP, 'utf8') : null;
  const state: RunState = done ? 'done' : error ? 'failed' : rows.length || attempts.length ? 'partial' : 'pending';
  const last = rows[rows.length - 1];
  const resumedFrom = attempts.filter((a) => a.resumedFrom > 0).map((a) => a.resumedFrom);
  return {
    id: plan.id,
    condition: plan.condition,
    seed: plan.seed,
    tasks: plan.taskNames,
    state,
    stepsPerTask: last ? last.envSteps / plan.taskNames.length : 0,
    wallSeconds: done?.wallSeconds ?? last?.wallSeconds ?? null,
    resumed: done?.resumed ?? resumedFrom.length > 0,
    attempts: attempts.length,
    resumedFrom,
    restarts: attempts.slice(1).filter((a) => a.resumedFrom === 0).length,
    updatedAt: latest([done?.finishedAt, ...attempts.map((a) => a.startedAt)]),
    backend: done?.backend ?? attempts[attempts.length - 1]?.backend ?? null,
    ...(attempts.some((a) => a.worker) ? { workers: Object.fromEntries(attempts.filter((a) => a.worker).map((a) => [a.worker!, a.machine ?? null])) } : {}),
    ...(attempts.some((a) => a.commit) ? { commits: [...new Set(attempts.map((a) => a.commit).filter((c): c is string => typeof c === 'string' && c.length > 0))] } : {}),
    error,
    curves: curvesFromRows(rows, plan.taskNames),
    final: done ? Object.fromEntries(done.final.map((f) => [f.task, f.successRate])) : {},
  };
}

export function loadRun(sweepDir: string, plan: RunPlan): RunResult {
  return loadRunFrom(join(sweepDir, 'runs', plan.id), plan);
}

/** Per-seed figures of one finished run on one task. */
export function seedResult(run: RunResult, task: string): SeedResult {
  const curve = run.curves[task] ?? [];
  const hit = firstReach(curve, THRESHOLD);
  return {
    seed: run.seed,
    final: run.final[task],
    auc: auc(curve) ?? run.final[task],
    stepsToThreshold: hit?.x ?? null,
    wallToThreshold: hit?.wall ?? null,
  };
}

/** The latest ISO time among the inputs (they sort as strings), or null. */
function latest(times: (string | null | undefined)[]): string | null {
  return times.filter((t): t is string => typeof t === 'string' && t.length > 0).sort().pop() ?? null;
}

/**
 * Score sets of one condition over the given tasks: for multi-task conditions one finished run per
 * seed scores every task (joint), for single-task each task has its own runs.
 */
function scoreSet(cells: readonly Cell[], tasks: readonly string[], condition: string, joint: boolean, pick: (s: SeedResult) => number): ScoreSet {
  const columns = tasks.map((t) => cells.find((c) => c.task === t && c.condition === condition)!.perSeed.map(pick));
  return { columns, joint: joint && columns.every((c) => c.length === columns[0].length) };
}

/** Everything the report shows, from run folders and the sweep's definition. */
export async function collectResults(sweepDir: string, spec: SweepSpec, opts: Partial<BootstrapOptions> = {}): Promise<Results> {
  const defs = await resolveTaskArgs(spec.tasks);
  return computeResults({
    spec,
    loadRun: (p) => loadRun(sweepDir, p),
    invocations: readJsonl<Invocation>(join(sweepDir, INVOCATIONS_FILE)),
    episodeLengths: Object.fromEntries(defs.map((d) => [d.name, d.maxSteps])),
    bootstrap: opts,
  });
}

/**
 * The same from a report folder alone (its results.json and raw/ copies of the runs), so a
 * committed report can be rebuilt where the sweep folder is gone. The sweep's definition, commands
 * and episode lengths are the ones the report recorded.
 */
export async function collectFromReport(reportDir: string, opts: Partial<BootstrapOptions> = {}): Promise<Results> {
  const path = join(reportDir, RESULTS_FILE);
  if (!existsSync(path)) throw new Error(`${reportDir}: no ${RESULTS_FILE}, so not a report folder`);
  if (!existsSync(join(reportDir, 'raw'))) throw new Error(`${reportDir}: no raw/ folder with the runs' metrics; the report cannot be rebuilt from it`);
  let old: { spec?: unknown; provenance?: { invocations?: Invocation[]; episodeLengths?: Record<string, number> } };
  try {
    old = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
  const parsed = sweepSchema.safeParse(old.spec);
  if (!parsed.success) throw new Error(`${path}: spec is not a valid sweep (${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})`);
  return computeResults({
    spec: parsed.data,
    loadRun: (p) => loadRunFrom(join(reportDir, 'raw', p.id), p),
    invocations: old.provenance?.invocations ?? [],
    episodeLengths: old.provenance?.episodeLengths ?? {},
    bootstrap: opts,
  });
}

export function computeResults(src: {
  spec: SweepSpec;
  loadRun: (p: RunPlan) => RunResult;
  invocations: Invocation[];
  episodeLengths: Record<string, number>;
  bootstrap: Partial<BootstrapOptions>;
}): Results {
  const { spec } = src;
  const bs: BootstrapOptions = { ...BOOTSTRAP_DEFAULTS, ...src.bootstrap };
  const runs = planRuns(spec).map(src.loadRun);
  const finished = runs.filter((r) => r.state === 'done');
  const cells: Cell[] = [];
  for (const task of spec.taskNames) {
    for (const c of spec.conditions) {
      const perSeed = finished.filter((r) => r.condition === c.id && r.tasks.includes(task)).map((r) => seedResult(r, task)).sort((a, b) => a.seed - b.seed);
      const st = cellStats(perSeed);
      if (!st) continue;
      const key = `${task}/${c.id}`;
      cells.push({
        task,
        condition: c.id,
        perSeed,
        ...st,
        finalIqm: iqmEstimate(perSeed.map((s) => s.final), `final-iqm/${key}`, bs),
        aucIqm: iqmEstimate(perSeed.map((s) => s.auc), `auc-iqm/${key}`, bs),
      });
    }
  }
  const cellOf = (task: string, cond: string) => cells.find((x) => x.task === task && x.condition === cond) ?? null;
  const hasSingle = spec.conditions.some((c) => c.kind === 'single');
  // Every condition that is not single-task is compared with it (architectures, strategies, ...).
  const others = spec.conditions.filter((c) => c.kind !== 'single');

  const comparisons: Comparison[] = [];
  if (hasSingle) {
    for (const task of spec.taskNames) {
      const single = cellOf(task, SINGLE);
      for (const c of others) {
        const multi = cellOf(task, c.id);
        const r = efficiencyRatio(multi?.perSeed ?? [], single?.perSeed ?? [], spec.budgetPerTask);
        const t = transferTest(multi?.perSeed.map((s) => s.final) ?? [], single?.perSeed.map((s) => s.final) ?? [], `transfer/${task}/${c.id}`, bs);
        comparisons.push({ task, condition: c.id, ratio: r.ratio, ratioKind: r.kind, diff: t.diff, negativeTransfer: t.flag, seedsMulti: t.seedsMulti, seedsSingle: t.seedsSingle });
      }
    }
  }

  const aggregates: Aggregate[] = [];
  const series: ProfileSeries[] = [];
  for (const c of spec.conditions) {
    const tasks = spec.taskNames.filter((t) => cellOf(t, c.id));
    if (!tasks.length) continue;
    const joint = c.kind !== 'single';
    const finalSet = scoreSet(cells, tasks, c.id, joint, (s) => s.final);
    const aucSet = scoreSet(cells, tasks, c.id, joint, (s) => s.auc);
    const counts = finalSet.columns.map((col) => col.length);
    let improvement: Estimate | null = null;
    let improvementTasks = 0;
    if (hasSingle && c.kind !== 'single') {
      const both = tasks.filter((t) => cellOf(t, SINGLE));
      improvementTasks = both.length;
      if (both.length) {
        const x = scoreSet(cells, both, c.id, joint, (s) => s.final);
        const y = scoreSet(cells, both, SINGLE, false, (s) => s.final);
        improvement = bootstrap([x, y], ([a, b]) => probabilityOfImprovement(a, b), `improvement/${c.id}`, bs);
      }
    }
    aggregates.push({
      condition: c.id,
      tasks: tasks.length,
      scores: counts.reduce((a, b) => a + b, 0),
      seedsMin: Math.min(...counts),
      seedsMax: Math.max(...counts),
      finalIqm: bootstrap([finalSet], ([s]) => pooledIqm(s), `aggregate-final-iqm/${c.id}`, bs),
      aucIqm: bootstrap([aucSet], ([s]) => pooledIqm(s), `aggregate-auc-iqm/${c.id}`, bs),
      finalMean: mean(finalSet.columns.flat())!,
      improvement,
      improvementTasks,
    });
    const p = performanceProfile(finalSet, `profile/${c.id}`, PROFILE_TAUS, bs);
    series.push({ condition: c.id, fraction: p.fraction, lo: p.lo, hi: p.hi });
  }

  return {
    dataAsOf: latest([...runs.map((r) => r.updatedAt), ...src.invocations.map((i) => i.startedAt)]),
    complete: finished.length === runs.length,
    spec,
    threshold: THRESHOLD,
    runsTotal: runs.length,
    runsDone: finished.length,
    runs,
    cells,
    comparisons,
    aggregates,
    profiles: { taus: [...PROFILE_TAUS], series },
    statistics: { ...bs, interval: 'percentile', minSeedsForFlag: MIN_SEEDS_FOR_FLAG },
    provenance: {
      invocations: src.invocations,
      backends: [...new Set(runs.map((r) => r.backend).filter((b): b is string => !!b))],
      episodeLengths: src.episodeLengths,
      ...(runs.some((r) => r.workers) ? { workers: Object.fromEntries(runs.flatMap((r) => Object.entries(r.workers ?? {})).sort(([a], [b]) => a.localeCompare(b))) } : {}),
      ...(runs.some((r) => r.commits) ? { runCommits: countRunCommits(runs) } : {}),
    },
  };
}

/** Each commit the runs' attempts ran at, with the number of runs that ran (some attempt) at it, oldest first by first use. */
function countRunCommits(runs: RunResult[]): Record<string, number> {
  const n = new Map<string, number>();
  for (const r of runs) for (const c of r.commits ?? []) n.set(c, (n.get(c) ?? 0) + 1);
  return Object.fromEntries(n);
}

// ---- formatting ----------------------------------------------------------------------------

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '-' : `${(100 * x).toFixed(0)}%`);
const pp = (x: number | null | undefined) => (x === null || x === undefined ? '-' : `${(100 * x).toFixed(0)}`);
const signedPts = (x: number) => `${x < 0 ? '−' : x > 0 ? '+' : ''}${Math.abs(100 * x).toFixed(0)}`;
const steps = (x: number | null) => (x === null ? '-' : x >= 1e6 ? `${+(x / 1e6).toFixed(2)}M` : x >= 1e3 ? `${+(x / 1e3).toFixed(1)}k` : `${Math.round(x)}`);
const secs = (x: number | null) => (x === null ? '-' : x >= 3600 ? `${(x / 3600).toFixed(1)} h` : x >= 60 ? `${(x / 60).toFixed(1)} min` : `${x.toFixed(0)} s`);
const csvCell = (v: unknown) => {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(6)) : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** "78% [65, 90]": a success-rate estimate and its interval, in percent. */
export function pctInterval(e: Estimate | null | undefined): string {
  if (!e) return '-';
  return e.lo === null || e.hi === null ? `${pct(e.point)} (no interval)` : `${pct(e.point)} [${pp(e.lo)}, ${pp(e.hi)}]`;
}

/** "0.62 [0.41, 0.80]": a probability and its interval. */
export function probInterval(e: Estimate | null | undefined): string {
  if (!e) return '-';
  return e.lo === null || e.hi === null ? `${e.point.toFixed(2)} (no interval)` : `${e.point.toFixed(2)} [${e.lo.toFixed(2)}, ${e.hi.toFixed(2)}]`;
}

/** "−35 pts [−60, −10]": a difference of success rates in percentage points. */
export function diffInterval(e: Estimate | null | undefined): string {
  if (!e) return '-';
  return e.lo === null || e.hi === null ? `${signedPts(e.point)} pts (no interval)` : `${signedPts(e.point)} pts [${signedPts(e.lo)}, ${signedPts(e.hi)}]`;
}

function ratioText(c: Comparison | undefined): string {
  if (!c || c.ratio === null) return c ? 'n/a' : '';
  const r = c.ratio.toFixed(2);
  return c.ratioKind === 'exact' ? r : c.ratioKind === 'lower-bound' ? `≥ ${r}` : `≤ ${r}`;
}

/** The verdict with the seeds it rests on. */
export function flagText(c: Comparison, minSeeds: number, md = true): string {
  const seeds = `${c.seedsMulti} / ${c.seedsSingle} seeds`;
  if (!c.diff) return c.seedsMulti && !c.seedsSingle ? 'n/a (no single-task runs)' : 'n/a (no finished runs)';
  if (c.negativeTransfer === null) return `no verdict (${seeds}; ${minSeeds} each needed)`;
  return c.negativeTransfer ? `${md ? '**yes**' : 'yes'} (${seeds})` : `not shown (${seeds})`;
}

export function resultsCsv(r: Results): string {
  const head = [
    'task', 'condition', 'seeds', 'final_success_mean', 'final_success_std', 'final_success_iqm', 'final_success_iqm_lo', 'final_success_iqm_hi',
    'auc_mean', 'auc_std', 'auc_iqm', 'auc_iqm_lo', 'auc_iqm_hi', 'seeds_reaching_80', 'env_steps_per_task_to_80_mean', 'wall_seconds_to_80_mean',
    'efficiency_ratio_vs_single', 'efficiency_ratio_kind', 'final_iqm_diff_vs_single', 'final_iqm_diff_lo', 'final_iqm_diff_hi', 'negative_transfer',
  ];
  const lines = [head.join(',')];
  for (const c of r.cells) {
    const cmp = r.comparisons.find((x) => x.task === c.task && x.condition === c.condition);
    lines.push(
      [
        c.task, c.condition, c.seeds, c.finalMean, c.finalStd, c.finalIqm.point, c.finalIqm.lo, c.finalIqm.hi,
        c.aucMean, c.aucStd, c.aucIqm.point, c.aucIqm.lo, c.aucIqm.hi, c.reached, c.stepsMean, c.wallMean,
        cmp?.ratio ?? null, cmp?.ratioKind ?? null, cmp?.diff?.point ?? null, cmp?.diff?.lo ?? null, cmp?.diff?.hi ?? null, cmp?.negativeTransfer ?? null,
      ].map(csvCell).join(','),
    );
  }
  return lines.join('\n') + '\n';
}

export function seedsCsv(r: Results): string {
  const lines = ['task,condition,seed,final_success,auc,env_steps_per_task_to_80,wall_seconds_to_80'];
  for (const c of r.cells) for (const s of c.perSeed) lines.push([c.task, c.condition, s.seed, s.final, s.auc, s.stepsToThreshold, s.wallToThreshold].map(csvCell).join(','));
  return lines.join('\n') + '\n';
}

export function aggregateCsv(r: Results): string {
  const lines = ['condition,tasks,scores,final_success_iqm,final_success_iqm_lo,final_success_iqm_hi,final_success_mean,auc_iqm,auc_iqm_lo,auc_iqm_hi,p_improvement_over_single,p_improvement_lo,p_improvement_hi'];
  for (const a of r.aggregates) {
    lines.push([a.condition, a.tasks, a.scores, a.finalIqm.point, a.finalIqm.lo, a.finalIqm.hi, a.finalMean, a.aucIqm.point, a.aucIqm.lo, a.aucIqm.hi, a.improvement?.point, a.improvement?.lo, a.improvement?.hi].map(csvCell).join(','));
  }
  return lines.join('\n') + '\n';
}

export function panels(r: Results): Panel[] {
  return r.spec.taskNames.map((task) => ({
    title: task,
    series: r.spec.conditions.map((c) => ({
      condition: c.id,
      points: band(r.runs.filter((x) => x.state === 'done' && x.condition === c.id && x.tasks.includes(task)).map((x) => x.curves[task])),
    })),
  }));
}

/** "2 attempts: resumed from checkpoint at 40k env steps per task" and the like. */
export function attemptsText(x: RunResult): string {
  if (x.attempts <= 1) return x.attempts === 1 ? '1' : '-';
  const parts = [...x.resumedFrom.map((s) => `resumed from checkpoint at ${steps(s / x.tasks.length)}`), ...(x.restarts ? [`restarted from scratch${x.restarts > 1 ? ` ×${x.restarts}` : ''}`] : [])];
  return `${x.attempts}${parts.length ? `: ${parts.join(', ')}` : ''}`;
}

/** The headline sentences of report.md (the report page words its own from the same fields). */
function headline(r: Results): string[] {
  const out: string[] = [];
  const seedsOf = (a: Aggregate) => (a.seedsMin === a.seedsMax ? `${a.seedsMin}` : `${a.seedsMin}-${a.seedsMax}`);
  if (r.aggregates.length) {
    out.push(`**IQM of final success over tasks and seeds** (95% CI): ${r.aggregates.map((a) => `\`${a.condition}\` ${pctInterval(a.finalIqm)}`).join(', ')}.`);
  }
  const imp = r.aggregates.filter((a) => a.improvement);
  if (imp.length) {
    out.push(`**Probability of improvement over \`${SINGLE}\`** (that a run beats a single-task run on the same task): ${imp.map((a) => `\`${a.condition}\` ${probInterval(a.improvement)}`).join(', ')}.`);
  }
  if (r.comparisons.length) {
    const flagged = r.comparisons.filter((c) => c.negativeTransfer);
    const notShown = r.comparisons.filter((c) => c.negativeTransfer === false);
    const none = r.comparisons.filter((c) => c.negativeTransfer === null);
    const parts: string[] = [];
    if (flagged.length) parts.push(`**flagged** on ${flagged.map((c) => `${c.task} (\`${c.condition}\`, ${c.seedsMulti} / ${c.seedsSingle} seeds)`).join(', ')}`);
    if (notShown.length) {
      const which = flagged.length || none.length ? `${notShown.length} other` : notShown.length > 1 ? `any of the ${notShown.length}` : 'the one';
      parts.push(`not shown on ${which} task-condition pair${notShown.length > 1 ? 's' : ''}`);
    }
    if (none.length) parts.push(`no verdict on ${none.length} (fewer than ${r.statistics.minSeedsForFlag} seeds a side)`);
    const seeds = r.aggregates.length ? ` Seeds per task: ${r.aggregates.map((a) => `${seedsOf(a)} (\`${a.condition}\`)`).join(', ')}.` : '';
    out.push(`**Negative transfer**: ${parts.join('; ')}.${seeds}`);
  }
  return out;
}

export function reportMarkdown(r: Results, files: { curves: string; perTask: Record<string, string>; profiles: string }): string {
  const s = r.spec;
  const st = r.statistics;
  const L: string[] = [];
  const conds = s.conditions.map((c) => c.id);
  const others = s.conditions.filter((c) => c.kind !== 'single').map((c) => c.id);
  const T = pct(r.threshold);
  L.push('# Benchmark: multi-task vs single-task', '');
  if (!r.complete) {
    const states = (x: RunState) => r.runs.filter((y) => y.state === x).length;
    L.push(
      `> **PARTIAL REPORT**: ${r.runsDone} of ${r.runsTotal} runs finished (${states('partial')} stopped part-way, ${states('failed')} failed, ${states('pending')} not started). ` +
        'Figures below use finished runs only; cells with fewer seeds than the sweep asked for say so in the "seeds" column. Resume the sweep with the same command to complete it.',
      '',
    );
  }
  L.push(
    `Tasks: ${s.taskNames.map((t) => `\`${t}\``).join(', ')}. Conditions: ${conds.map((c) => `\`${c}\``).join(', ')}. Seeds: ${s.seeds.join(', ')}. ` +
      `Budget: ${steps(s.budgetPerTask)} env steps per task (a multi-task run over ${s.taskNames.length} tasks gets ${steps(s.budgetPerTask * s.taskNames.length)} in total; a single-task run gets ${steps(s.budgetPerTask)}). ` +
      `Results as of ${r.dataAsOf ?? 'an unknown date'}.`,
    '',
  );
  for (const h of headline(r)) L.push(h, '');

  L.push('## Across tasks', '');
  L.push(
    `| condition | tasks | scores (run × task) | IQM final success [95% CI] | mean final success | IQM AUC [95% CI] | P(improvement over ${SINGLE}) [95% CI] |`,
    '| --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const a of r.aggregates) {
    const p = a.condition === SINGLE ? '(baseline)' : a.improvement ? `${probInterval(a.improvement)}${a.improvementTasks < a.tasks ? ` (${a.improvementTasks} tasks)` : ''}` : '-';
    L.push(`| ${a.condition} | ${a.tasks} | ${a.scores} | ${pctInterval(a.finalIqm)} | ${pct(a.finalMean)} | ${pctInterval(a.aucIqm)} | ${p} |`);
  }
  L.push('');
  L.push(`Performance profiles of final success: for each threshold τ, the fraction of (run, task) scores above it, with 95% bands. [${files.profiles}](${files.profiles})`, '');
  L.push(`![performance profiles](${files.profiles})`, '');

  L.push('## Per task', '');
  L.push(
    `| task | condition | seeds | final success (mean ± std) | final success IQM [95% CI] | AUC (mean ± std) | AUC IQM [95% CI] | seeds reaching ${T} | env steps / task to ${T} | wall time to ${T} |`,
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const task of s.taskNames) {
    for (const cond of conds) {
      const c = r.cells.find((x) => x.task === task && x.condition === cond);
      if (!c) {
        L.push(`| ${task} | ${cond} | 0 of ${s.seeds.length} | - | - | - | - | - | - | - |`);
        continue;
      }
      const std = (x: number | null) => (x === null ? '' : ` ± ${pp(x)}`);
      L.push(
        `| ${task} | ${cond} | ${c.seeds}${c.seeds < s.seeds.length ? ` of ${s.seeds.length}` : ''} | ${pp(c.finalMean)}${std(c.finalStd)} % | ${pctInterval(c.finalIqm)} | ${pp(c.aucMean)}${std(c.aucStd)} % | ${pctInterval(c.aucIqm)} | ${c.reached}/${c.seeds} | ${steps(c.stepsMean)} | ${secs(c.wallMean)} |`,
      );
    }
  }
  L.push('');

  if (r.comparisons.length) {
    L.push('## Multi-task against single-task, per task', '');
    L.push(
      `| task | condition | IQM final success − ${SINGLE} [95% CI] | negative transfer (seeds multi / single) | efficiency ratio multi / single |`,
      '| --- | --- | --- | --- | --- |',
    );
    for (const task of s.taskNames) {
      for (const cond of others) {
        const c = r.comparisons.find((x) => x.task === task && x.condition === cond);
        if (c) L.push(`| ${task} | ${cond} | ${diffInterval(c.diff)} | ${flagText(c, st.minSeedsForFlag)} | ${ratioText(c)} |`);
      }
    }
    L.push('');
  }

  L.push('## Learning curves', '');
  L.push(`Evaluation success vs env steps per task; one line per condition (mean over seeds), band from the lowest to the highest seed. All tasks: [${files.curves}](${files.curves}).`, '');
  L.push(`![learning curves](${files.curves})`, '');
  L.push(`Per task: ${s.taskNames.map((t) => `[${t}](${files.perTask[t]})`).join(', ')}.`, '');

  L.push('## How the numbers are made', '');
  L.push(
    `- **Evaluation protocol** (the same for every run; the evaluation CLI's \`evaluate()\`): every ${steps(s.evalEveryPerTask)} env steps per task, ${s.evalEpisodes} episodes per task with deterministic (mean) actions, on evaluation seeds that training never uses (train() derives them from the run seed and the evaluation round), 4 envs per task, episodes ending on success or the time limit. Start states are drawn afresh in each run, so conditions are compared on equally many, not identical, episodes.`,
    `- **Score**: a run's success rate on a task, already in [0, 1] (0: never succeeds, 1: always), so it is used as the normalised score as it is, with no baseline subtracted. **Final success** is the run's final evaluation after the whole budget; **AUC** is the area under its evaluation success curve (trapezoid rule, divided by the env-step range), i.e. its average success over training.`,
    `- **Mean ± std**: over seeds, sample standard deviation (n − 1; none with one seed).`,
    `- **IQM** (interquartile mean): sort the scores, drop the lowest and highest quarter (⌊n/4⌋ at each end, as rliable and scipy's trim_mean do: with 5 seeds the middle 3, with 2 or 3 seeds all of them) and average the rest. It is less thrown by one outlying seed than the mean and less noisy than the median. Across tasks it pools every (run, task) score of a condition; with few tasks that can leave out a whole task (4 tasks × 2 seeds: the 2 lowest scores, often one hard task's), so read it with the mean and the profile.`,
    `- **95% CI**: a percentile bootstrap: the seeds are resampled with replacement within each task (stratified, so every task keeps its number of seeds; a multi-task run is resampled as a whole, since its tasks share one network), the statistic is recomputed ${st.reps.toLocaleString('en-US')} times and the interval spans the middle ${100 * st.level}% of those values. With few seeds it is too narrow: in synthetic checks (test/bench/bootstrap.test.ts) a nominal 95% interval for one task's IQM covered the true value about 89% of the time with 5 seeds and 76% with 3 (93% with 20), and the across-task IQM's about 91% with 10 tasks × 5 seeds.`,
    `- **Probability of improvement** of a condition over \`${SINGLE}\`: the chance that one of its runs scores higher than one single-task run on the same task (ties count half), averaged over tasks; 0.5 means no difference, 1 that it always wins. Its interval resamples both conditions' seeds.`,
    `- **Performance profile**: for each threshold τ from 0 to 1, the fraction of a condition's (run, task) final scores above τ; a curve above another is better at every level of success. Bands: the same bootstrap, per τ.`,
    `- **Negative transfer**: per task, the interval of the difference IQM(multi-task final success) − IQM(${SINGLE}); **flagged when the whole interval lies below zero**. A verdict needs at least ${st.minSeedsForFlag} finished seeds on each side: on synthetic noise (both conditions' scores from one distribution) the interval lies wholly below zero on about 18% of tasks with 2 seeds and 9% with 3, against 3-5% with 4 or 5. "Not shown" means the interval reaches zero or above: with few seeds that is an absence of evidence, not evidence that transfer is harmless.`,
    `- **Env steps / wall time to ${T}**: at the first evaluation with success ≥ ${T}; mean over the seeds that reached it (the "seeds reaching" column says how many). Wall time is the run's own clock: for a multi-task run it is the whole run's time, shared by its tasks.`,
    `- **Efficiency ratio**: mean env steps per task to ${T}, multi-task over single-task (below 1: multi-task needs fewer). A seed that never got there counts as the budget (${steps(s.budgetPerTask)}); then the ratio is a bound (≥ when only multi-task seeds missed, ≤ when only single-task seeds missed), and n/a when both missed some.`,
    `- **Fair budgets**: a multi-task run over K tasks gets K × the per-task budget; its batch of ${s.batchSize} is split over the tasks and its update count (utd ${s.utd} per env step) is K times a single-task run's, so every task gets the same number of sampled transitions in both conditions. Single-task runs use the \`independent\` architecture on one task (a plain network).`,
    '',
  );
  L.push('## Reproducibility', '');
  const inv = r.provenance.invocations;
  L.push('Command(s) that ran this sweep (the first started it; later ones resumed it):', '', '```sh');
  for (const i of inv) L.push(i.command);
  L.push('```', '');
  const commits = [...new Set(inv.map((i) => `${i.git.commit ?? 'unknown'}${i.git.dirty ? ` (with uncommitted changes${i.git.changed ? ` in ${i.git.changed.map((f) => `\`${f}\``).join(', ')}` : ''})` : ''}`))];
  const machines = [...new Set(inv.map((i) => `${i.machine.cpu}, ${i.machine.cores} cores, ${i.machine.memoryGiB} GiB, ${i.machine.platform}-${i.machine.arch}, Node ${i.node}`))];
  L.push(
    `- **Git commit**: ${commits.join('; ') || 'unknown'}`,
    `- **Seeds**: ${s.seeds.join(', ')} (each seeds env resets, network initialisation and batch sampling; evaluation seeds are derived from it)`,
    `- **Reward**: \`${s.reward}\`; HER relabels per transition: ${s.herK}`,
    `- **Episode length** (time limit, control steps at 25 Hz): ${Object.entries(r.provenance.episodeLengths).map(([t, n]) => `${t} ${n}`).join(', ')}`,
    `- **Learning settings**: hidden ${s.hidden.join('x')}, batch ${s.batchSize}, utd ${s.utd}, ${s.learningStartsPerTask} random steps per task before learning, replay ${s.replayPerTask} per task, ${s.envsPerTask} envs per task, ${s.demoEpisodes ? `${s.demoEpisodes} scripted-expert demonstration episodes per task (their share of each batch as that commit's demoFraction sets it)` : 'no demonstrations'}${strategySettings(s)}; everything else at agents/config.ts's defaults of that commit (each run's full configuration: \`raw/<run>/config.json\`)`,
    `- **Backend**: ${r.provenance.backends.map((b) => `\`${b}\``).join('; ') || 'unknown'}; environment: ${[...new Set(inv.map((i) => Object.entries(i.env ?? {}).map(([k, v]) => `${k}=${v}`).join(' ')))].join('; ') || 'defaults'}`,
    `- **Machine**: ${machines.join('; ') || 'unknown'}${r.provenance.workers ? ' (the sweep command; the runs trained on the workers below)' : ''}`,
    ...(r.provenance.workers ? [`- **Workers** (through a queue): ${Object.entries(r.provenance.workers).map(([w, m]) => `\`${w}\`: ${m ?? 'machine unknown'}`).join('; ')}`] : []),
    ...(r.provenance.runCommits
      ? [`- **Commits the runs trained at** (the workers' checkouts, from each attempt's record in \`raw/<run>/attempts.jsonl\`; the git commit above is the sweep command's): ${Object.entries(r.provenance.runCommits).map(([c, k]) => `${c.slice(0, 12)} (${k} run${k === 1 ? '' : 's'})`).join('; ')}`]
      : []),
    `- **Statistics**: ${st.interval} bootstrap, ${st.reps} resamples, seed ${st.seed}, ${100 * st.level}% intervals (\`--bootstrap-reps\`, \`--bootstrap-seed\`); at least ${st.minSeedsForFlag} seeds a side for a negative-transfer verdict`,
    `- **Results as of**: ${r.dataAsOf ?? 'unknown'} (the newest finished run or sweep command; the report itself holds no clock time, so rewriting it from the same runs, e.g. with \`--report-only\`, gives the same files byte for byte)`,
    '',
    'Running the same command again on the same machine gives the same success figures (final success, AUC, steps to threshold, ratios, intervals, flags): every run is seeded and the update schedule depends on env steps only, never on time. Wall-time columns are measured and differ between runs. ' +
      'A run that was stopped and resumed from its checkpoint continues deterministically but is not bit-identical to an uninterrupted one (train() reseeds the envs on resume), and a run restarted from scratch repeats its first attempt; the "attempts" column below says which runs were.',
    '',
  );
  L.push('## Runs', '');
  L.push('| run | state | env steps / task | wall time | attempts |', '| --- | --- | --- | --- | --- |');
  for (const x of r.runs) L.push(`| \`${x.id}\` | ${x.state} | ${steps(x.stepsPerTask)} | ${secs(x.wallSeconds)} | ${attemptsText(x)} |`);
  L.push('');
  const failed = r.runs.filter((x) => x.state === 'failed');
  if (failed.length) {
    L.push('### Failed runs', '');
    for (const x of failed) L.push(`- \`${x.id}\`:`, '', '  ```', ...x.error!.trim().split('\n').slice(-12).map((l) => `  ${l}`), '  ```', '');
  }
  L.push('## Files', '');
  L.push(
    '- `results.json`: everything above, with per-seed values, every curve point and the profiles',
    '- `results.csv`: one row per task and condition; `results-seeds.csv`: one row per task, condition and seed; `results-aggregate.csv`: one row per condition',
    "- `raw/<run>/`: each run's `metrics.jsonl`, `config.json`, `attempts.jsonl` and `done.json` as the sweep wrote them",
    '',
  );
  return L.join('\n');
}

/**
 * Writes the report folder; returns the report.md path. `sweepDir`: the sweep whose runs/ are
 * copied into the report's raw/; null when the report is rebuilt from its own raw/.
 */
export function writeReport(sweepDir: string | null, reportDir: string, r: Results): string {
  mkdirSync(reportDir, { recursive: true });
  writeFileSync(join(reportDir, RESULTS_FILE), JSON.stringify(r, null, 1) + '\n');
  writeFileSync(join(reportDir, 'results.csv'), resultsCsv(r));
  writeFileSync(join(reportDir, 'results-seeds.csv'), seedsCsv(r));
  writeFileSync(join(reportDir, 'results-aggregate.csv'), aggregateCsv(r));
  const ps = panels(r);
  const conds = r.spec.conditions.map((c) => c.id);
  const xMax = r.spec.budgetPerTask;
  writeFileSync(join(reportDir, 'curves.svg'), curvesSvg(ps, { conditions: conds, xMax, threshold: r.threshold, title: 'Evaluation success vs env steps per task' }));
  const perTask: Record<string, string> = {};
  for (const p of ps) {
    const name = `curves-${p.title.replace(/[^a-zA-Z0-9_-]/g, '_')}.svg`;
    writeFileSync(join(reportDir, name), curvesSvg([p], { conditions: conds, xMax, threshold: r.threshold, columns: 1 }));
    perTask[p.title] = name;
  }
  writeFileSync(join(reportDir, 'profiles.svg'), profilesSvg(r.profiles.taus, r.profiles.series, { conditions: conds, title: 'Performance profiles: final success' }));
  if (sweepDir !== null) {
    const raw = join(reportDir, 'raw');
    rmSync(raw, { recursive: true, force: true });
    for (const x of r.runs) {
      const src = join(sweepDir, 'runs', x.id);
      for (const f of [METRICS_FILE, 'config.json', DONE_FILE, ATTEMPTS_FILE, ERROR_FILE]) {
        if (!existsSync(join(src, f))) continue;
        mkdirSync(join(raw, x.id), { recursive: true });
        copyFileSync(join(src, f), join(raw, x.id, f));
      }
    }
  }
  const md = join(reportDir, 'report.md');
  writeFileSync(md, reportMarkdown(r, { curves: 'curves.svg', perTask, profiles: 'profiles.svg' }));
  const rel = relative(process.cwd(), md);
  return rel && !rel.startsWith('..') ? rel : md;
}

/** The strategies' settings, for the conditions of the sweep that use them (README: "Conditions"). */
function strategySettings(s: SweepSpec): string {
  const multi = s.conditions.filter((c) => c.kind === 'multi');
  const parts: string[] = [];
  if (multi.some((c) => c.arch === 'soft')) parts.push(`\`soft\` penalty λ ${s.softLambda}`);
  if (multi.some((c) => c.strategy === 'weighted')) parts.push(`\`weighted\` sampling temperature ${s.sampleTemperature}, floor ${s.sampleFloor}, success over the last ${s.successWindow} training episodes per task`);
  if (multi.some((c) => c.strategy === 'pcgrad')) parts.push('`pcgrad` on the critic and actor gradients');
  return parts.length ? `; ${parts.join('; ')}` : '';
}
