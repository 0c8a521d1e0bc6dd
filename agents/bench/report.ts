// Builds a sweep's report from its run folders: results.json (everything, machine-readable),
// results.csv (one row per task x condition) and results-seeds.csv (one per run x task), report.md
// (the table people read), learning-curve SVGs and a copy of every run's raw metrics. It reads only
// files, so it can run at any time: on a partial sweep it reports what has finished and says so.
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { resolveTaskArgs } from '../../sim/registry.ts';
import type { TaskSummary } from '../../sim/rollout.ts';
import { METRICS_FILE, type MetricsRow } from '../train.ts';
import { ATTEMPTS_FILE, DONE_FILE, ERROR_FILE, planRuns, SINGLE, type RunPlan, type SweepSpec } from './spec.ts';
import { auc, band, cellStats, efficiencyRatio, firstReach, negativeTransfer, THRESHOLD, type CellStats, type CurvePoint, type RatioKind, type SeedResult } from './stats.ts';
import { curvesSvg, type Panel } from './svg.ts';

export const INVOCATIONS_FILE = 'invocations.jsonl';

export interface Invocation {
  command: string;
  cwd: string;
  startedAt: string;
  git: { commit: string | null; dirty: boolean | null; changed?: string[] };
  node: string;
  machine: { cpu: string; cores: number; memoryGiB: number; platform: string; arch: string };
  /** Settings read from the environment that change numbers: backend, BLAS threads, Rapier flavour. */
  env?: Record<string, string>;
}

export type RunState = 'done' | 'failed' | 'partial' | 'pending';

export interface RunResult {
  id: string;
  condition: string;
  seed: number;
  tasks: string[];
  state: RunState;
  /** Env steps per task reached so far (last metrics row). */
  stepsPerTask: number;
  wallSeconds: number | null;
  resumed: boolean;
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
}

export interface Comparison {
  task: string;
  condition: string;
  ratio: number | null;
  ratioKind: RatioKind;
  negativeTransfer: boolean | null;
  /** single-task minus multi-task mean final success. */
  gap: number | null;
  /** Sum of the two seed standard deviations. */
  noise: number | null;
}

export interface Results {
  generatedAt: string;
  complete: boolean;
  spec: SweepSpec;
  threshold: number;
  runsTotal: number;
  runsDone: number;
  runs: RunResult[];
  cells: Cell[];
  comparisons: Comparison[];
  provenance: {
    invocations: Invocation[];
    backends: string[];
    episodeLengths: Record<string, number>;
  };
}

function readJsonl<T>(path: string): T[] {
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

export function loadRun(sweepDir: string, plan: RunPlan): RunResult {
  const dir = join(sweepDir, 'runs', plan.id);
  const rows = readJsonl<MetricsRow>(join(dir, METRICS_FILE));
  const attempts = readJsonl<{ resumedFrom: number; backend: string }>(join(dir, ATTEMPTS_FILE));
  const doneP = join(dir, DONE_FILE);
  const done = existsSync(doneP) ? (JSON.parse(readFileSync(doneP, 'utf8')) as { final: TaskSummary[]; wallSeconds: number; resumed: boolean; backend: string }) : null;
  const errP = join(dir, ERROR_FILE);
  const error = !done && existsSync(errP) ? readFileSync(errP, 'utf8') : null;
  const state: RunState = done ? 'done' : error ? 'failed' : rows.length || attempts.length ? 'partial' : 'pending';
  const last = rows[rows.length - 1];
  return {
    id: plan.id,
    condition: plan.condition,
    seed: plan.seed,
    tasks: plan.taskNames,
    state,
    stepsPerTask: last ? last.envSteps / plan.taskNames.length : 0,
    wallSeconds: done?.wallSeconds ?? last?.wallSeconds ?? null,
    resumed: done?.resumed ?? attempts.some((a) => a.resumedFrom > 0),
    backend: done?.backend ?? attempts[attempts.length - 1]?.backend ?? null,
    error,
    curves: curvesFromRows(rows, plan.taskNames),
    final: done ? Object.fromEntries(done.final.map((f) => [f.task, f.successRate])) : {},
  };
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

export async function collectResults(sweepDir: string, spec: SweepSpec): Promise<Results> {
  const plans = planRuns(spec);
  const runs = plans.map((p) => loadRun(sweepDir, p));
  const finished = runs.filter((r) => r.state === 'done');
  const cells: Cell[] = [];
  for (const task of spec.taskNames) {
    for (const c of spec.conditions) {
      const perSeed = finished.filter((r) => r.condition === c.id && r.tasks.includes(task)).map((r) => seedResult(r, task)).sort((a, b) => a.seed - b.seed);
      const st = cellStats(perSeed);
      if (st) cells.push({ task, condition: c.id, perSeed, ...st });
    }
  }
  const comparisons: Comparison[] = [];
  if (spec.conditions.some((c) => c.kind === 'single')) {
    for (const task of spec.taskNames) {
      const single = cells.find((x) => x.task === task && x.condition === SINGLE) ?? null;
      for (const c of spec.conditions.filter((x) => x.kind === 'multi')) {
        const multi = cells.find((x) => x.task === task && x.condition === c.id) ?? null;
        const r = efficiencyRatio(multi?.perSeed ?? [], single?.perSeed ?? [], spec.budgetPerTask);
        const n = negativeTransfer(multi, single);
        comparisons.push({ task, condition: c.id, ratio: r.ratio, ratioKind: r.kind, negativeTransfer: n.flag, gap: n.gap, noise: n.noise });
      }
    }
  }
  const defs = await resolveTaskArgs(spec.tasks);
  return {
    generatedAt: new Date().toISOString(),
    complete: finished.length === runs.length,
    spec,
    threshold: THRESHOLD,
    runsTotal: runs.length,
    runsDone: finished.length,
    runs,
    cells,
    comparisons,
    provenance: {
      invocations: readJsonl<Invocation>(join(sweepDir, INVOCATIONS_FILE)),
      backends: [...new Set(runs.map((r) => r.backend).filter((b): b is string => !!b))],
      episodeLengths: Object.fromEntries(defs.map((d) => [d.name, d.maxSteps])),
    },
  };
}

// ---- formatting ----------------------------------------------------------------------------

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '-' : `${(100 * x).toFixed(0)}%`);
const pp = (x: number | null | undefined) => (x === null || x === undefined ? '-' : `${(100 * x).toFixed(0)}`);
const steps = (x: number | null) => (x === null ? '-' : x >= 1e6 ? `${+(x / 1e6).toFixed(2)}M` : x >= 1e3 ? `${+(x / 1e3).toFixed(1)}k` : `${Math.round(x)}`);
const secs = (x: number | null) => (x === null ? '-' : x >= 3600 ? `${(x / 3600).toFixed(1)} h` : x >= 60 ? `${(x / 60).toFixed(1)} min` : `${x.toFixed(0)} s`);
const csvCell = (v: unknown) => {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(6)) : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

function ratioText(c: Comparison | undefined): string {
  if (!c || c.ratio === null) return c ? 'n/a' : '';
  const r = c.ratio.toFixed(2);
  return c.ratioKind === 'exact' ? r : c.ratioKind === 'lower-bound' ? `≥ ${r}` : `≤ ${r}`;
}

function flagText(c: Comparison | undefined): string {
  if (!c) return '';
  if (c.negativeTransfer === null) return c.gap === null ? 'n/a' : 'n/a (1 seed)';
  return c.negativeTransfer ? `**yes** (−${pp(c.gap)} pts > ${pp(c.noise)})` : 'no';
}

export function resultsCsv(r: Results): string {
  const head = ['task', 'condition', 'seeds', 'final_success_mean', 'final_success_std', 'auc_mean', 'auc_std', 'seeds_reaching_80', 'env_steps_per_task_to_80_mean', 'wall_seconds_to_80_mean', 'efficiency_ratio_vs_single', 'efficiency_ratio_kind', 'negative_transfer'];
  const lines = [head.join(',')];
  for (const c of r.cells) {
    const cmp = r.comparisons.find((x) => x.task === c.task && x.condition === c.condition);
    lines.push([c.task, c.condition, c.seeds, c.finalMean, c.finalStd, c.aucMean, c.aucStd, c.reached, c.stepsMean, c.wallMean, cmp?.ratio ?? null, cmp?.ratioKind ?? null, cmp?.negativeTransfer ?? null].map(csvCell).join(','));
  }
  return lines.join('\n') + '\n';
}

export function seedsCsv(r: Results): string {
  const lines = ['task,condition,seed,final_success,auc,env_steps_per_task_to_80,wall_seconds_to_80'];
  for (const c of r.cells) for (const s of c.perSeed) lines.push([c.task, c.condition, s.seed, s.final, s.auc, s.stepsToThreshold, s.wallToThreshold].map(csvCell).join(','));
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

export function reportMarkdown(r: Results, files: { curves: string; perTask: Record<string, string> }): string {
  const s = r.spec;
  const L: string[] = [];
  const conds = s.conditions.map((c) => c.id);
  L.push('# Benchmark: multi-task vs single-task', '');
  if (!r.complete) {
    const states = (st: RunState) => r.runs.filter((x) => x.state === st).length;
    L.push(
      `> **PARTIAL REPORT**: ${r.runsDone} of ${r.runsTotal} runs finished (${states('partial')} stopped part-way, ${states('failed')} failed, ${states('pending')} not started). ` +
        'Figures below use finished runs only; cells with fewer seeds than the sweep asked for say so in the "seeds" column. Resume the sweep with the same command to complete it.',
      '',
    );
  }
  L.push(
    `Tasks: ${s.taskNames.map((t) => `\`${t}\``).join(', ')}. Conditions: ${conds.map((c) => `\`${c}\``).join(', ')}. Seeds: ${s.seeds.join(', ')}. ` +
      `Budget: ${steps(s.budgetPerTask)} env steps per task (a multi-task run over ${s.taskNames.length} tasks gets ${steps(s.budgetPerTask * s.taskNames.length)} in total; a single-task run gets ${steps(s.budgetPerTask)}).`,
    '',
  );
  // Headline: mean final success over tasks per condition, and the flags.
  const headline = conds.map((c) => {
    const cs = r.cells.filter((x) => x.condition === c);
    return cs.length ? `\`${c}\` ${pct(cs.reduce((a, b) => a + b.finalMean, 0) / cs.length)}` : `\`${c}\` -`;
  });
  const flagged = r.comparisons.filter((c) => c.negativeTransfer);
  L.push(
    `**Mean final success over tasks**: ${headline.join(', ')}. ` +
      (flagged.length ? `**Negative transfer** flagged on: ${flagged.map((c) => `${c.task} (${c.condition})`).join(', ')}.` : 'No task is flagged for negative transfer.'),
    '',
  );
  L.push('## Results', '');
  L.push(
    `| task | condition | seeds | final success (mean ± std) | AUC (mean ± std) | seeds reaching ${pct(r.threshold)} | env steps / task to ${pct(r.threshold)} | wall time to ${pct(r.threshold)} | efficiency ratio multi / single | negative transfer |`,
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const task of s.taskNames) {
    for (const cond of conds) {
      const c = r.cells.find((x) => x.task === task && x.condition === cond);
      const cmp = r.comparisons.find((x) => x.task === task && x.condition === cond);
      if (!c) {
        L.push(`| ${task} | ${cond} | 0 of ${s.seeds.length} | - | - | - | - | - | ${ratioText(cmp)} | ${flagText(cmp)} |`);
        continue;
      }
      const std = (x: number | null) => (x === null ? '' : ` ± ${pp(x)}`);
      L.push(
        `| ${task} | ${cond} | ${c.seeds}${c.seeds < s.seeds.length ? ` of ${s.seeds.length}` : ''} | ${pp(c.finalMean)}${std(c.finalStd)} % | ${pp(c.aucMean)}${std(c.aucStd)} % | ${c.reached}/${c.seeds} | ${steps(c.stepsMean)} | ${secs(c.wallMean)} | ${cond === SINGLE ? '(baseline)' : ratioText(cmp)} | ${cond === SINGLE ? '' : flagText(cmp)} |`,
      );
    }
  }
  L.push('');
  L.push('## Learning curves', '');
  L.push(`Evaluation success vs env steps per task; one line per condition (mean over seeds), band from the lowest to the highest seed. All tasks: [${files.curves}](${files.curves}).`, '');
  L.push(`![learning curves](${files.curves})`, '');
  L.push(`Per task: ${s.taskNames.map((t) => `[${t}](${files.perTask[t]})`).join(', ')}.`, '');
  L.push('## How the numbers are made', '');
  L.push(
    `- **Evaluation protocol** (the same for every run; the evaluation CLI's \`evaluate()\`): every ${steps(s.evalEveryPerTask)} env steps per task, ${s.evalEpisodes} episodes per task with deterministic (mean) actions, on evaluation seeds that training never uses (train() derives them from the run seed and the evaluation round), 4 envs per task, episodes ending on success or the time limit. Start states are drawn afresh in each run, so conditions are compared on equally many, not identical, episodes.`,
    `- **Final success**: the run's final evaluation, after the whole budget. Mean over seeds ± sample standard deviation (n − 1; none with one seed).`,
    `- **AUC**: area under the evaluation success curve (trapezoid rule over the evaluation points, divided by the env-step range they span), i.e. the average success over training, in %.`,
    `- **Env steps / wall time to ${pct(r.threshold)}**: at the first evaluation with success ≥ ${pct(r.threshold)}; mean over the seeds that reached it (the "seeds reaching" column says how many). Wall time is the run's own clock: for a multi-task run it is the whole run's time, shared by its tasks.`,
    `- **Efficiency ratio**: mean env steps per task to ${pct(r.threshold)}, multi-task over single-task (below 1: multi-task needs fewer). A seed that never got there counts as the budget (${steps(s.budgetPerTask)}); then the ratio is a bound (≥ when only multi-task seeds missed, ≤ when only single-task seeds missed), and n/a when both missed some.`,
    `- **Negative transfer**: flagged when the multi-task mean final success is below the single-task mean by more than the sum of the two seed standard deviations (single mean − multi mean > std single + std multi). It needs at least 2 seeds on each side; otherwise n/a.`,
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
    `- **Learning settings**: hidden ${s.hidden.join('x')}, batch ${s.batchSize}, utd ${s.utd}, ${s.learningStartsPerTask} random steps per task before learning, replay ${s.replayPerTask} per task, ${s.envsPerTask} envs per task, ${s.demoEpisodes ? `${s.demoEpisodes} scripted-expert demonstration episodes per task (a quarter of each batch)` : 'no demonstrations'}; everything else at agents/config.ts's defaults of that commit (each run's full configuration: \`raw/<run>/config.json\`)`,
    `- **Backend**: ${r.provenance.backends.map((b) => `\`${b}\``).join('; ') || 'unknown'}; environment: ${[...new Set(inv.map((i) => Object.entries(i.env ?? {}).map(([k, v]) => `${k}=${v}`).join(' ')))].join('; ') || 'defaults'}`,
    `- **Machine**: ${machines.join('; ') || 'unknown'}`,
    `- **Generated**: ${r.generatedAt}`,
    '',
    'Running the same command again on the same machine gives the same success figures (final success, AUC, steps to threshold, ratios, flags): every run is seeded and the update schedule depends on env steps only, never on time. Wall-time columns are measured and differ between runs. ' +
      'A run that was stopped and resumed from its checkpoint continues deterministically but is not bit-identical to an uninterrupted one (train() reseeds the envs on resume); such runs are listed below.',
    '',
  );
  L.push('## Runs', '');
  L.push('| run | state | env steps / task | wall time | resumed |', '| --- | --- | --- | --- | --- |');
  for (const x of r.runs) L.push(`| \`${x.id}\` | ${x.state} | ${steps(x.stepsPerTask)} | ${secs(x.wallSeconds)} | ${x.resumed ? 'yes' : 'no'} |`);
  L.push('');
  const failed = r.runs.filter((x) => x.state === 'failed');
  if (failed.length) {
    L.push('### Failed runs', '');
    for (const x of failed) L.push(`- \`${x.id}\`:`, '', '  ```', ...x.error!.trim().split('\n').slice(-12).map((l) => `  ${l}`), '  ```', '');
  }
  L.push('## Files', '');
  L.push('- `results.json`: everything above, with per-seed values and every curve point', '- `results.csv`: one row per task and condition; `results-seeds.csv`: one row per task, condition and seed', '- `raw/<run>/`: each run\'s `metrics.jsonl`, `config.json` and `done.json` as train() wrote them', '');
  return L.join('\n');
}

/** Writes the report folder; returns the report.md path. */
export function writeReport(sweepDir: string, reportDir: string, r: Results): string {
  mkdirSync(reportDir, { recursive: true });
  writeFileSync(join(reportDir, 'results.json'), JSON.stringify(r, null, 1) + '\n');
  writeFileSync(join(reportDir, 'results.csv'), resultsCsv(r));
  writeFileSync(join(reportDir, 'results-seeds.csv'), seedsCsv(r));
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
  const md = join(reportDir, 'report.md');
  writeFileSync(md, reportMarkdown(r, { curves: 'curves.svg', perTask }));
  const rel = relative(process.cwd(), md);
  return rel && !rel.startsWith('..') ? rel : md;
}
