// Training settings, each declared once (agents/cli/options.ts): type, default, allowed values,
// help text and command-line flag. `makeConfig` checks values set in code against these
// declarations; `npm run train`, `npm start`, `npm run bench` (the settings a sweep passes to its
// runs) and their --help read the same declarations. SAC's hyperparameters are the `sac` subtree,
// with the field names of agents/sac/update.ts's SacHyper (checked below).
import { resolve } from 'node:path';
import { fmt, MAX, numFlag, UsageError } from '../sim/cli/args.ts';
import { ENV_SHARES } from '../sim/env-share.ts';
import { looksLikeTaskFile } from '../sim/registry.ts';
import { bool, choice, defaultsOf, int, list, num, overlay, problems, range, text, type Overrides, type ValuesOf } from './cli/options.ts';
import { ARCHS, DESCRIPTORS } from './nn/conditioned.ts';
import { STRATEGIES } from './strategy.ts';
import type { SacHyper } from './sac/update.ts';

const TEN_YEARS_S = 10 * 365 * 24 * 3600;

/** The headings --help lists the settings under. */
export const GROUPS = { tasks: 'Tasks and agent', schedule: 'Budget and schedule', learning: 'Learning', strategies: 'Multi-task strategies', sac: 'SAC hyperparameters' } as const;
const { tasks: TASKS, schedule: SCHEDULE, learning: LEARNING, strategies: STRATEGY, sac: SAC } = GROUPS;

/** --max-minutes: minutes on the command line, seconds in the configuration; 0 is refused (it would read as "no limit"). */
const minutes = num({ default: 1, above: 0, max: TEN_YEARS_S / 60, help: '', flag: 'max-minutes' });
const maxMinutes = {
  allowed: `minutes, above 0 and at most ${fmt(TEN_YEARS_S / 60)}`,
  parse(t: string): number {
    let n = NaN;
    try {
      n = numFlag('max-minutes', t, 0, -Infinity, Infinity);
    } catch {
      // not a number at all: minutes.parse says what is wanted
    }
    if (n === 0) throw new UsageError(`--max-minutes must be above 0, got "${t}"; leave it out for no time limit`);
    return 60 * minutes.parse(t);
  },
};

export const SETTINGS = {
  tasks: list({
    default: ['reach', 'push', 'pick-place', 'peg-insert'],
    flag: 'tasks',
    group: TASKS,
    help: 'task names or task-file paths (or --suite NAME)',
    // Task files by absolute path, so the checkpoint can be evaluated from any folder.
    item: text({ default: '', fromFlag: (t) => (looksLikeTaskFile(t) ? resolve(t) : t), help: 'a task' }),
    unique: 'a task is listed twice',
  }),
  arch: choice({ default: 'multihead', values: ARCHS, flag: 'arch', group: TASKS, help: 'conditioning architecture of actor and critics (agents/nn/arch/)' }),
  descriptor: choice({
    default: 'onehot',
    values: DESCRIPTORS,
    flag: 'descriptor',
    group: TASKS,
    help: "what concat, gated and moe are conditioned on: the task's one-hot index, its metadata vector, or its description's language vector",
  }),
  experts: int({ default: 4, min: 1, max: 64, flag: 'experts', group: TASKS, help: 'expert trunks of the moe architecture' }),
  normalizeInputs: bool({ default: true, flag: 'normalize-inputs', group: TASKS, help: 'standardise network inputs with running mean and variance (clipped at +-5), as HER does' }),

  envSteps: int({ default: 200_000, min: 1, max: MAX.envSteps, flag: 'steps', group: SCHEDULE, help: 'environment-step budget, all envs and tasks together' }),
  maxSeconds: num({
    default: null,
    none: 'no limit',
    above: 0,
    max: TEN_YEARS_S,
    flag: 'max-minutes',
    metavar: 'M',
    group: SCHEDULE,
    help: 'stop, with a final evaluation and a checkpoint, after M minutes of training time (maxSeconds in code)',
    fromFlag: maxMinutes,
  }),
  stopAtSuccess: num({ default: null, none: 'never', above: 0, max: 1, flag: 'stop-at-success', metavar: 'P', group: SCHEDULE, help: 'stop once an evaluation has every task at or above success rate P' }),
  seed: int({ default: 0, min: 0, max: MAX.seed, flag: 'seed', group: SCHEDULE, help: 'seeds everything: envs, networks, sampling' }),
  numEnvs: int({ default: null, none: '4 per task', min: 1, max: MAX.envs, flag: 'envs', group: SCHEDULE, help: 'envs stepped together, shared among the tasks as --env-share says (at least one per task)' }),
  envShare: choice({
    default: 'even',
    values: ENV_SHARES,
    flag: 'env-share',
    group: SCHEDULE,
    help: "how the training envs are shared among the tasks: even: round-robin; episode-length: in proportion to each task's episode length (every task finishes episodes at about the same rate; BENCHMARKS.md has its ablation)",
  }),
  out: text({ default: 'runs/latest', flag: 'out', metavar: 'DIR', group: SCHEDULE, help: 'output folder: metrics.jsonl, checkpoint.bin, best.bin, config.json' }),
  evalEvery: int({ default: 20_000, min: 0, max: MAX.envSteps, flag: 'eval-every', group: SCHEDULE, help: 'env steps between evaluations (deterministic actions, fresh seeds); 0: only at the end' }),
  evalEpisodes: int({ default: 20, min: 1, max: MAX.episodes, flag: 'eval-episodes', group: SCHEDULE, help: 'evaluation episodes per task' }),
  logEvery: int({ default: 5_000, min: 1, max: MAX.envSteps, flag: 'log-every', group: SCHEDULE, help: 'env steps between metrics rows' }),
  checkpointEvery: int({ default: 20_000, min: 1, max: MAX.envSteps, flag: 'checkpoint-every', group: SCHEDULE, help: 'env steps between checkpoints (and one at the end, and on a stop signal); once a write takes over a second (the replay grows), grid points are skipped to keep checkpointing near 5% of training time' }),

  reward: choice({ default: 'sparse', values: ['sparse', 'dense-v1'], flag: 'reward', group: LEARNING, help: "the tasks' reward: HER's -1/0 or the staged dense one" }),
  utd: num({ default: 0.25, above: 0, max: 64, flag: 'utd', group: LEARNING, help: 'gradient updates per environment step (update-to-data ratio)' }),
  batchSize: int({ default: 256, min: 1, max: MAX.batch, flag: 'batch', group: LEARNING, help: 'transitions per update, split evenly over the tasks (rounded up to a multiple of their number)' }),
  learningStartsPerTask: int({ default: 1_000, min: 0, max: MAX.envSteps, flag: 'learning-starts', group: LEARNING, help: 'env steps per task with uniform random actions before learning starts' }),
  replayPerTask: int({ default: 300_000, min: 1, max: MAX.replay, flag: 'replay', group: LEARNING, help: 'replay capacity per task, in transitions' }),
  herK: num({ default: 4, min: 0, max: 64, flag: 'her', metavar: 'K', group: LEARNING, help: 'relabeled goals per real transition (HER "future"); 0 turns relabeling off' }),
  demoEpisodes: int({ default: 500, min: 0, max: MAX.demos, flag: 'demos', group: LEARNING, help: 'scripted-expert episodes per task (tasks that have an expert) in a separate demonstration buffer; 0: none' }),
  demoFraction: num({ default: 0.5, min: 0, below: 1, flag: 'demo-fraction', group: LEARNING, help: "share of each task's batch rows drawn from its demonstrations, when it has some" }),
  demoEndOnSuccess: bool({ default: false, flag: 'demo-end-on-success', group: LEARNING, help: "end each demonstration episode at the expert's success instead of at the time limit (about half the collection's time; npm start's default)" }),
  demoNoise: num({ default: 0.1, min: 0, max: 1, flag: 'demo-noise', group: LEARNING, help: "standard deviation of Gaussian noise on the expert's actions in demonstrations (wider coverage of states near the expert's path)" }),
  strategy: choice({
    default: 'weighted',
    values: STRATEGIES,
    flag: 'strategy',
    group: STRATEGY,
    help: "none: task-balanced batches; pcgrad: gradient surgery on the critic's and actor's per-task gradients; weighted: more batch rows from tasks with low recent training success (agents/strategy.ts)",
  }),
  softLambda: num({ default: 0.01, min: 0, max: 1e6, flag: 'soft-lambda', group: STRATEGY, help: "arch soft: weight of the penalty lambda x sum over tasks of |theta_task - mean theta|^2 tying the per-task networks (0: independent)" }),
  sampleTemperature: num({ default: 0.3, above: 0, max: 1e6, flag: 'sample-temperature', metavar: 'T', group: STRATEGY, help: 'strategy weighted: task weights exp((1 - success) / T); lower T favours hard tasks more' }),
  sampleFloor: num({ default: 0.5, min: 0, max: 1, flag: 'sample-floor', group: STRATEGY, help: 'strategy weighted: every task keeps at least this share / tasks of each batch (1: uniform)' }),
  successWindow: int({ default: 20, min: 1, max: 100_000, flag: 'success-window', group: STRATEGY, help: "strategy weighted: training episodes per task in each task's recent success rate" }),
  clipTargets: bool({ default: true, flag: 'clip-targets', group: LEARNING, help: "clip critic targets to the returns the sparse reward allows, [-1/(1-gamma), 0] (dense-v1 is left unclipped)" }),

  sac: {
    hidden: list({ default: [256, 256], flag: 'hidden', group: SAC, help: 'hidden widths of actor and critics', item: int({ default: 1, min: 1, max: MAX.hidden, help: 'a width' }) }),
    gamma: num({ default: 0.98, above: 0, below: 1, flag: 'gamma', group: SAC, help: "discount (HER's; CleanRL uses 0.99)" }),
    tau: num({ default: 0.005, above: 0, max: 1, flag: 'tau', group: SAC, help: 'target-network averaging rate' }),
    qLr: num({ default: 0.001, above: 0, max: 1, flag: 'q-lr', group: SAC, help: 'critic learning rate' }),
    policyLr: num({ default: 0.0003, above: 0, max: 1, flag: 'policy-lr', group: SAC, help: 'actor learning rate' }),
    alphaLr: num({ default: 0.001, above: 0, max: 1, flag: 'alpha-lr', group: SAC, help: 'temperature learning rate (one log-temperature per task)' }),
    initLogAlpha: num({ default: Math.log(0.1), min: -20, max: 5, flag: 'init-log-alpha', group: SAC, shown: 'ln 0.1, about -2.3026', help: "every task's initial log-temperature" }),
    targetEntropyScale: num({ default: 1, min: -10, max: 10, flag: 'target-entropy-scale', group: SAC, help: 'target entropy per action dimension: target = -scale x action dims' }),
    logStdMin: num({ default: -5, min: -20, max: 0, flag: 'log-std-min', group: SAC, help: "lower bound of the actor's log-std (below --log-std-max)" }),
    logStdMax: num({ default: 2, min: -5, max: 5, flag: 'log-std-max', group: SAC, help: "upper bound of the actor's log-std" }),
    adamBeta1: num({ default: 0.9, min: 0, below: 1, flag: 'adam-beta1', group: SAC, help: "Adam's first-moment decay" }),
    adamBeta2: num({ default: 0.999, min: 0, below: 1, flag: 'adam-beta2', group: SAC, help: "Adam's second-moment decay" }),
    adamEps: num({ default: 1e-8, above: 0, max: 1, flag: 'adam-eps', group: SAC, help: "Adam's epsilon" }),
    numCritics: int({ default: 2, min: 1, max: 16, flag: 'critics', group: SAC, help: 'critics in the ensemble; the target takes their minimum (2: clipped double-Q)' }),
    layerNorm: bool({ default: false, flag: 'layer-norm', group: SAC, help: "LayerNorm (learned gain and bias) between each hidden layer's product and its activation, in actor and critics, as RLPD's and BRC's critics have it" }),
    bcWeight: num({
      default: 1,
      min: 0,
      max: 1000,
      flag: 'bc-weight',
      group: SAC,
      help: "weight of the actor's Q-filtered behaviour cloning on demonstration rows (copies the expert where the critics rate it above the policy); 0: off",
    }),
    targetClip: range({ default: null, none: 'from --clip-targets', flag: 'target-clip', group: SAC, help: 'clip critic targets to [LO, HI] (overrides --clip-targets)' }),
  },
};

/** Every training setting's value. The SAC seed is not one: the trainer passes `seed`. */
export type TrainConfig = ValuesOf<typeof SETTINGS>;
export type ConfigOverrides = Overrides<typeof SETTINGS>;

// The sac subtree is exactly SacHyper's fields (but the seed), of the same types: the update reads
// what is declared here, and a field added there must be declared here.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sacFieldsMatch: Same<Exclude<keyof SacHyper, 'seed'>, keyof TrainConfig['sac']> = true;
const sacTypesFit = (c: TrainConfig['sac']): Omit<SacHyper, 'seed'> => c;
void sacFieldsMatch;
void sacTypesFit;

export const TRAIN_DEFAULTS: TrainConfig = defaultsOf(SETTINGS);

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Defaults overlaid with `over`, checked; errors name the setting, its flag and what is allowed. */
export function makeConfig(over: ConfigOverrides = {}): TrainConfig {
  const cfg = overlay(defaultsOf(SETTINGS) as Record<string, unknown>, over as Record<string, unknown>) as TrainConfig;
  const issues = problems(SETTINGS, cfg as unknown as Record<string, unknown>);
  if (issues.length === 0 && cfg.sac.logStdMin >= cfg.sac.logStdMax) issues.push(`sac.logStdMin (--log-std-min): must be below sac.logStdMax (${cfg.sac.logStdMax}), got ${cfg.sac.logStdMin}`);
  if (issues.length) throw new ConfigError(issues.join('; '));
  return cfg;
}

/** Envs of a run: the setting, or 4 per task; at least one per task. */
export function envsOf(cfg: TrainConfig, numTasks: number): number {
  const n = cfg.numEnvs ?? 4 * numTasks;
  if (n < numTasks) throw new ConfigError(`numEnvs (--envs): ${fmt(n)} envs for ${numTasks} tasks; every task needs an env`);
  return n;
}

/** Transitions per update: batchSize rounded up to a multiple of the task count (an equal share each). */
export function batchSizeOf(cfg: TrainConfig, numTasks: number): number {
  return Math.ceil(cfg.batchSize / numTasks) * numTasks;
}

/** The critic-target range: sac.targetClip when set, else the sparse reward's return range when clipTargets. */
export function targetClipOf(cfg: TrainConfig): [number, number] | null {
  if (cfg.sac.targetClip) return cfg.sac.targetClip;
  return cfg.clipTargets && cfg.reward === 'sparse' ? [-1 / (1 - cfg.sac.gamma), 0] : null;
}
