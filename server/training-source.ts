// The trainer as a rollout source: `npm start` shows the multi-task agent learning. In "train"
// mode viewers see the training envs themselves (stepped in the trainer's worker thread, the
// agent's stochastic actions) and the training success curves; in "eval" mode training parks and
// viewers see evaluation rollouts of the current agent (deterministic actions, fresh seeds, paced
// by the playback speed), with an "eval" point per task after each round. The trainer's own
// periodic evaluations are plotted as "eval" points too. Pause parks training itself.
import { agentPolicy } from '../agents/evaluate.ts';
import type { MultiTaskAgent } from '../agents/agent.ts';
import type { TrainConfig } from '../agents/config.ts';
import { train, type TrainResult } from '../agents/train.ts';
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
    let trainScene: SourceScene | null = null;
    let hud: HudTracker | null = null;
    let curves: SuccessCurves | null = null;
    let envSteps = 0;
    const log = this.opts.log ?? ((l: string) => console.log(l));
    this.result = await train(this.cfg, {
      resume: this.opts.resume,
      hooks: {
        log,
        shouldStop: () => signal.aborted,
        onScene: (scene, names) => {
          trainScene = sourceScene(scene, 'train', names);
          hud = new HudTracker(scene.numEnvs);
          curves = new SuccessCurves(names);
          tap.scene(trainScene);
        },
        // Transforms cost the worker a read per body: only while someone watches training.
        wantTransforms: () => this.anyWatcher,
        onStep: (r, transforms, steps, taskOfEnv) => {
          envSteps = steps;
          this.vectorSteps++;
          hud!.update(r);
          curves!.record(r, taskOfEnv);
          if (transforms) tap.frame(transforms, hud!.hud, steps);
          const points = curves!.due(steps);
          if (points.length) tap.metrics(points);
        },
        onRow: (row) => {
          const points: MetricPoint[] = [];
          for (const [task, t] of Object.entries(row.tasks)) {
            if (t.evalSuccess === undefined) continue;
            points.push({ series: 'eval', task, envSteps: row.envSteps, successRate: t.evalSuccess, meanReturn: t.evalReturn ?? 0, episodes: this.cfg.evalEpisodes });
          }
          if (points.length) tap.metrics(points);
        },
        beforeStep: async (agent) => {
          let interrupted = false;
          while (!signal.aborted && (this.paused || this.mode === 'eval')) {
            interrupted = true;
            if (this.paused) {
              await this.waker.wait(signal);
              continue;
            }
            await this.evaluationRollouts(agent, tap, signal, () => envSteps);
          }
          if (interrupted && trainScene) tap.scene(trainScene);
        },
      },
    });
  }

  /** Evaluation rollouts of the current agent until the mode leaves "eval" (or the run stops). */
  private async evaluationRollouts(agent: MultiTaskAgent, tap: RolloutTap, signal: AbortSignal, envSteps: () => number): Promise<void> {
    const tasks = await resolveTaskArgs(this.cfg.tasks);
    const per = this.opts.evalEnvsPerTask ?? 1;
    const taskOfEnv = tasks.flatMap((_, t) => Array.from({ length: per }, () => t));
    const env = await VecEnv.create({ tasks, numEnvs: taskOfEnv.length, taskOfEnv, reward: this.cfg.reward, terminateOnSuccess: true });
    try {
      const policy = agentPolicy(agent, env);
      let state = env.reset({ seed: (this.cfg.seed + 2_000_003 + envSteps()) >>> 0 });
      const hud = new HudTracker(env.numEnvs);
      hud.reset(state.info);
      const names = tasks.map((t) => t.name);
      tap.scene(sourceScene(env.describeScene(), 'eval', names));
      const transforms = env.writeTransforms();
      tap.frame(transforms, hud.hud, envSteps());
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
        tap.frame(env.writeTransforms(transforms), hud.hud, envSteps());
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
              envSteps: envSteps(),
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
