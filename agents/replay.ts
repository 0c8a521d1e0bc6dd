// Replay for multi-task, goal-conditioned learning: one buffer per task, task-balanced batches,
// and hindsight goal relabeling (HER, "future" strategy) within the task, rewarded by that task's
// own reward function.
//
// Episodes are written whole (envs stage their transitions until the episode ends), so the
// transitions of an episode are contiguous in the ring and "a later step of the same episode" is
// an index range. A transition's episode end is never overwritten before the transition itself:
// later steps are newer.
import type { Rng } from '../sim/rng.ts';
import { TaskStateView, type TaskDefinition } from '../sim/task.ts';
import { GOAL_DIM, OBS_DIM, ACTION_DIM } from '../sim/layout.ts';
import { sparseReward, type RewardName } from '../sim/vec-env.ts';

export interface Transition {
  obs: Float32Array; // OBS_DIM
  /** Achieved goal in `obs`: the goal-relative part of the state (goal minus achieved). */
  achieved: Float32Array; // GOAL_DIM
  action: Float32Array; // ACTION_DIM
  reward: number;
  nextObs: Float32Array; // OBS_DIM
  /** Achieved goal after the step: what relabeled goals are drawn from. */
  nextAchieved: Float32Array; // GOAL_DIM
  desired: Float32Array; // GOAL_DIM
  terminated: boolean;
}

export const REPLAY_FIELDS = ['obs', 'achieved', 'action', 'reward', 'nextObs', 'nextAchieved', 'desired', 'terminated', 'toGo'] as const;

export interface ReplaySnapshot {
  capacity: number;
  written: number;
  episodes: number;
  arrays: Record<(typeof REPLAY_FIELDS)[number], Float32Array>;
}

/** A ring of whole episodes of one task. */
export class TaskReplay {
  readonly obs: Float32Array;
  readonly achieved: Float32Array;
  readonly action: Float32Array;
  readonly reward: Float32Array;
  readonly nextObs: Float32Array;
  readonly nextAchieved: Float32Array;
  readonly desired: Float32Array;
  readonly terminated: Uint8Array;
  /** Absolute index one past the last transition of each transition's episode. */
  readonly episodeEnd: Float64Array;
  /** Transitions ever written (absolute index of the next one). */
  written = 0;
  episodes = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`replay capacity must be a positive integer, got ${capacity}`);
    this.obs = new Float32Array(capacity * OBS_DIM);
    this.achieved = new Float32Array(capacity * GOAL_DIM);
    this.action = new Float32Array(capacity * ACTION_DIM);
    this.reward = new Float32Array(capacity);
    this.nextObs = new Float32Array(capacity * OBS_DIM);
    this.nextAchieved = new Float32Array(capacity * GOAL_DIM);
    this.desired = new Float32Array(capacity * GOAL_DIM);
    this.terminated = new Uint8Array(capacity);
    this.episodeEnd = new Float64Array(capacity);
  }

  get size(): number {
    return Math.min(this.written, this.capacity);
  }

  clear(): void {
    this.written = 0;
    this.episodes = 0;
  }

  addEpisode(steps: readonly Transition[]): void {
    if (steps.length === 0) return;
    // An episode longer than the whole ring keeps only its tail.
    const kept = steps.length > this.capacity ? steps.slice(steps.length - this.capacity) : steps;
    const end = this.written + kept.length;
    for (const t of kept) {
      const i = this.written % this.capacity;
      this.obs.set(t.obs, i * OBS_DIM);
      this.achieved.set(t.achieved, i * GOAL_DIM);
      this.action.set(t.action, i * ACTION_DIM);
      this.reward[i] = t.reward;
      this.nextObs.set(t.nextObs, i * OBS_DIM);
      this.nextAchieved.set(t.nextAchieved, i * GOAL_DIM);
      this.desired.set(t.desired, i * GOAL_DIM);
      this.terminated[i] = t.terminated ? 1 : 0;
      this.episodeEnd[i] = end;
      this.written++;
    }
    this.episodes++;
  }

  /** The filled part of the ring, for checkpoints (episode ends stored as steps-to-go: float32-exact). */
  exportState(): ReplaySnapshot {
    const n = this.size;
    const toGo = new Float32Array(n);
    for (let i = 0; i < n; i++) toGo[i] = this.episodeEnd[i] - this.absolute(i);
    return {
      capacity: this.capacity,
      written: this.written,
      episodes: this.episodes,
      arrays: {
        obs: this.obs.subarray(0, n * OBS_DIM),
        achieved: this.achieved.subarray(0, n * GOAL_DIM),
        action: this.action.subarray(0, n * ACTION_DIM),
        reward: this.reward.subarray(0, n),
        nextObs: this.nextObs.subarray(0, n * OBS_DIM),
        nextAchieved: this.nextAchieved.subarray(0, n * GOAL_DIM),
        desired: this.desired.subarray(0, n * GOAL_DIM),
        terminated: Float32Array.from(this.terminated.subarray(0, n)),
        toGo,
      },
    };
  }

  importState(s: ReplaySnapshot): void {
    if (s.capacity !== this.capacity) throw new RangeError(`replay snapshot has capacity ${s.capacity}, this buffer ${this.capacity}`);
    const n = Math.min(s.written, s.capacity);
    const a = s.arrays;
    const want: [Float32Array, number][] = [
      [a.obs, n * OBS_DIM], [a.achieved, n * GOAL_DIM], [a.action, n * ACTION_DIM], [a.reward, n], [a.nextObs, n * OBS_DIM],
      [a.nextAchieved, n * GOAL_DIM], [a.desired, n * GOAL_DIM], [a.terminated, n], [a.toGo, n],
    ];
    for (const [arr, len] of want) if (arr.length !== len) throw new RangeError('replay snapshot arrays have the wrong sizes');
    this.written = s.written;
    this.episodes = s.episodes;
    this.obs.set(a.obs);
    this.achieved.set(a.achieved);
    this.action.set(a.action);
    this.reward.set(a.reward);
    this.nextObs.set(a.nextObs);
    this.nextAchieved.set(a.nextAchieved);
    this.desired.set(a.desired);
    for (let i = 0; i < n; i++) {
      this.terminated[i] = a.terminated[i];
      this.episodeEnd[i] = this.absolute(i) + a.toGo[i];
    }
  }

  /** Absolute index of slot i (the newest write to it). */
  absolute(i: number): number {
    const base = this.written - (this.written % this.capacity);
    return i < this.written % this.capacity ? base + i : base - this.capacity + i;
  }
}

export interface BatchArrays {
  /** Goal-conditioned states (writeState), rows of STATE_DIM; the learner adds the task's descriptor. */
  state: Float32Array;
  nextState: Float32Array;
  action: Float32Array;
  reward: Float32Array;
  terminated: Float32Array;
  task: Int32Array;
  /** 1 where the row is an expert demonstration (the actor's behaviour-cloning term reads it). */
  demo: Float32Array;
}

export interface ReplayConfig {
  tasks: readonly TaskDefinition[];
  capacityPerTask: number;
  /** Relabels per real transition ("future" strategy): a goal is relabeled with probability k / (k + 1). 0 turns HER off. */
  herK: number;
  reward: RewardName;
  /** Episodes end on success (then a relabeled success is terminal too). */
  terminateOnSuccess: boolean;
  /** Share of each task's batch rows taken from its demonstration buffer, when it has one. */
  demoFraction: number;
}

/**
 * Goal-conditioned state: the observation, the desired goal, and the goal relative to what the
 * task has achieved (desired minus achieved). The difference is what a goal-reaching policy acts
 * on; given explicitly, one network serves goals anywhere in the workspace without having to learn
 * the subtraction (the combined recipe in BENCHMARKS.md measured it with the rest).
 */
export const STATE_DIM = OBS_DIM + 2 * GOAL_DIM;

/** Writes row `row` of `out` (STATE_DIM wide) from row `i` of obs, achieved (`a`) and goal (`g`) arrays. */
export function writeState(out: Float32Array, row: number, obs: Float32Array, i: number, achieved: Float32Array, a: number, goal: Float32Array, g: number): void {
  const o = row * STATE_DIM;
  out.set(obs.subarray(i * OBS_DIM, (i + 1) * OBS_DIM), o);
  for (let k = 0; k < GOAL_DIM; k++) {
    const d = goal[g * GOAL_DIM + k];
    out[o + OBS_DIM + k] = d;
    out[o + OBS_DIM + GOAL_DIM + k] = d - achieved[a * GOAL_DIM + k];
  }
}

export class MultiTaskReplay {
  readonly buffers: TaskReplay[];
  readonly demos: TaskReplay[];
  private readonly scratchGoal = new Float32Array(GOAL_DIM);

  constructor(readonly cfg: ReplayConfig) {
    if (!(cfg.herK >= 0)) throw new RangeError(`herK must be >= 0, got ${cfg.herK}`);
    if (!(cfg.demoFraction >= 0 && cfg.demoFraction < 1)) throw new RangeError(`demoFraction must be in [0, 1), got ${cfg.demoFraction}`);
    this.buffers = cfg.tasks.map(() => new TaskReplay(cfg.capacityPerTask));
    this.demos = cfg.tasks.map(() => new TaskReplay(cfg.capacityPerTask));
  }

  get numTasks(): number {
    return this.buffers.length;
  }

  /** True once every task has at least `min` transitions (real or demonstration). */
  ready(min: number): boolean {
    return this.buffers.every((b, t) => b.size + this.demos[t].size >= min);
  }

  allocBatch(batchSize: number): BatchArrays {
    return {
      state: new Float32Array(batchSize * STATE_DIM),
      nextState: new Float32Array(batchSize * STATE_DIM),
      action: new Float32Array(batchSize * ACTION_DIM),
      reward: new Float32Array(batchSize),
      terminated: new Float32Array(batchSize),
      task: new Int32Array(batchSize),
      demo: new Float32Array(batchSize),
    };
  }

  /**
   * A task-balanced batch: the same number of rows from every task whatever its data volume
   * (batchSize must be a multiple of the number of tasks), or `counts[t]` rows of task t when
   * given (agents/task-sampling.ts; they must sum to batchSize). Rows come grouped by task, in task
   * order. Each is relabeled with probability herK / (herK + 1) to an achieved goal from later in
   * its own episode.
   */
  sample(batchSize: number, rng: Rng, out: BatchArrays = this.allocBatch(batchSize), counts?: readonly number[]): BatchArrays {
    const K = this.numTasks;
    if (counts) {
      if (counts.length !== K || counts.some((c) => !Number.isInteger(c) || c < 0) || counts.reduce((a, b) => a + b, 0) !== batchSize) {
        throw new RangeError(`per-task counts [${counts.join(', ')}] must be ${K} non-negative integers summing to the batch size ${batchSize}`);
      }
    } else if (batchSize % K !== 0) throw new RangeError(`batch size ${batchSize} is not a multiple of the ${K} tasks`);
    const pHer = this.cfg.herK / (this.cfg.herK + 1);
    let row = 0;
    for (let t = 0; t < K; t++) {
      const real = this.buffers[t];
      const demo = this.demos[t];
      const rows = counts ? counts[t] : batchSize / K;
      if (rows === 0) continue;
      if (real.size + demo.size === 0) throw new Error(`task "${this.cfg.tasks[t].name}" has no transitions to sample`);
      for (let k = 0; k < rows; k++, row++) {
        const fromDemo = demo.size > 0 && (real.size === 0 || rng.float() < this.cfg.demoFraction);
        const buf = fromDemo ? demo : real;
        this.writeRow(buf, rng.int(buf.size), t, rng.float() < pHer, rng, out, row);
        out.demo[row] = fromDemo ? 1 : 0;
      }
    }
    return out;
  }

  private writeRow(buf: TaskReplay, i: number, t: number, relabel: boolean, rng: Rng, out: BatchArrays, row: number): void {
    const task = this.cfg.tasks[t];
    const goal = this.scratchGoal;
    let reward: number;
    let terminated: number;
    if (relabel) {
      // "future": a goal achieved at this step or later in the same episode.
      const abs = buf.absolute(i);
      const j = (abs + rng.int(buf.episodeEnd[i] - abs)) % buf.capacity;
      goal.set(buf.nextAchieved.subarray(j * GOAL_DIM, (j + 1) * GOAL_DIM));
      const achieved = buf.nextAchieved.subarray(i * GOAL_DIM, (i + 1) * GOAL_DIM);
      const success = task.isSuccess(achieved, goal);
      reward = relabeledReward(task, this.cfg.reward, buf.nextObs.subarray(i * OBS_DIM, (i + 1) * OBS_DIM), achieved, goal, success);
      terminated = this.cfg.terminateOnSuccess && success ? 1 : 0;
    } else {
      goal.set(buf.desired.subarray(i * GOAL_DIM, (i + 1) * GOAL_DIM));
      reward = buf.reward[i];
      terminated = buf.terminated[i];
    }
    writeState(out.state, row, buf.obs, i, buf.achieved, i, goal, 0);
    writeState(out.nextState, row, buf.nextObs, i, buf.nextAchieved, i, goal, 0);
    out.action.set(buf.action.subarray(i * ACTION_DIM, (i + 1) * ACTION_DIM), row * ACTION_DIM);
    out.reward[row] = reward;
    out.terminated[row] = terminated;
    out.task[row] = t;
  }
}

/** The task's own reward for a relabeled goal: sparse from the predicate, dense from the hook. */
export function relabeledReward(
  task: TaskDefinition,
  reward: RewardName,
  nextObs: Float32Array,
  achieved: Float32Array,
  goal: Float32Array,
  success: boolean,
): number {
  if (reward === 'sparse') return sparseReward(success);
  const view = new TaskStateView(nextObs, goal, task);
  return task.denseReward(view, achieved, success);
}

/** Collects each env's transitions until its episode ends, then writes the episode whole. */
export class EpisodeStager {
  private readonly pending: Transition[][];

  constructor(numEnvs: number) {
    this.pending = Array.from({ length: numEnvs }, () => []);
  }

  push(env: number, t: Transition): void {
    this.pending[env].push(t);
  }

  /** Hands env's finished episode to `sink` and starts a new one. */
  finish(env: number, sink: TaskReplay): void {
    sink.addEpisode(this.pending[env]);
    this.pending[env] = [];
  }

  /** Forgets env's current episode. */
  drop(env: number): void {
    this.pending[env] = [];
  }

  pendingSteps(env: number): number {
    return this.pending[env].length;
  }
}
