// What sits beside the training loop: metrics, evaluation, checkpoints, the viewer, progress
// displays. Each is a TrainObserver; the loop calls them in order at fixed points and they never
// change what the learner does (the viewer may hold the loop in beforeStep, which is not training
// time). The built-in observers (evaluator, metrics log, checkpointer) come first, in that order,
// and leave what they did at a step on it (evaluation, row, checkpointed) for those after them.
import type { TaskSummary } from '../../sim/rollout.ts';
import type { SceneDescription, StepResult } from '../../sim/vec-env.ts';
import type { MultiTaskAgent } from '../agent.ts';
import type { RunState } from '../checkpoint.ts';
import type { TrainConfig } from '../config.ts';
import type { TimeBreakdown } from './clock.ts';

/** One row of metrics.jsonl. */
export interface MetricsRow {
  envSteps: number;
  wallSeconds: number;
  updates: number;
  envStepsPerSec: number;
  updatesPerSec: number;
  tasks: Record<string, TaskRow>;
  qLoss: number | null;
  actorLoss: number | null;
  alphaLoss: number | null;
  meanQ: number | null;
  /** Where the time since the previous row (or the session's start) went. */
  time: TimeBreakdown;
}

export interface TaskRow {
  /** Training episodes finished since the previous row. */
  episodes: number;
  /** Share of those that succeeded at some step (stochastic actions). */
  trainSuccess: number | null;
  trainReturn: number | null;
  alpha: number;
  /** With the `weighted` strategy: the task's rows in each batch of the last updates. */
  batchRows?: number;
  /** Set on rows where an evaluation ran: deterministic actions, fresh seeds. */
  evalSuccess?: number;
  evalReturn?: number;
}

export type StopReason = 'budget' | 'target' | 'time' | 'interrupted';

export interface TrainResult {
  envSteps: number;
  updates: number;
  wallSeconds: number;
  /** The evaluation at the run's last step (empty when the run was interrupted). */
  final: TaskSummary[];
  /** Ended before the budget was spent: interrupted, time limit or success target. */
  stoppedEarly: boolean;
  /** Why the run ended: budget spent, every task at stopAtSuccess, maxSeconds, or the abort signal (a stop signal, a viewer server closing). */
  stopReason: StopReason;
  /** The evaluation kept in best.bin, if any ran. */
  best?: RunState['best'];
  /** Where this session's time went, from its first step to its end. */
  time: TimeBreakdown;
}

/** The run as observers see it (read-only). */
export interface RunView {
  readonly cfg: TrainConfig;
  readonly taskNames: readonly string[];
  readonly numEnvs: number;
  readonly agent: MultiTaskAgent;
  /** Env steps and updates of the whole run (earlier sessions included). */
  readonly envSteps: number;
  readonly updates: number;
  /** Training seconds of the whole run (earlier sessions included, parked time not). */
  wall(): number;
  /** The training envs' scene (asks the env worker). */
  describeScene(): Promise<SceneDescription>;
  log(line: string): void;
}

/** A training episode that ended at this step. */
export interface EpisodeEnd {
  task: number;
  /** Succeeded at some step of the episode (training envs run to their time limit). */
  success: boolean;
  return: number;
}

export interface StepView {
  readonly envSteps: number;
  readonly result: StepResult;
  /** Body transforms, when an observer asked for them with this step (wantsTransforms). */
  readonly transforms: Float32Array | null;
  /** Task index of each env. */
  readonly taskOfEnv: Int32Array;
  readonly episodes: readonly EpisodeEnd[];
  /** The run's last step (budget spent or time up): it gets the final evaluation, row and checkpoint. */
  readonly final: boolean;
  /** Left by the evaluator when it evaluated at this step. */
  evaluation?: TaskSummary[];
  /** Left by the metrics log when it wrote a row at this step. */
  row?: MetricsRow;
  /** Left by the checkpointer when it wrote checkpoint.bin at this step. */
  checkpointed?: boolean;
  /** Set by an observer to end the run after this step (the success target). */
  stop?: 'target';
}

export interface TrainObserver {
  /** Once, before the first step (after the agent, replay and envs are ready). */
  start?(run: RunView): void | Promise<void>;
  /** Before each step; may hold the loop (a viewer's pause or evaluation rollouts). */
  beforeStep?(run: RunView): void | Promise<void>;
  /** Polled before each step: return body transforms with this step? */
  wantsTransforms?(): boolean;
  /** After each step, in observer order. */
  afterStep?(step: StepView, run: RunView): void | Promise<void>;
  /** Once, when the run has ended (its final row and checkpoint written). */
  end?(result: TrainResult, run: RunView): void | Promise<void>;
}

/** The first multiple of `every` past `envSteps` (Infinity for 0): rows, evaluations and checkpoints fall on these grids, so a resumed run keeps an uninterrupted run's schedule. */
export function nextOnGrid(envSteps: number, every: number): number {
  return every > 0 ? (Math.floor(envSteps / every) + 1) * every : Infinity;
}
