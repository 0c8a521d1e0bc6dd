// Training configuration: every setting named, defaulted and documented in one place, validated
// with zod so a bad value is refused with the setting's name.
import { z } from 'zod';
import { ARCHS, DESCRIPTORS } from './nn/conditioned.ts';
import { SAC_DEFAULTS } from './sac/update.ts';

export const TRAIN_DEFAULTS = {
  /** Task names or task-file paths. */
  tasks: ['reach', 'push', 'pick-place', 'peg-insert'] as string[],
  /** Conditioning architecture of actor and critics (agents/nn/conditioned.ts). */
  arch: 'multihead' as (typeof ARCHS)[number],
  /** Task descriptor fed to concat / gated / moe: the one-hot index or the metadata vector. */
  descriptor: 'onehot' as (typeof DESCRIPTORS)[number],
  /** Experts of the `moe` architecture. */
  experts: 4,
  /** Total environment steps (all envs, all tasks). */
  envSteps: 200_000,
  seed: 0,
  /** Envs stepped together (round-robin over the tasks); 0 = 4 per task. */
  numEnvs: 0,
  /** Output folder: metrics.jsonl, checkpoint.bin, config.json. */
  out: 'runs/latest',
  /** `sparse` (HER's -1/0) or `dense-v1`. */
  reward: 'sparse' as 'sparse' | 'dense-v1',
  /** Transitions kept per task. */
  replayPerTask: 300_000,
  /** Relabeled goals per real transition (HER "future"); 0 turns relabeling off. */
  herK: 4,
  /** Standardise network inputs with running mean and variance (clipped at +-5), as HER does. */
  normalizeInputs: true,
  /** Transitions per update, split evenly over the tasks (rounded up to a multiple of their number). */
  batchSize: 256,
  /** Gradient updates per environment step (update-to-data ratio). */
  utd: 0.25,
  /** Environment steps per task with uniform random actions before learning starts. */
  learningStartsPerTask: 1_000,
  /** Scripted-expert episodes per task put in a separate demonstration buffer (0: none). */
  demoEpisodes: 0,
  /** Share of each task's batch rows drawn from its demonstrations, when it has some. */
  demoFraction: 0.25,
  /** Evaluate (deterministic actions, fresh seeds) every this many environment steps; 0: only at the end. */
  evalEvery: 20_000,
  /** Evaluation episodes per task. */
  evalEpisodes: 20,
  /** Write a metrics row every this many environment steps. */
  logEvery: 5_000,
  /** Checkpoint every this many environment steps (and at the end, and on Ctrl-C). */
  checkpointEvery: 20_000,
  /**
   * Clip critic targets to the returns the reward allows: [-1/(1-gamma), 0] for `sparse`
   * (sets sac.targetClip; dense-v1 is left unclipped).
   */
  clipTargets: true,
  /** Stop after this many wall-clock seconds even if the budget is not spent (0: no limit). */
  maxSeconds: 0,
  /** Stop once an evaluation has every task at or above this success rate (0: never). */
  stopAtSuccess: 0,
  /** SAC hyperparameters (agents/sac/update.ts); HER's discount and a lower starting temperature. */
  sac: { ...SAC_DEFAULTS, gamma: 0.98, initLogAlpha: Math.log(0.1) },
};

export type TrainConfig = typeof TRAIN_DEFAULTS;

const posInt = z.number().int().positive();
const nonNegInt = z.number().int().nonnegative();

const sacSchema = z
  .object({
    hidden: z.array(posInt).min(1),
    gamma: z.number().gt(0).lt(1),
    tau: z.number().gt(0).lte(1),
    qLr: z.number().positive(),
    policyLr: z.number().positive(),
    alphaLr: z.number().positive(),
    initLogAlpha: z.number().finite(),
    targetEntropyScale: z.number().finite(),
    logStdMin: z.number(),
    logStdMax: z.number(),
    adamBeta1: z.number().gte(0).lt(1),
    adamBeta2: z.number().gte(0).lt(1),
    adamEps: z.number().positive(),
    numCritics: posInt,
    layerNorm: z.boolean(),
    targetClip: z.tuple([z.number(), z.number()]).refine(([lo, hi]) => lo < hi, 'lower bound must be below the upper').nullable(),
    seed: nonNegInt,
  })
  .strict();

const schema = z
  .object({
    tasks: z.array(z.string().min(1)).min(1),
    arch: z.enum(ARCHS),
    descriptor: z.enum(DESCRIPTORS),
    experts: posInt,
    envSteps: posInt,
    seed: nonNegInt.max(2 ** 32 - 1),
    numEnvs: nonNegInt.max(4096),
    out: z.string().min(1),
    reward: z.enum(['sparse', 'dense-v1']),
    replayPerTask: posInt,
    normalizeInputs: z.boolean(),
    herK: z.number().nonnegative(),
    batchSize: posInt,
    utd: z.number().positive(),
    learningStartsPerTask: nonNegInt,
    demoEpisodes: nonNegInt,
    demoFraction: z.number().gte(0).lt(1),
    evalEvery: nonNegInt,
    evalEpisodes: posInt,
    logEvery: posInt,
    checkpointEvery: posInt,
    clipTargets: z.boolean(),
    maxSeconds: z.number().nonnegative(),
    stopAtSuccess: z.number().gte(0).lte(1),
    sac: sacSchema,
  })
  .strict();

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Defaults overlaid with `over`, validated; errors name the setting. */
export function makeConfig(over: Partial<Omit<TrainConfig, 'sac'>> & { sac?: Partial<TrainConfig['sac']> } = {}): TrainConfig {
  const merged = { ...TRAIN_DEFAULTS, ...over, sac: { ...TRAIN_DEFAULTS.sac, ...(over.sac ?? {}) } };
  const r = schema.safeParse(merged);
  if (!r.success) {
    throw new ConfigError(r.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`).join('; '));
  }
  const cfg = r.data as TrainConfig;
  if (new Set(cfg.tasks).size !== cfg.tasks.length) throw new ConfigError('tasks: a task is listed twice');
  return cfg;
}
