// A benchmark sweep: tasks x conditions x seeds under one env-step budget per task. This module
// holds the sweep's definition (validated with zod, stored as <sweep>/sweep.json so an interrupted
// sweep resumes with exactly the settings it started with), the expansion into runs, and each
// run's training configuration.
import { z } from 'zod';
import { zodOf } from '../cli/options.ts';
import { ARCHS, DESCRIPTORS } from '../nn/conditioned.ts';
import { makeConfig, SETTINGS, TRAIN_DEFAULTS, type TrainConfig } from '../config.ts';
import { STRATEGIES, type Strategy } from '../strategy.ts';

export const SWEEP_FILE = 'sweep.json';
/** Written into a run's folder after train() returned with its whole budget spent. */
export const DONE_FILE = 'done.json';
/** One line per attempt at a run (start, resume point, backend, outcome). */
export const ATTEMPTS_FILE = 'attempts.jsonl';
/** Written by the sweep when a run's process failed; removed when the run is retried. */
export const ERROR_FILE = 'error.txt';

export const SINGLE = 'single-task';

export const conditionSchema = z.union([
  z.object({ id: z.literal(SINGLE), kind: z.literal('single') }).strict(),
  // strategy: absent in sweeps from before the strategies (none).
  z.object({ id: z.string().min(1), kind: z.literal('multi'), arch: z.enum(ARCHS), descriptor: z.enum(DESCRIPTORS), strategy: z.enum(STRATEGIES).optional() }).strict(),
]);
export type Condition = z.infer<typeof conditionSchema>;

const posInt = z.number().int().positive();

export const sweepSchema = z
  .object({
    version: z.literal(1),
    /** Task arguments as given to train() (names, or absolute task-file paths). */
    tasks: z.array(z.string().min(1)).min(1),
    /** The tasks' registered names, same order (folder names and report labels). */
    taskNames: z.array(z.string().min(1)).min(1),
    conditions: z.array(conditionSchema).min(1),
    seeds: z.array(z.number().int().nonnegative()).min(1),
    /** Env steps per task: a single-task run gets this, a multi-task run over K tasks K times it. */
    budgetPerTask: posInt,
    /** Evaluate every this many env steps per task (so curves of all conditions share one x grid). */
    evalEveryPerTask: posInt,
    evalEpisodes: zodOf(SETTINGS.evalEpisodes),
    /** Envs per task stepped together (a K-task run steps K times as many). */
    envsPerTask: posInt,
    /** Learning settings shared by every run: the training settings of the same names (agents/config.ts). */
    reward: zodOf(SETTINGS.reward),
    herK: zodOf(SETTINGS.herK),
    batchSize: zodOf(SETTINGS.batchSize),
    utd: zodOf(SETTINGS.utd),
    learningStartsPerTask: zodOf(SETTINGS.learningStartsPerTask),
    replayPerTask: zodOf(SETTINGS.replayPerTask),
    /** Scripted-expert episodes per task in every run's demonstration buffer (absent in older sweeps: 0). */
    demoEpisodes: zodOf(SETTINGS.demoEpisodes).default(0),
    hidden: zodOf(SETTINGS.sac.hidden),
    /** The strategies' settings (absent in older sweeps: the defaults); each only matters to the conditions that use it. */
    softLambda: zodOf(SETTINGS.softLambda).default(TRAIN_DEFAULTS.softLambda),
    sampleTemperature: zodOf(SETTINGS.sampleTemperature).default(TRAIN_DEFAULTS.sampleTemperature),
    sampleFloor: zodOf(SETTINGS.sampleFloor).default(TRAIN_DEFAULTS.sampleFloor),
    successWindow: zodOf(SETTINGS.successWindow).default(TRAIN_DEFAULTS.successWindow),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.taskNames.length !== s.tasks.length) ctx.addIssue({ code: 'custom', path: ['taskNames'], message: 'one name per task' });
    if (new Set(s.taskNames).size !== s.taskNames.length) ctx.addIssue({ code: 'custom', path: ['tasks'], message: 'a task is listed twice' });
    if (new Set(s.conditions.map((c) => c.id)).size !== s.conditions.length) ctx.addIssue({ code: 'custom', path: ['conditions'], message: 'a condition is listed twice' });
    if (new Set(s.seeds).size !== s.seeds.length) ctx.addIssue({ code: 'custom', path: ['seeds'], message: 'a seed is listed twice' });
    // A run steps all its envs at once, so the env-step counter moves by envsPerTask x K: the
    // evaluation points only land on the same per-task grid in every condition if these divide.
    if (s.evalEveryPerTask % s.envsPerTask !== 0) ctx.addIssue({ code: 'custom', path: ['evalEveryPerTask'], message: `must be a multiple of envsPerTask (${s.envsPerTask})` });
    if (s.budgetPerTask % s.evalEveryPerTask !== 0) ctx.addIssue({ code: 'custom', path: ['budgetPerTask'], message: `must be a multiple of evalEveryPerTask (${s.evalEveryPerTask})` });
  });
export type SweepSpec = z.infer<typeof sweepSchema>;

export const SWEEP_DEFAULTS = {
  // Five seeds: the fewest at which the report's negative-transfer rule (stats.ts) gives verdicts.
  seeds: [0, 1, 2, 3, 4],
  budgetPerTask: 50_000,
  evalEveryPerTask: 5_000,
  evalEpisodes: TRAIN_DEFAULTS.evalEpisodes,
  envsPerTask: 4,
  reward: TRAIN_DEFAULTS.reward,
  herK: TRAIN_DEFAULTS.herK,
  batchSize: TRAIN_DEFAULTS.batchSize,
  utd: TRAIN_DEFAULTS.utd,
  learningStartsPerTask: TRAIN_DEFAULTS.learningStartsPerTask,
  replayPerTask: TRAIN_DEFAULTS.replayPerTask,
  demoEpisodes: TRAIN_DEFAULTS.demoEpisodes,
  hidden: TRAIN_DEFAULTS.sac.hidden,
  softLambda: TRAIN_DEFAULTS.softLambda,
  sampleTemperature: TRAIN_DEFAULTS.sampleTemperature,
  sampleFloor: TRAIN_DEFAULTS.sampleFloor,
  successWindow: TRAIN_DEFAULTS.successWindow,
};

/** The strategies a condition may name after `+` (none is what leaving it out means). */
export const CONDITION_STRATEGIES = STRATEGIES.filter((s) => s !== 'none');

/**
 * `single` (alias `single-task`): one independent policy per task. Otherwise
 * `ARCH[:DESCRIPTOR][+STRATEGY]` (e.g. `concat:metadata`, `multihead+pcgrad`, `soft`): one
 * multi-task policy over all tasks, trained with the strategy (agents/strategy.ts) when given.
 * Its id (folder and report label) is `ARCH-DESCRIPTOR`, then `+STRATEGY`.
 */
export function parseCondition(s: string): Condition {
  const t = s.trim();
  if (t === 'single' || t === SINGLE) return { id: SINGLE, kind: 'single' };
  const [base, strategy, more] = t.split('+');
  const [arch, descriptor = 'onehot', extra] = base.split(':');
  if (
    extra !== undefined || more !== undefined || !(ARCHS as readonly string[]).includes(arch) || !(DESCRIPTORS as readonly string[]).includes(descriptor) ||
    (strategy !== undefined && !(CONDITION_STRATEGIES as readonly string[]).includes(strategy))
  ) {
    throw new Error(
      `unknown condition "${s}": use single, or ARCH[:DESCRIPTOR][+STRATEGY] with ARCH one of ${ARCHS.join(', ')}, DESCRIPTOR one of ${DESCRIPTORS.join(', ')} and STRATEGY one of ${CONDITION_STRATEGIES.join(', ')}`,
    );
  }
  const arch_ = arch as (typeof ARCHS)[number];
  const desc = descriptor as (typeof DESCRIPTORS)[number];
  const id = `${arch_}-${desc}`;
  if (strategy === undefined) return { id, kind: 'multi', arch: arch_, descriptor: desc };
  return { id: `${id}+${strategy}`, kind: 'multi', arch: arch_, descriptor: desc, strategy: strategy as Strategy };
}

/** One training run of the sweep: one child process, one folder. */
export interface RunPlan {
  /** Unique, and the run's folder relative to <sweep>/runs/. */
  id: string;
  condition: string;
  /** Task names this run trains on (one for single-task, all for multi-task). */
  taskNames: string[];
  /** The matching task arguments for train(). */
  taskArgs: string[];
  seed: number;
}

/**
 * Every run, seed-major: the first seed of every condition comes before the second, so a sweep
 * stopped early has whole seeds to report rather than all seeds of a few conditions.
 */
export function planRuns(spec: SweepSpec): RunPlan[] {
  const runs: RunPlan[] = [];
  for (const seed of spec.seeds) {
    for (const c of spec.conditions) {
      if (c.kind === 'single') {
        spec.taskNames.forEach((name, k) =>
          runs.push({ id: `${SINGLE}/${name}/${seed}`, condition: c.id, taskNames: [name], taskArgs: [spec.tasks[k]], seed }),
        );
      } else {
        runs.push({ id: `${c.id}/${seed}`, condition: c.id, taskNames: [...spec.taskNames], taskArgs: [...spec.tasks], seed });
      }
    }
  }
  return runs;
}

/**
 * The order a sweep starts its runs in: seed by seed, as planned (a partial sweep then holds whole
 * seeds), and within a seed the multi-task runs first. They are the long ones (K times a
 * single-task run's env steps): one started after its seed's single-task runs ran alone on one
 * worker at the end of the sweep while the others idled (mt4-150k's last seed: about an hour).
 */
export function startOrder(plans: readonly RunPlan[]): RunPlan[] {
  const seedRank = new Map<number, number>();
  for (const r of plans) if (!seedRank.has(r.seed)) seedRank.set(r.seed, seedRank.size);
  return plans
    .map((r, i) => ({ r, i }))
    .sort((a, b) => seedRank.get(a.r.seed)! - seedRank.get(b.r.seed)! || b.r.taskNames.length - a.r.taskNames.length || a.i - b.i)
    .map((x) => x.r);
}

/** The train() configuration of one run: per-task quantities times the run's task count. */
export function runConfig(spec: SweepSpec, run: RunPlan, out: string): TrainConfig {
  const K = run.taskNames.length;
  const c = spec.conditions.find((x) => x.id === run.condition);
  if (!c) throw new Error(`run ${run.id}: unknown condition ${run.condition}`);
  const evalEvery = spec.evalEveryPerTask * K;
  return makeConfig({
    tasks: run.taskArgs,
    // One task: the "independent" network is a plain single-task network (no task conditioning).
    arch: c.kind === 'single' ? 'independent' : c.arch,
    descriptor: c.kind === 'single' ? 'onehot' : c.descriptor,
    strategy: c.kind === 'single' ? 'none' : (c.strategy ?? 'none'),
    softLambda: spec.softLambda,
    sampleTemperature: spec.sampleTemperature,
    sampleFloor: spec.sampleFloor,
    successWindow: spec.successWindow,
    envSteps: spec.budgetPerTask * K,
    seed: run.seed,
    numEnvs: spec.envsPerTask * K,
    // Every task the same env steps, as the single-task runs it is compared with get.
    envShare: 'even',
    out,
    reward: spec.reward,
    replayPerTask: spec.replayPerTask,
    herK: spec.herK,
    // The batch is split over the run's tasks and utd counts updates per env step in total, so a
    // K-task run does K times the updates on 1/K of the rows each: per task, the same number of
    // sampled transitions as a single-task run.
    batchSize: spec.batchSize,
    utd: spec.utd,
    learningStartsPerTask: spec.learningStartsPerTask,
    demoEpisodes: spec.demoEpisodes,
    evalEvery,
    evalEpisodes: spec.evalEpisodes,
    logEvery: evalEvery,
    // Checkpoints on the evaluation grid, so a resumed run keeps evaluating on the same grid.
    checkpointEvery: evalEvery,
    sac: { hidden: spec.hidden },
  });
}

/** Names of the settings that differ between two specs (for refusing a mismatched resume). */
export function specDiff(a: SweepSpec, b: SweepSpec): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof SweepSpec>;
  return [...keys].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
}
