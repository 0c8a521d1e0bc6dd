// The trainer as a rollout source: `npm start` shows the multi-task agent learning. The viewer is
// one of the trainer's observers (agents/train/observer.ts). In "train" mode viewers see the
// training envs themselves (stepped in the trainer's worker thread, the agent's stochastic
// actions) and the training success curves; in "eval" mode training parks and viewers see
// evaluation rollouts of the current agent (deterministic actions, fresh seeds, paced by the
// playback speed), with an "eval" point per task after each round. The trainer's own periodic
// evaluations are plotted as "eval" points too. Pause parks training itself.
import { agentPolicy } from '../agents/evaluate.ts';
import type { TrainConfig } from '../agents/config.ts';
import type { RunView, StepView, TrainObserver, TrainResult } from '../agents/train/observer.ts';
import { train } from '../agents/train/train.ts';
import { CONTROL_DT } from '../sim/config.ts';
import { resolveTaskArgs } from '../sim/registry.ts';
import { VecEnv } from '../sim/vec-env.ts';
import type { MetricPoint, Mode, SourceInfo, Speed } from './protocol.ts';
import { ControlledSource, HudTracker, Pacer, SuccessCurves, sourceScene, type RolloutSource, type RolloutTap, type SourceScene } from './source.ts';

export interface TrainingSourceOptions {
  resume?: boolean;
  speed?: Speed;
  mode?: Mode;
  /** Envs per task in evaluation mode (default 1). */
  evalEnvsPerTask?: number;
  log?: (line: string) => void;
  /** More observers of the run (e.g. a progress line), after the viewer. */
  observers?: TrainObserver[];
}

export class TrainingSource extends ControlledSource implements RolloutSource {
  readonly info: SourceInfo;
  result: TrainResult | null = null;
  private vectorSteps = 0;
  /** Training control steps so far (each steps every env once). */
  get steps(): number {
    return this.vectorSteps;
  }

  /** From the hub: does any viewer watch an env? Until told, assume so. */
  private anyWatcher = true;

  constructor(
    private readonly cfg: TrainConfig,
    private readonly opts: TrainingSourceOptions = {},
  ) {
    super(opts.mode ?? 'train', opts.speed ?? 1);
    this.info = { kind: 'training', name: `training ${cfg.arch} SAC on ${cfg.tasks.length} task(s)`, modes: ['train', 'eval'] };
  }
  setWatched(envs: ReadonlySet<number> | null): void {
    this.anyWatcher = envs !== null && envs.size > 0;
  }

  async run(tap: RolloutTap, signal: AbortSignal): Promise<void> {
    const viewer = new Viewer(this, tap, signal);
    this.result = await train(this.cfg, {
      resume: this.opts.resume,
      signal,
      observers: [viewer, ...(this.opts.observers ?? [])],
      log: this.opts.log ?? ((l: string) => console.log(l)),
    });
  }

  /** Called by the viewer observer for each training step. */
  countStep(): void {
    this.vectorSteps++;
  }

  /** Transforms cost the worker a read per body: only while someone watches training. */
  get watched(): boolean {
    return this.anyWatcher;
  }

  /** Holds training while paused or in eval mode (showing evaluation rollouts meanwhile). */
  async park(run: RunView, tap: RolloutTap, signal: AbortSignal, trainScene: SourceScene | null): Promise<void> {
    let held = false;
    while (!signal.aborted && (this.paused || this.mode === 'eval')) {
      held = true;
      if (this.paused) {
        await this.waker.wait(signal);
        continue;
      }
      await this.evaluationRollouts(run, tap, signal);
    }
    if (held && trainScene) tap.scene(trainScene);
  }

  /** Evaluation rollouts of the current agent until the mode leaves "eval" (or the run stops). */
  private async evaluationRollouts(run: RunView, tap: RolloutTap, signal: AbortSignal): Promise<void> {
    const tasks = await resolveTaskArgs(this.cfg.tasks);
    const per = this.opts.evalEnvsPerTask ?? 1;
    const taskOfEnv = tasks.flatMap((_, t) => Array.from({ length: per }, () => t));
    const env = await VecEnv.create({ tasks, numEnvs: taskOfEnv.length, taskOfEnv, reward: this.cfg.reward, terminateOnSuccess: true });
    try {
      const policy = agentPolicy(run.agent, env);
      let state = env.reset({ seed: (this.cfg.seed + 2_000_003 + run.envSteps) >>> 0 });
      const hud = new HudTracker(env.numEnvs);
      hud.reset(state.info);
      const names = tasks.map((t) => t.name);
      tap.scene(sourceScene(env.describeScene(), 'eval', names));
      const transforms = env.writeTransforms();
      tap.frame(transforms, hud.hud, run.envSteps);
      const pacer = new Pacer(CONTROL_DT);
      const round = names.map(() => [] as { success: number; ret: number }[]);
      const done = new Uint8Array(env.numEnvs);
      while (!signal.aborted && this.mode === 'eval') {
        if (this.paused) {
          pacer.reset();
          await this.waker.wait(signal);
          continue;
        }
        const r = env.step(policy.act(env, state));
        state = r;
        hud.update(r);
        tap.frame(env.writeTransforms(transforms), hud.hud, run.envSteps);
        for (let i = 0; i < env.numEnvs; i++) {
          const fin = r.finalInfo[i];
          if (!fin || done[i]) continue;
          done[i] = 1;
          round[taskOfEnv[i]].push({ success: fin.success ? 1 : 0, ret: fin.episodeReturn });
        }
        if (done.every((d) => d === 1)) {
          tap.metrics(
            round.map((res, t) => ({
              series: 'eval' as const,
              task: names[t],
              envSteps: run.envSteps,
              successRate: res.reduce((a, b) => a + b.success, 0) / res.length,
              meanReturn: res.reduce((a, b) => a + b.ret, 0) / res.length,
              episodes: res.length,
            })),
          );
          done.fill(0);
          for (const r2 of round) r2.length = 0;
        }
        await pacer.wait(this.speed, signal);
      }
    } finally {
      env.close();
    }
  }
}

/** The viewer as an observer of the training run: scene, frames, curves, and parking. */
class Viewer implements TrainObserver {
  private scene: SourceScene | null = null;
  private hud: HudTracker | null = null;
  private curves: SuccessCurves | null = null;

  constructor(
    private readonly source: TrainingSource,
    private readonly tap: RolloutTap,
    private readonly signal: AbortSignal,
  ) {}

  async start(run: RunView): Promise<void> {
    const desc = await run.describeScene();
    this.scene = sourceScene(desc, 'train', run.taskNames);
    this.hud = new HudTracker(desc.numEnvs);
    this.curves = new SuccessCurves(run.taskNames);
    this.tap.scene(this.scene);
  }

  beforeStep(run: RunView): Promise<void> {
    return this.source.park(run, this.tap, this.signal, this.scene);
  }

  wantsTransforms(): boolean {
    return this.source.watched;
  }

  afterStep(step: StepView, run: RunView): void {
    this.source.countStep();
    this.hud!.update(step.result);
    this.curves!.record(step.result, step.taskOfEnv);
    if (step.transforms) this.tap.frame(step.transforms, this.hud!.hud, step.envSteps);
    const points: MetricPoint[] = this.curves!.due(step.envSteps);
    // The trainer's own evaluations, as "eval" points.
    for (const e of step.evaluation ?? []) {
      points.push({ series: 'eval', task: e.task, envSteps: step.envSteps, successRate: e.successRate, meanReturn: e.meanReturn, episodes: run.cfg.evalEpisodes });
    }
    if (points.length) this.tap.metrics(points);
  }
}
