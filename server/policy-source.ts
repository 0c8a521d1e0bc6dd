// A rollout source driven by a fixed policy from sim/rollout.ts (random actions or the tasks'
// scripted experts): real rollouts of the real simulator, with no learning. It stands in for the
// trainer until agents/ provides one, and it is what `--policy` selects.
//
// "train" mode steps the main VecEnv (numEnvs envs, round-robin over the tasks) and counts its
// env-steps; "eval" mode steps a separate VecEnv with evalEnvsPerTask envs per task and fresh seeds,
// and reports one "eval" point per task after every round in which each eval env finished an
// episode. The training env-step count stands still while evaluating, as it would for a trainer.
import { CONTROL_DT } from '../sim/config.ts';
import { expertPolicy, randomPolicy, type Policy } from '../sim/rollout.ts';
import type { TaskDefinition } from '../sim/task.ts';
import { VecEnv, type ResetResult, type StepResult } from '../sim/vec-env.ts';
import type { MetricPoint, Mode, SourceInfo, Speed } from './protocol.ts';
import { ControlledSource, HudTracker, Pacer, SuccessCurves, sourceScene, type RolloutSource, type RolloutTap } from './source.ts';

export const POLICY_NAMES = ['random', 'expert'] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

export interface PolicySourceOptions {
  tasks: (string | TaskDefinition)[];
  numEnvs: number;
  policy: PolicyName;
  seed?: number;
  speed?: Speed;
  mode?: Mode;
  evalEnvsPerTask?: number;
  /** Stop after this many control steps in total (both modes); default: run until aborted. */
  maxSteps?: number;
  /** Learning-curve window and spacing (see SuccessCurves). */
  curveWindow?: number;
  curveEveryEnvSteps?: number;
}

interface Running {
  env: VecEnv;
  state: ResetResult;
  hud: HudTracker;
  transforms: Float32Array;
}

export class PolicySource extends ControlledSource implements RolloutSource {
  readonly info: SourceInfo;
  private readonly seed: number;
  private stepsTaken = 0;

  constructor(private readonly opts: PolicySourceOptions) {
    super(opts.mode ?? 'train', opts.speed ?? 1);
    if (!POLICY_NAMES.includes(opts.policy)) throw new RangeError(`unknown policy "${opts.policy}"; known: ${POLICY_NAMES.join(', ')}`);
    this.info = { kind: 'policy', name: `${opts.policy} policy`, modes: ['train', 'eval'] };
    this.seed = opts.seed ?? 1;
  }

  /** Control steps taken so far (both modes). */
  get steps(): number {
    return this.stepsTaken;
  }

  private makePolicy(salt: number): Policy {
    return this.opts.policy === 'expert' ? expertPolicy : randomPolicy(this.seed * 7919 + salt);
  }

  async run(tap: RolloutTap, signal: AbortSignal): Promise<void> {
    const o = this.opts;
    const trainEnv = await VecEnv.create({ tasks: o.tasks, numEnvs: o.numEnvs });
    const taskNames = trainEnv.tasks.map((t) => t.name);
    const perTask = o.evalEnvsPerTask ?? 1;
    const evalTaskOfEnv = taskNames.flatMap((_, t) => Array.from({ length: perTask }, () => t));
    let evalEnv: VecEnv | null = null;
    const train = this.start(trainEnv, this.seed);
    let evalRun: Running | null = null;
    const trainPolicy = this.makePolicy(1);
    const evalPolicy = this.makePolicy(2);
    const curves = new SuccessCurves(taskNames, o.curveWindow ?? 20, o.curveEveryEnvSteps ?? 500);
    let shown: Running | null = null;
    let roundDone = new Uint8Array(0);
    let roundResults: { success: number; ret: number }[][] = [];
    let envSteps = 0;
    const pacer = new Pacer(CONTROL_DT);
    try {
      while (!signal.aborted) {
        if (o.maxSteps !== undefined && this.stepsTaken >= o.maxSteps) break;
        if (this.paused) {
          pacer.reset();
          await this.waker.wait(signal);
          continue;
        }
        let run: Running = train;
        if (this.mode === 'eval') {
          if (!evalRun) {
            evalEnv = await VecEnv.create({ tasks: o.tasks, numEnvs: evalTaskOfEnv.length, taskOfEnv: evalTaskOfEnv });
            evalRun = this.start(evalEnv, this.seed + 1_000_003);
            roundDone = new Uint8Array(evalTaskOfEnv.length);
            roundResults = taskNames.map(() => []);
          }
          run = evalRun;
        }
        if (run !== shown) {
          tap.scene(sourceScene(run.env.describeScene(), this.mode, taskNames));
          shown = run;
          // Publish the current pose at once, so a slow source still shows something.
          tap.frame(run.env.writeTransforms(run.transforms), run.hud.hud, envSteps);
        }
        const policy = run === train ? trainPolicy : evalPolicy;
        const r: StepResult = run.env.step(policy.act(run.env, run.state));
        run.state = r;
        run.hud.update(r);
        this.stepsTaken++;
        let points: MetricPoint[] = [];
        if (run === train) {
          envSteps += run.env.numEnvs;
          curves.record(r, run.env.taskOfEnv);
          points = curves.due(envSteps);
        } else {
          for (let i = 0; i < r.finalInfo.length; i++) {
            const fin = r.finalInfo[i];
            if (!fin || roundDone[i]) continue;
            roundDone[i] = 1;
            roundResults[evalTaskOfEnv[i]].push({ success: fin.success ? 1 : 0, ret: fin.episodeReturn });
          }
          if (roundDone.every((d) => d === 1)) {
            points = roundResults.map((res, t) => ({
              series: 'eval' as const,
              task: taskNames[t],
              envSteps,
              successRate: res.reduce((a, b) => a + b.success, 0) / res.length,
              meanReturn: res.reduce((a, b) => a + b.ret, 0) / res.length,
              episodes: res.length,
            }));
            roundDone.fill(0);
            roundResults = taskNames.map(() => []);
          }
        }
        tap.frame(run.env.writeTransforms(run.transforms), run.hud.hud, envSteps);
        if (points.length) tap.metrics(points);
        await pacer.wait(this.speed, signal);
      }
    } finally {
      trainEnv.close();
      evalEnv?.close();
    }
  }

  private start(env: VecEnv, seed: number): Running {
    const state = env.reset({ seed });
    const hud = new HudTracker(env.numEnvs);
    hud.reset(state.info);
    return { env, state, hud, transforms: env.writeTransforms() };
  }
}
