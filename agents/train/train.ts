// The training loop, top to bottom: one multi-task goal-conditioned SAC agent learns every task of
// the run at once (or, with arch "independent", one network per task in the same code path).
//
//   1. open the run: a new agent, or the run's checkpoint with --resume (run.ts)
//   2. optionally fill per-task demonstration buffers with scripted-expert episodes
//   3. loop until the env-step budget is spent:
//        act    (uniform random before learning starts, then the stochastic policy)
//        step   the envs in the worker thread, and while they simulate,
//        update the due number of times (batches sampled from replay with relabeled goals)
//        store  the step; an env's episode goes to its task's replay when it ends
//      beside the loop, the observers: evaluation, metrics rows and checkpoints at their
//      intervals (and the final ones at the last step), then the caller's (viewer, progress)
//   4. the end: a run stopped by its signal checkpoints where it stands; every other end has its
//      final evaluation, row and checkpoint exactly once
import { ACTION_DIM } from '../../sim/layout.ts';
import type { ResetResult } from '../../sim/vec-env.ts';
import type { TrainConfig } from '../config.ts';
import { openTrainingEnv, type TrainingEnv } from '../env-thread.ts';
import { selectBackend, selectedBackend } from '../tensor/backend.ts';
import { breakdown } from './clock.ts';
import { Checkpointer } from './checkpointer.ts';
import { collectDemos } from './demos.ts';
import { EpisodeRecorder } from './episodes.ts';
import { Evaluator } from './evaluator.ts';
import { MetricsLog } from './metrics-log.ts';
import type { StepView, StopReason, TrainObserver, TrainResult } from './observer.ts';
import { TrainRun } from './run.ts';
import { TaskWeights } from './task-weights.ts';

export interface TrainOptions {
  /** Continue the run in cfg.out from its checkpoint (from the start when it has none yet). */
  resume?: boolean;
  /** Aborted: the run stops after the step in progress, with a checkpoint (a stop signal, a viewer server closing). */
  signal?: AbortSignal;
  /** Called after the built-in ones (evaluator, metrics log, checkpointer), in this order. */
  observers?: TrainObserver[];
  log?: (line: string) => void;
}

/** At most this many updates per step, so a resumed run with a small replay does not burst. */
const MAX_UPDATES_PER_STEP = 64;

export async function train(cfg: TrainConfig, opts: TrainOptions = {}): Promise<TrainResult> {
  const log = opts.log ?? ((l: string) => console.log(l));
  // A script that has not chosen a backend gets the one the CLIs choose: otherwise it would train
  // on whatever tfjs starts with (its plain cpu backend, many times slower than the native
  // kernels, or a registered backend not yet initialised, which fails on the first op).
  if (!selectedBackend()) log(`${(await selectBackend({ log: false })).line} (chosen by train(): the script did not call selectBackend())`);
  const run = await TrainRun.open(cfg, { resume: opts.resume ?? false, log });
  try {
    // Training time (and its breakdown) starts here: demonstrations are part of what learning costs.
    run.startClock();
    if (run.numTasks > 1) {
      const counts = run.envsPerTask;
      run.log(`envs: ${run.numEnvs}, ${cfg.envShare === 'even' ? 'round-robin' : 'by episode length'} (${run.tasks.map((t, k) => `${t.name} ${counts[k]}`).join(', ')})`);
    }
    // A resumed run has its demonstrations in its replay already.
    if (cfg.demoEpisodes > 0 && !run.replayRestored) await run.clock.measureAsync('demonstrations', () => collectDemos(run));
    const env = await openTrainingEnv({ tasks: cfg.tasks, numEnvs: run.numEnvs, taskOfEnv: [...run.taskOfEnv], reward: cfg.reward, terminateOnSuccess: false }, run.tasks, run.log);
    try {
      return await loop(run, env, opts);
    } finally {
      await env.close();
    }
  } finally {
    run.agent.dispose();
  }
}

async function loop(run: TrainRun, env: TrainingEnv, opts: TrainOptions): Promise<TrainResult> {
  const { cfg, agent, replay, rng, clock, state } = run;
  const K = run.numTasks;
  const numEnvs = run.numEnvs;
  const taskOfEnv = run.taskOfEnv;
  const learningStarts = cfg.learningStartsPerTask * K;
  const batch = replay.allocBatch(run.batchSize);
  const episodes = new EpisodeRecorder(taskOfEnv);
  const evaluator = new Evaluator(run);
  const metrics = new MetricsLog(run);
  const checkpointer = new Checkpointer(run);
  const weights = new TaskWeights(run);
  const observers: TrainObserver[] = [weights, evaluator, metrics, checkpointer, ...(opts.observers ?? [])];

  /** Uniform random actions until learning starts (a resumed run that has learned acts at once). */
  const act = (s: ResetResult): Float32Array => {
    if (run.updates > 0 || run.envSteps >= learningStarts) return agent.act(s.observation, s.achievedGoal, s.desiredGoal, taskOfEnv, false);
    const a = new Float32Array(numEnvs * ACTION_DIM);
    for (let k = 0; k < a.length; k++) a[k] = rng.uniform(-1, 1);
    return a;
  };

  /** The updates due by now (utd per env step once learning has started). */
  const update = (): void => {
    if (!replay.ready(run.batchSize / K) || run.envSteps < learningStarts) return;
    const due = Math.floor((run.envSteps - learningStarts) * cfg.utd) + 1;
    const todo = Math.min(due - run.updates, MAX_UPDATES_PER_STEP);
    const counts = weights.counts(); // rows per task (the weighted strategy), else balanced
    run.batchCounts = counts;
    for (let u = 0; u < todo; u++) {
      clock.measure('sampling', () => replay.sample(run.batchSize, rng, batch, counts));
      const m = clock.measure('updates', () => agent.update(batch, u === todo - 1));
      if (m) run.lastMetrics = m;
      state.updates++;
    }
  };

  run.describeScene = () => env.describeScene();
  // A resumed run continues with fresh episodes, not a replay of the first ones.
  let s: ResetResult = await clock.measureAsync('simulation', () => env.reset((cfg.seed + run.envSteps * 7919) >>> 0));
  agent.observe(s.observation, s.achievedGoal, s.desiredGoal);
  for (const o of observers) await o.start?.(run);

  let stop: StopReason = 'budget';
  while (run.envSteps < cfg.envSteps) {
    const parkedFrom = performance.now();
    for (const o of observers) if (o.beforeStep) await clock.measureAsync('parked', async () => o.beforeStep!(run));
    run.addParked(performance.now() - parkedFrom);
    if (opts.signal?.aborted) {
      stop = 'interrupted';
      break;
    }
    if (run.timeUp()) {
      stop = 'time';
      break;
    }

    const actions = clock.measure('acting', () => act(s));
    const taken = actions.slice(); // the step transfers `actions` to the worker
    const pending = clock.measure('simulation', () => env.step(actions, observers.some((o) => o.wantsTransforms?.())));
    update(); // while the worker simulates
    const r = await clock.measureAsync('simulation', () => pending);
    // Let the event loop run (timers, sockets): worker replies alone would chain step after step
    // inside one message-port callback and starve a viewer server in this process.
    await clock.measureAsync('idle', () => new Promise<void>((done) => setImmediate(done)));
    const ended = clock.measure('storing', () => {
      agent.observe(r.observation, r.achievedGoal, r.desiredGoal);
      return episodes.record(s, taken, r, replay.buffers);
    });
    s = r;
    state.envSteps += numEnvs;
    state.episodes += ended.length;

    const step: StepView = { envSteps: run.envSteps, result: r, transforms: r.transforms, taskOfEnv, episodes: ended, final: run.envSteps >= cfg.envSteps || run.timeUp() };
    for (const o of observers) await o.afterStep?.(step, run);
    if (step.stop) {
      stop = step.stop;
      break;
    }
    if (step.final && run.envSteps < cfg.envSteps) {
      stop = 'time';
      break;
    }
  }

  // 4. The loop's last step made the final evaluation, row and checkpoint; a run resumed at or
  // past its end (budget or time limit) that lacks them at this step makes them now. An
  // interrupted run only needs its checkpoint.
  if (stop !== 'interrupted' && metrics.lastRowAt !== run.envSteps) metrics.write(await evaluator.atCurrentStep());
  checkpointer.ensure();
  const final = stop !== 'interrupted' && state.lastEval?.envSteps === run.envSteps ? state.lastEval.tasks : [];
  const result: TrainResult = {
    envSteps: run.envSteps,
    updates: run.updates,
    wallSeconds: run.wall(),
    final,
    stoppedEarly: stop !== 'budget',
    stopReason: stop,
    best: state.best,
    time: breakdown(run.sessionStart, clock.snapshot()),
  };
  for (const o of observers) await o.end?.(result, run);
  return result;
}
