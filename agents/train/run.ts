// One training run's state, shared by the loop and its built-in observers: the settings, the tasks,
// the agent (fresh, or restored from the run's checkpoint with --resume), replay, the learner's
// generator, the counters a checkpoint keeps (RunState), the run folder and the phase clock.
import { envCounts, taskOfEnvs } from '../../sim/env-share.ts';
import { resolveTaskArgs } from '../../sim/registry.ts';
import { Rng } from '../../sim/rng.ts';
import type { TaskDefinition } from '../../sim/task.ts';
import type { SceneDescription } from '../../sim/vec-env.ts';
import { agentSpec, MultiTaskAgent, type AgentSpec } from '../agent.ts';
import type { Checkpoint, RunState } from '../checkpoint.ts';
import { batchSizeOf, envsOf, targetClipOf, type TrainConfig } from '../config.ts';
import { MultiTaskReplay } from '../replay.ts';
import type { SacMetrics } from '../sac/update.ts';
import { PhaseClock, type PhaseTotals } from './clock.ts';
import type { RunView } from './observer.ts';
import { RunFolder } from './run-folder.ts';

/** The agent a training run of these settings builds (bench:nn --agent builds the same). */
export function trainingAgentSpec(cfg: TrainConfig, tasks: readonly TaskDefinition[]): AgentSpec {
  return agentSpec(tasks, { arch: cfg.arch, descriptor: cfg.descriptor, experts: cfg.experts, normalize: cfg.normalizeInputs, strategy: cfg.strategy, softLambda: cfg.softLambda, sac: { ...cfg.sac, seed: cfg.seed, targetClip: targetClipOf(cfg) } });
}

export class TrainRun implements RunView {
  readonly clock = new PhaseClock();
  readonly taskNames: string[];
  /** The last update's losses and temperatures (for metrics rows). */
  lastMetrics: SacMetrics | null = null;
  /** Rows per task of the last updates' batches, when not task-balanced (the weighted strategy). */
  batchCounts: number[] | undefined = undefined;
  /** The env worker's scene, once the loop has its envs. */
  describeScene: () => Promise<SceneDescription> = () => Promise.reject(new Error('the training envs are not running yet'));
  private wallStart = performance.now();
  /** Training seconds of earlier sessions (a resumed run continues from them). */
  readonly wallBefore: number;
  private parkedMs = 0;

  private constructor(
    readonly cfg: TrainConfig,
    readonly tasks: TaskDefinition[],
    readonly spec: AgentSpec,
    readonly agent: MultiTaskAgent,
    readonly replay: MultiTaskReplay,
    readonly rng: Rng,
    /** What checkpoints keep: counters, the generator's state, metrics and evaluation records. */
    readonly state: RunState,
    readonly folder: RunFolder,
    /** Resumed from a checkpoint (not a fresh start). */
    readonly resumed: boolean,
    /** Replay came back with the checkpoint (so demonstrations are in it already). */
    readonly replayRestored: boolean,
    readonly log: (line: string) => void,
  ) {
    this.taskNames = spec.tasks;
    this.wallBefore = state.wallSeconds;
  }

  /** Opens the run in cfg.out: a new one, or (resume) the one there, from its checkpoint. */
  static async open(cfg: TrainConfig, opts: { resume: boolean; log: (line: string) => void }): Promise<TrainRun> {
    const { log } = opts;
    const tasks = await resolveTaskArgs(cfg.tasks);
    const numEnvs = envsOf(cfg, tasks.length);
    const spec = trainingAgentSpec(cfg, tasks);
    const folder = new RunFolder(cfg.out, log);
    folder.refuseOverwrite(opts.resume);
    const agent = new MultiTaskAgent(spec);
    const rng = new Rng(cfg.seed, 0xba7c);
    const config = cfg as unknown as Record<string, unknown>;
    let state: RunState = { envSteps: 0, updates: 0, episodes: 0, wallSeconds: 0, rng: rng.getState(), config };
    let saved: Checkpoint['replay'];
    const resumed = opts.resume && folder.hasCheckpoint();
    if (resumed) {
      let ck: Checkpoint;
      try {
        ck = folder.restore(spec, agent);
      } catch (e) {
        agent.dispose();
        throw e;
      }
      state = { ...ck.run, config };
      rng.setState(ck.run.rng);
      saved = ck.replay;
      const dropped = folder.commitMetrics(state);
      log(`resumed from ${folder.checkpointPath} at ${state.envSteps} env steps, ${state.updates} updates${dropped ? `; dropped ${dropped} metrics row(s) written after that checkpoint` : ''}`);
      folder.adoptBest(spec, state);
    } else if (opts.resume) folder.startOver();

    const replay = new MultiTaskReplay({ tasks, capacityPerTask: cfg.replayPerTask, herK: cfg.herK, reward: cfg.reward, terminateOnSuccess: false, demoFraction: cfg.demoFraction });
    let replayRestored = false;
    if (saved) {
      try {
        saved.buffers.forEach((r, t) => replay.buffers[t].importState(r));
        saved.demos.forEach((r, t) => replay.demos[t].importState(r));
        replayRestored = true;
      } catch (e) {
        log(`replay not restored (${(e as Error).message}); it refills from new episodes`);
        for (const b of [...replay.buffers, ...replay.demos]) b.clear();
      }
    }
    const run = new TrainRun(cfg, tasks, spec, agent, replay, rng, state, folder, resumed, replayRestored, log);
    folder.writeConfig({ ...cfg, numEnvs, batchSize: run.batchSize, taskNames: spec.tasks });
    return run;
  }

  get numTasks(): number {
    return this.tasks.length;
  }
  get numEnvs(): number {
    return envsOf(this.cfg, this.tasks.length);
  }
  /** Envs per task: cfg.envShare over the tasks' episode lengths. */
  get envsPerTask(): number[] {
    return envCounts(this.tasks.map((t) => t.maxSteps), this.numEnvs, this.cfg.envShare);
  }
  /** Which task each env runs, interleaved (sim/env-share.ts). */
  get taskOfEnv(): Int32Array {
    return Int32Array.from(taskOfEnvs(this.envsPerTask));
  }
  /** Transitions per update: the setting rounded up to a multiple of the task count (an equal share each). */
  get batchSize(): number {
    return batchSizeOf(this.cfg, this.numTasks);
  }
  get envSteps(): number {
    return this.state.envSteps;
  }
  get updates(): number {
    return this.state.updates;
  }

  /** The phase clock when this session's training time started (startClock). */
  sessionStart: PhaseTotals = this.clock.snapshot();

  /** Starts this session's training clock (after set-up, before demonstrations). */
  startClock(): void {
    this.wallStart = performance.now();
    this.sessionStart = this.clock.snapshot();
  }

  /** Parked time (a viewer's pause or evaluation rollouts) is not training time. */
  addParked(ms: number): void {
    this.parkedMs += ms;
  }

  wall(): number {
    return this.wallBefore + (performance.now() - this.wallStart - this.parkedMs) / 1000;
  }

  timeUp(): boolean {
    return this.cfg.maxSeconds !== null && this.wall() >= this.cfg.maxSeconds;
  }
}
