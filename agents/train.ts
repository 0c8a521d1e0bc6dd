// The training loop, top to bottom: one multi-task goal-conditioned SAC agent learns every task of
// the run at once (or, with arch "independent", one network per task in the same code path).
//
//   1. build the agent (or restore it from the run's checkpoint with --resume)
//   2. optionally fill per-task demonstration buffers with scripted-expert episodes
//   3. loop until the env-step budget is spent:
//        act (random before learning starts, then the stochastic policy)
//        send the actions to the env worker, and while it simulates, run the due updates
//        store the transitions; an env's episode goes to its task's replay when it ends
//        log a metrics row, evaluate, checkpoint at their intervals
//   4. final evaluation and checkpoint
//
// Environment stepping runs in a worker thread (agents/remote-env.ts) so both cores work.
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ACTION_DIM, GOAL_DIM, OBS_DIM } from '../sim/layout.ts';
import { resolveTaskArgs } from '../sim/registry.ts';
import { Rng } from '../sim/rng.ts';
import type { TaskSummary } from '../sim/rollout.ts';
import { VecEnv, type ResetResult, type SceneDescription, type StepResult } from '../sim/vec-env.ts';
import { agentSpec, MultiTaskAgent } from './agent.ts';
import { assertCompatible, loadCheckpoint, saveCheckpoint, type Checkpoint, type RunState } from './checkpoint.ts';
import type { TrainConfig } from './config.ts';
import { evaluate } from './evaluate.ts';
import { RemoteVecEnv } from './remote-env.ts';
import { EpisodeStager, MultiTaskReplay, type Transition } from './replay.ts';
import type { SacMetrics } from './sac/update.ts';

export interface TaskRow {
  /** Training episodes finished since the previous row. */
  episodes: number;
  /** Share of those that succeeded at some step (stochastic actions). */
  trainSuccess: number | null;
  trainReturn: number | null;
  alpha: number;
  /** Set on rows where an evaluation ran: deterministic actions, fresh seeds. */
  evalSuccess?: number;
  evalReturn?: number;
}

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
}

export interface TrainHooks {
  /** Every metrics row, as written to metrics.jsonl. */
  onRow?: (row: MetricsRow) => void;
  /** After every env step (cheap; for progress displays). */
  onProgress?: (p: { envSteps: number; budget: number; wallSeconds: number; recentSuccess: Record<string, number | null> }) => void;
  /** Polled each step; when it returns true the run checkpoints and stops (Ctrl-C). */
  shouldStop?: () => boolean;
  log?: (line: string) => void;
  /** Viewers: the training envs' scene, once at the start. */
  onScene?: (scene: SceneDescription, taskNames: string[]) => void;
  /** Viewers: polled each step; true asks the env worker for body transforms with the step. */
  wantTransforms?: () => boolean;
  /** Viewers: after each env step, with transforms when asked for. */
  onStep?: (r: StepResult, transforms: Float32Array | null, envSteps: number, taskOfEnv: Int32Array) => void;
  /**
   * Awaited before each step: a viewer can park the loop here (pause) or run evaluation rollouts
   * of the current agent in between (eval mode). Training resumes when it resolves.
   */
  beforeStep?: (agent: MultiTaskAgent) => Promise<void>;
}

export interface TrainResult {
  envSteps: number;
  updates: number;
  wallSeconds: number;
  /** Final evaluation (empty when the run was interrupted: Ctrl-C or shouldStop). */
  final: TaskSummary[];
  stoppedEarly: boolean;
  /** The evaluation kept in best.bin, if any ran. */
  best?: RunState['best'];
}

export const CHECKPOINT_FILE = 'checkpoint.bin';
/**
 * The agent of the best evaluation so far (no replay: for evaluating and watching, not resuming).
 * Off-policy learners can lose a solved task later in a run; this keeps what it reached.
 */
export const BEST_FILE = 'best.bin';
export const METRICS_FILE = 'metrics.jsonl';

export async function train(cfg: TrainConfig, opts: { resume?: boolean; hooks?: TrainHooks } = {}): Promise<TrainResult> {
  const hooks = opts.hooks ?? {};
  const log = hooks.log ?? ((l: string) => console.log(l));
  const tasks = await resolveTaskArgs(cfg.tasks);
  const K = tasks.length;
  const numEnvs = cfg.numEnvs > 0 ? cfg.numEnvs : 4 * K;
  if (numEnvs < K) throw new Error(`numEnvs (${numEnvs}) must be at least the number of tasks (${K})`);
  const batchSize = Math.ceil(cfg.batchSize / K) * K;
  const spec = agentSpec(tasks, { arch: cfg.arch, descriptor: cfg.descriptor, experts: cfg.experts, normalize: cfg.normalizeInputs, sac: { ...cfg.sac, seed: cfg.seed, targetClip: targetClipOf(cfg) } });
  mkdirSync(cfg.out, { recursive: true });
  const ckptPath = join(cfg.out, CHECKPOINT_FILE);
  const metricsPath = join(cfg.out, METRICS_FILE);

  // 1. agent, fresh or resumed
  const agent = new MultiTaskAgent(spec);
  const rng = new Rng(cfg.seed, 0xba7c);
  let run: RunState = { envSteps: 0, updates: 0, episodes: 0, wallSeconds: 0, rng: rng.getState(), config: cfg as unknown as Record<string, unknown> };
  let restoredReplay: Checkpoint['replay'];
  if (opts.resume) {
    if (!existsSync(ckptPath)) throw new Error(`--resume: no checkpoint in ${cfg.out} (looked for ${ckptPath})`);
    const ck = loadCheckpoint(ckptPath);
    assertCompatible(ck.spec, spec, ckptPath);
    agent.setState(ck.agent);
    run = { ...ck.run, config: cfg as unknown as Record<string, unknown> };
    rng.setState(ck.run.rng);
    restoredReplay = ck.replay;
    log(`resumed from ${ckptPath} at ${run.envSteps} env steps, ${run.updates} updates`);
  } else if (existsSync(metricsPath)) {
    throw new Error(`${cfg.out} already holds a run (${METRICS_FILE}); use --resume to continue it or choose another --out`);
  }
  writeFileSync(join(cfg.out, 'config.json'), JSON.stringify({ ...cfg, numEnvs, batchSize, tasks: cfg.tasks, taskNames: spec.tasks }, null, 2));

  const replay = new MultiTaskReplay({
    tasks,
    capacityPerTask: cfg.replayPerTask,
    herK: cfg.herK,
    reward: cfg.reward,
    terminateOnSuccess: false,
    demoFraction: cfg.demoFraction,
  });

  if (restoredReplay) {
    try {
      restoredReplay.buffers.forEach((r, t) => replay.buffers[t].importState(r));
      restoredReplay.demos.forEach((r, t) => replay.demos[t].importState(r));
    } catch (e) {
      log(`replay not restored (${(e as Error).message}); it refills from new episodes`);
      for (const b of [...replay.buffers, ...replay.demos]) b.clear();
    }
  }

  // 2. demonstrations, from the scripted experts (a resumed run has them in its replay already)
  if (cfg.demoEpisodes > 0 && !restoredReplay) await collectDemos(tasks.map((t) => t.name), cfg, replay, agent, log);

  // 3. the loop
  const env = new RemoteVecEnv({ tasks: cfg.tasks, numEnvs, reward: cfg.reward, terminateOnSuccess: false });
  const taskOfEnv = Int32Array.from({ length: numEnvs }, (_, i) => i % K);
  const stager = new EpisodeStager(numEnvs);
  const succeeded = new Uint8Array(numEnvs);
  const window = tasks.map(() => ({ episodes: 0, successes: 0, ret: 0 }));
  const recent = tasks.map(() => [] as number[]);
  const batch = replay.allocBatch(batchSize);
  const learningStarts = cfg.learningStartsPerTask * K;
  let lastMetrics: SacMetrics | null = null;
  let stoppedEarly = false;
  // An evaluation met stopAtSuccess: write this step's row, then end the loop.
  let reachedTarget = false;
  // Stopped from outside (Ctrl-C, a viewer server shutting down): checkpoint, skip the final evaluation.
  let interrupted = false;
  const t0 = performance.now();
  // Wall time of earlier sessions of this run (resume) plus this one's; time parked by a viewer
  // (pause, evaluation rollouts) is not training time.
  const wallBefore = run.wallSeconds;
  let parkedMs = 0;
  const wall = () => wallBefore + (performance.now() - t0 - parkedMs) / 1000;
  let rowClock = { t: wall(), envSteps: run.envSteps, updates: run.updates };
  let nextLog = run.envSteps + cfg.logEvery;
  let nextEval = cfg.evalEvery > 0 ? run.envSteps + cfg.evalEvery : Infinity;
  let nextCkpt = run.envSteps + cfg.checkpointEvery;
  let evalRound = Math.floor(run.envSteps / Math.max(1, cfg.evalEvery));
  // A resumed run continues with fresh episodes, not a replay of the first ones.
  let state: ResetResult = await env.reset((cfg.seed + run.envSteps * 7919) >>> 0);
  agent.observe(state.observation, state.desiredGoal);
  if (hooks.onScene) hooks.onScene(await env.describeScene(), spec.tasks);

  const checkpoint = () => {
    run.wallSeconds = wall();
    run.rng = rng.getState();
    saveCheckpoint(ckptPath, {
      spec,
      run,
      agent: agent.getState(),
      replay: { buffers: replay.buffers.map((b) => b.exportState()), demos: replay.demos.map((b) => b.exportState()) },
    });
  };

  const writeRow = (evalRows?: TaskSummary[]) => {
    const now = wall();
    const dt = Math.max(1e-9, now - rowClock.t);
    const alphas = lastMetrics?.alpha ?? Array.from(agent.sac.logAlpha.dataSync(), Math.exp);
    const row: MetricsRow = {
      envSteps: run.envSteps,
      wallSeconds: now,
      updates: run.updates,
      envStepsPerSec: (run.envSteps - rowClock.envSteps) / dt,
      updatesPerSec: (run.updates - rowClock.updates) / dt,
      tasks: Object.fromEntries(
        tasks.map((t, k) => {
          const w = window[k];
          const r: TaskRow = {
            episodes: w.episodes,
            trainSuccess: w.episodes ? w.successes / w.episodes : null,
            trainReturn: w.episodes ? w.ret / w.episodes : null,
            alpha: alphas[k],
          };
          const e = evalRows?.find((x) => x.task === t.name);
          if (e) {
            r.evalSuccess = e.successRate;
            r.evalReturn = e.meanReturn;
          }
          return [t.name, r];
        }),
      ),
      qLoss: lastMetrics?.qLoss ?? null,
      actorLoss: lastMetrics?.actorLoss ?? null,
      alphaLoss: lastMetrics?.alphaLoss ?? null,
      meanQ: lastMetrics?.meanQ ?? null,
    };
    appendFileSync(metricsPath, JSON.stringify(row) + '\n');
    hooks.onRow?.(row);
    for (const w of window) Object.assign(w, { episodes: 0, successes: 0, ret: 0 });
    rowClock = { t: now, envSteps: run.envSteps, updates: run.updates };
  };

  const keepBest = (rows: TaskSummary[]) => {
    const meanSuccess = rows.reduce((a, e) => a + e.successRate, 0) / Math.max(1, rows.length);
    if (run.best && meanSuccess < run.best.meanSuccess) return;
    run.best = { envSteps: run.envSteps, wallSeconds: wall(), meanSuccess };
    saveCheckpoint(join(cfg.out, BEST_FILE), { spec, run: { ...run, rng: rng.getState() }, agent: agent.getState() });
  };

  const runEval = async () => evaluate(agent, tasks, { episodesPerTask: cfg.evalEpisodes, seed: (1_000_003 + cfg.seed * 7 + evalRound++) >>> 0, reward: cfg.reward });

  try {
    while (run.envSteps < cfg.envSteps) {
      if (hooks.beforeStep) {
        const tb = performance.now();
        await hooks.beforeStep(agent);
        parkedMs += performance.now() - tb;
      }
      if (hooks.shouldStop?.()) {
        stoppedEarly = interrupted = true;
        break;
      }
      if (cfg.maxSeconds > 0 && wall() >= cfg.maxSeconds) {
        stoppedEarly = true;
        break;
      }
      let actions: Float32Array;
      // Uniform random actions until learning starts (a resumed run that has learned acts at once).
      if (run.updates === 0 && run.envSteps < learningStarts) {
        actions = new Float32Array(numEnvs * ACTION_DIM);
        for (let k = 0; k < actions.length; k++) actions[k] = rng.uniform(-1, 1);
      } else {
        actions = agent.act(state.observation, state.desiredGoal, taskOfEnv, false);
      }
      const taken = actions.slice();
      const pending = env.step(actions, hooks.wantTransforms?.() ?? false);
      // Updates due by now, run while the worker simulates.
      if (replay.ready(batchSize / K) && run.envSteps >= learningStarts) {
        const due = Math.floor((run.envSteps - learningStarts) * cfg.utd) + 1;
        // At most 64 per step, so a resumed run with a small replay does not burst.
        const todo = Math.min(due - run.updates, 64);
        for (let u = 0; u < todo; u++) {
          replay.sample(batchSize, rng, batch);
          const wantMetrics = u === todo - 1;
          const m = agent.update(batch, wantMetrics);
          if (m) lastMetrics = m;
          run.updates++;
        }
      }
      const r = await pending;
      // Let the event loop run (timers, sockets): worker replies alone would chain step after step
      // inside one message-port callback and starve a viewer server in this process.
      await new Promise<void>((done) => setImmediate(done));
      for (let i = 0; i < numEnvs; i++) {
        const ended = r.finalInfo[i];
        stager.push(i, transitionOf(state, taken, r, i));
        if ((ended ?? r.info[i]).success) succeeded[i] = 1;
        if (ended) {
          const k = taskOfEnv[i];
          stager.finish(i, replay.buffers[k]);
          window[k].episodes++;
          window[k].successes += succeeded[i];
          window[k].ret += ended.episodeReturn;
          recent[k].push(succeeded[i]);
          if (recent[k].length > 20) recent[k].shift();
          succeeded[i] = 0;
          run.episodes++;
        }
      }
      state = r;
      agent.observe(r.observation, r.desiredGoal);
      run.envSteps += numEnvs;
      hooks.onStep?.(r, r.transforms, run.envSteps, taskOfEnv);
      hooks.onProgress?.({
        envSteps: run.envSteps,
        budget: cfg.envSteps,
        wallSeconds: wall(),
        recentSuccess: Object.fromEntries(tasks.map((t, k) => [t.name, recent[k].length ? recent[k].reduce((a, b) => a + b, 0) / recent[k].length : null])),
      });
      let evalRows: TaskSummary[] | undefined;
      if (run.envSteps >= nextEval) {
        evalRows = await runEval();
        nextEval += cfg.evalEvery;
        log(`eval @ ${run.envSteps} env steps: ${evalRows.map((e) => `${e.task} ${(100 * e.successRate).toFixed(0)}%`).join(', ')}`);
        keepBest(evalRows);
        if (cfg.stopAtSuccess > 0 && evalRows.every((e) => e.successRate >= cfg.stopAtSuccess)) {
          log(`every task at or above ${(100 * cfg.stopAtSuccess).toFixed(0)}% success: stopping`);
          stoppedEarly = reachedTarget = true;
        }
      }
      if (run.envSteps >= nextLog || evalRows) {
        writeRow(evalRows);
        while (nextLog <= run.envSteps) nextLog += cfg.logEvery;
      }
      if (run.envSteps >= nextCkpt) {
        checkpoint();
        nextCkpt += cfg.checkpointEvery;
      }
      if (reachedTarget) break;
    }
    // 4. final evaluation and checkpoint
    checkpoint();
    const final = interrupted ? [] : await runEval();
    if (!interrupted) keepBest(final);
    writeRow(interrupted ? undefined : final);
    if (!interrupted) log(`final eval @ ${run.envSteps} env steps: ${final.map((e) => `${e.task} ${(100 * e.successRate).toFixed(0)}%`).join(', ')}`);
    return { envSteps: run.envSteps, updates: run.updates, wallSeconds: wall(), final, stoppedEarly, best: run.best };
  } finally {
    await env.close();
    agent.dispose();
  }
}

/** The critic-target range: sac.targetClip when set, else the sparse reward's return range when clipTargets. */
export function targetClipOf(cfg: TrainConfig): [number, number] | null {
  if (cfg.sac.targetClip) return cfg.sac.targetClip;
  return cfg.clipTargets && cfg.reward === 'sparse' ? [-1 / (1 - cfg.sac.gamma), 0] : null;
}

/**
 * Env i's transition of one step: from the state it acted in to the step's result, where an
 * ended episode's next state is its final observation (the row in `r.observation` is already the
 * next episode's first).
 */
function transitionOf(before: ResetResult, actions: Float32Array, r: StepResult, i: number): Transition {
  const ended = r.finalInfo[i] !== null;
  return {
    obs: before.observation.slice(i * OBS_DIM, (i + 1) * OBS_DIM),
    action: actions.slice(i * ACTION_DIM, (i + 1) * ACTION_DIM),
    reward: r.reward[i],
    nextObs: ended ? r.finalObservation[i]! : r.observation.slice(i * OBS_DIM, (i + 1) * OBS_DIM),
    nextAchieved: ended ? r.finalAchievedGoal[i]! : r.achievedGoal.slice(i * GOAL_DIM, (i + 1) * GOAL_DIM),
    desired: before.desiredGoal.slice(i * GOAL_DIM, (i + 1) * GOAL_DIM),
    terminated: r.terminated[i] === 1,
  };
}

/** Scripted-expert episodes into each task's demonstration buffer (a local env, same seed stream). */
async function collectDemos(taskArgs: string[], cfg: TrainConfig, replay: MultiTaskReplay, agent: MultiTaskAgent, log: (l: string) => void): Promise<void> {
  const tasks = replay.cfg.tasks;
  const K = tasks.length;
  const env = await VecEnv.create({ tasks: [...tasks], numEnvs: 4 * K, reward: cfg.reward, terminateOnSuccess: false });
  const stager = new EpisodeStager(env.numEnvs);
  const counts = new Array(K).fill(0);
  let s = env.reset({ seed: (cfg.seed + 0x5eed) >>> 0 });
  let steps = 0;
  while (counts.some((c) => c < cfg.demoEpisodes) && steps < 1_000_000) {
    const a = env.expertActions(s.observation);
    agent.observe(s.observation, s.desiredGoal);
    const r = env.step(a);
    for (let i = 0; i < env.numEnvs; i++) {
      const ended = r.finalInfo[i];
      stager.push(i, transitionOf(s, a, r, i));
      if (ended) {
        const k = env.taskOfEnv[i];
        if (counts[k] < cfg.demoEpisodes) {
          stager.finish(i, replay.demos[k]);
          counts[k]++;
        } else stager.drop(i);
      }
    }
    s = r;
    steps++;
  }
  env.close();
  log(`demonstrations: ${cfg.demoEpisodes} expert episodes per task (${taskArgs.join(', ')})`);
}
