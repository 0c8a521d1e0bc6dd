// The training loop, top to bottom: one multi-task goal-conditioned SAC agent learns every task of
// the run at once (or, with arch "independent", one network per task in the same code path).
//
//   1. build the agent (or restore it from the run's checkpoint with --resume)
//   2. optionally fill per-task demonstration buffers with scripted-expert episodes
//   3. loop until the env-step budget is spent:
//        act (random before learning starts, then the stochastic policy)
//        send the actions to the env worker, and while it simulates, run the due updates
//        store the transitions; an env's episode goes to its task's replay when it ends
//        log a metrics row, evaluate, checkpoint at their intervals; at the last step, the final
//        evaluation, row and checkpoint
//   4. an interrupted run (Ctrl-C, SIGTERM, a viewer server closing) checkpoints where it stopped
//
// Environment stepping runs in a worker thread (agents/remote-env.ts) so both cores work.
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ACTION_DIM, GOAL_DIM, OBS_DIM } from '../sim/layout.ts';
import { resolveTaskArgs } from '../sim/registry.ts';
import { Rng } from '../sim/rng.ts';
import type { TaskSummary } from '../sim/rollout.ts';
import { VecEnv, type ResetResult, type SceneDescription, type StepResult } from '../sim/vec-env.ts';
import { agentSpec, MultiTaskAgent, type AgentSpec } from './agent.ts';
import { assertCompatible, loadCheckpoint, removeStaleTemps, restoreAgent, saveCheckpoint, type Checkpoint, type RunState } from './checkpoint.ts';
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
  /** The evaluation at the run's last step (empty when the run was interrupted). */
  final: TaskSummary[];
  /** Ended before the budget was spent: interrupted, time limit or success target. */
  stoppedEarly: boolean;
  /** Why the run ended: budget spent, every task at stopAtSuccess, maxSeconds, or shouldStop (a signal, a viewer server closing). */
  stopReason: 'budget' | 'target' | 'time' | 'interrupted';
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

/** Does `out` hold a training run (metrics or a checkpoint), which only --resume may continue? */
export function holdsRun(out: string): boolean {
  return existsSync(join(out, METRICS_FILE)) || existsSync(join(out, CHECKPOINT_FILE));
}

// Metrics rows are committed with checkpoints: each checkpoint records how many bytes of
// metrics.jsonl belong to it, and a resumed run first cuts the file back to that length. Rows
// written after the last checkpoint (including a row half-written by a kill) are dropped, since the
// resumed run steps through those env steps again and logs them itself: the file never holds a
// step twice, whatever moment the previous process died at.
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
  const bestPath = join(cfg.out, BEST_FILE);
  const metricsPath = join(cfg.out, METRICS_FILE);
  const stale = removeStaleTemps(cfg.out, [CHECKPOINT_FILE, BEST_FILE]);
  if (stale.length) log(`removed ${stale.length} temporary file(s) of interrupted checkpoint writes in ${cfg.out}: ${stale.join(', ')}`);

  // 1. agent, fresh or resumed
  if (!opts.resume && holdsRun(cfg.out)) {
    throw new Error(`${cfg.out} already holds a run (${existsSync(metricsPath) ? METRICS_FILE : CHECKPOINT_FILE}); use --resume to continue it or choose another --out`);
  }
  const agent = new MultiTaskAgent(spec);
  const rng = new Rng(cfg.seed, 0xba7c);
  let run: RunState = { envSteps: 0, updates: 0, episodes: 0, wallSeconds: 0, rng: rng.getState(), config: cfg as unknown as Record<string, unknown> };
  let restoredReplay: Checkpoint['replay'];
  const resumed = Boolean(opts.resume) && existsSync(ckptPath);
  if (resumed) {
    let ck: Checkpoint;
    try {
      ck = loadCheckpoint(ckptPath);
      assertCompatible(ck.spec, spec, ckptPath);
      restoreAgent(agent, ck, ckptPath);
    } catch (e) {
      agent.dispose();
      throw e;
    }
    run = { ...ck.run, config: cfg as unknown as Record<string, unknown> };
    rng.setState(ck.run.rng);
    restoredReplay = ck.replay;
    const dropped = commitMetrics(metricsPath, run, log);
    log(`resumed from ${ckptPath} at ${run.envSteps} env steps, ${run.updates} updates${dropped ? `; dropped ${dropped} metrics row(s) written after that checkpoint` : ''}`);
    adoptBest(bestPath, spec, run, log);
  } else if (opts.resume) {
    // Stopped (or killed) before its first checkpoint: nothing to continue from, so start over.
    log(`--resume: no checkpoint in ${cfg.out} yet (the run stopped before its first one); starting the run from the beginning`);
    rmSync(metricsPath, { force: true });
    rmSync(bestPath, { force: true });
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
  const window = run.window?.length === K ? run.window.map((w) => ({ ...w })) : tasks.map(() => ({ episodes: 0, successes: 0, ret: 0 }));
  const recent = tasks.map(() => [] as number[]);
  const batch = replay.allocBatch(batchSize);
  const learningStarts = cfg.learningStartsPerTask * K;
  let lastMetrics: SacMetrics | null = null;
  let stop: TrainResult['stopReason'] = 'budget';
  const t0 = performance.now();
  // Wall time of earlier sessions of this run (resume) plus this one's; time parked by a viewer
  // (pause, evaluation rollouts) is not training time.
  const wallBefore = run.wallSeconds;
  let parkedMs = 0;
  const wall = () => wallBefore + (performance.now() - t0 - parkedMs) / 1000;
  const timeUp = () => cfg.maxSeconds > 0 && wall() >= cfg.maxSeconds;
  let rowClock = { t: wall(), envSteps: run.envSteps, updates: run.updates };
  // Rows, evaluations and checkpoints fall on fixed grids of env steps (multiples of their
  // intervals), so a resumed run keeps the uninterrupted run's schedule.
  const nextOf = (every: number) => (every > 0 ? (Math.floor(run.envSteps / every) + 1) * every : Infinity);
  let nextLog = nextOf(cfg.logEvery);
  let nextEval = nextOf(cfg.evalEvery);
  let nextCkpt = nextOf(cfg.checkpointEvery);
  let evalRound = cfg.evalEvery > 0 ? Math.floor(run.envSteps / cfg.evalEvery) : 0;
  let checkpointedAt = resumed ? run.envSteps : -1;
  // A resumed run continues with fresh episodes, not a replay of the first ones.
  let state: ResetResult = await env.reset((cfg.seed + run.envSteps * 7919) >>> 0);
  agent.observe(state.observation, state.desiredGoal);
  if (hooks.onScene) hooks.onScene(await env.describeScene(), spec.tasks);

  const checkpoint = () => {
    run.wallSeconds = wall();
    run.rng = rng.getState();
    run.window = window.map((w) => ({ ...w }));
    // Every row written so far belongs to this checkpoint (rows are written before it).
    run.metricsBytes = existsSync(metricsPath) ? statSync(metricsPath).size : 0;
    saveCheckpoint(ckptPath, {
      spec,
      run,
      agent: agent.getState(),
      replay: { buffers: replay.buffers.map((b) => b.exportState()), demos: replay.demos.map((b) => b.exportState()) },
    });
    checkpointedAt = run.envSteps;
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
    run.lastRowEnvSteps = run.envSteps;
    hooks.onRow?.(row);
    for (const w of window) Object.assign(w, { episodes: 0, successes: 0, ret: 0 });
    rowClock = { t: now, envSteps: run.envSteps, updates: run.updates };
  };

  const keepBest = (rows: TaskSummary[]) => {
    const meanSuccess = rows.reduce((a, e) => a + e.successRate, 0) / Math.max(1, rows.length);
    if (run.best && meanSuccess < run.best.meanSuccess) return;
    run.best = { envSteps: run.envSteps, wallSeconds: wall(), meanSuccess };
    saveCheckpoint(bestPath, { spec, run: { ...run, rng: rng.getState() }, agent: agent.getState() });
  };

  const evaluateNow = async (what: string): Promise<TaskSummary[]> => {
    const rows = await evaluate(agent, tasks, { episodesPerTask: cfg.evalEpisodes, seed: (1_000_003 + cfg.seed * 7 + evalRound++) >>> 0, reward: cfg.reward });
    run.lastEval = { envSteps: run.envSteps, tasks: rows };
    log(`${what} @ ${run.envSteps} env steps: ${rows.map((e) => `${e.task} ${(100 * e.successRate).toFixed(0)}%`).join(', ')}`);
    keepBest(rows);
    return rows;
  };

  try {
    while (run.envSteps < cfg.envSteps) {
      if (hooks.beforeStep) {
        const tb = performance.now();
        await hooks.beforeStep(agent);
        parkedMs += performance.now() - tb;
      }
      if (hooks.shouldStop?.()) {
        stop = 'interrupted';
        break;
      }
      if (timeUp()) {
        stop = 'time';
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
      // The last step of the run (budget spent or time up) gets the final evaluation, row and
      // checkpoint here, once: not a second round after the loop.
      const ending = run.envSteps >= cfg.envSteps || timeUp();
      let evalRows: TaskSummary[] | undefined;
      if (run.envSteps >= nextEval || ending) {
        evalRows = await evaluateNow(ending ? 'final eval' : 'eval');
        nextEval = nextOf(cfg.evalEvery);
        if (cfg.stopAtSuccess > 0 && evalRows.every((e) => e.successRate >= cfg.stopAtSuccess)) {
          log(`every task at or above ${(100 * cfg.stopAtSuccess).toFixed(0)}% success: stopping`);
          stop = 'target';
        }
      }
      if (run.envSteps >= nextLog || evalRows) {
        writeRow(evalRows);
        nextLog = nextOf(cfg.logEvery);
      }
      if (run.envSteps >= nextCkpt || ending || stop === 'target') {
        checkpoint();
        nextCkpt = nextOf(cfg.checkpointEvery);
      }
      if (stop === 'target') break;
      if (ending && run.envSteps < cfg.envSteps) {
        stop = 'time';
        break;
      }
    }
    // 4. the end. The loop's last step made the final evaluation, row and checkpoint; a run resumed
    // at or past its end (budget or time limit) that lacks them at this step makes them now. An
    // interrupted run only needs its checkpoint.
    if (stop !== 'interrupted' && run.lastRowEnvSteps !== run.envSteps) writeRow(run.lastEval?.envSteps === run.envSteps ? run.lastEval.tasks : await evaluateNow('final eval'));
    if (checkpointedAt !== run.envSteps) checkpoint();
    const final = stop !== 'interrupted' && run.lastEval?.envSteps === run.envSteps ? run.lastEval.tasks : [];
    return { envSteps: run.envSteps, updates: run.updates, wallSeconds: wall(), final, stoppedEarly: stop !== 'budget', stopReason: stop, best: run.best };
  } finally {
    await env.close();
    agent.dispose();
  }
}

/**
 * Cuts metrics.jsonl back to the rows a checkpoint covers (`run.metricsBytes`); returns how many
 * rows went. Checkpoints of builds that did not record the length keep the rows up to their env
 * steps, dropping a half-written last line (and take the last row's env steps from the file).
 */
function commitMetrics(path: string, run: RunState, log: (l: string) => void): number {
  if (!existsSync(path)) {
    if (run.metricsBytes) log(`${path} is missing; the checkpoint had ${run.metricsBytes} bytes of rows: new rows start a new file`);
    return 0;
  }
  const text = readFileSync(path);
  if (run.metricsBytes !== undefined) {
    if (text.length < run.metricsBytes) {
      log(`${path} is shorter than its checkpoint recorded (${text.length} < ${run.metricsBytes} bytes): it was changed from outside; new rows follow what is there`);
      return 0;
    }
    const dropped = text.subarray(run.metricsBytes).toString('utf8').split('\n').filter((l) => l.trim()).length;
    if (text.length > run.metricsBytes) truncateSync(path, run.metricsBytes);
    return dropped;
  }
  const lines = text.toString('utf8').split('\n').filter((l) => l.trim());
  const keep = lines.filter((l) => {
    try {
      return (JSON.parse(l) as { envSteps: number }).envSteps <= run.envSteps;
    } catch {
      return false;
    }
  });
  writeFileSync(path, keep.map((l) => l + '\n').join(''));
  if (keep.length) run.lastRowEnvSteps = (JSON.parse(keep[keep.length - 1]) as { envSteps: number }).envSteps;
  return lines.length - keep.length;
}

/**
 * best.bin is written at an evaluation, its checkpoint at the next checkpoint interval: a kill in
 * between leaves a best.bin the resumed checkpoint does not know of. It is still the best agent
 * this run evaluated, so the run adopts it when it beats the checkpoint's record.
 */
function adoptBest(path: string, spec: AgentSpec, run: RunState, log: (l: string) => void): void {
  if (!existsSync(path)) return;
  let best: RunState['best'];
  try {
    const ck = loadCheckpoint(path);
    assertCompatible(ck.spec, spec, path);
    best = ck.run.best;
  } catch (e) {
    log(`${path} is not usable (${(e as Error).message}); the next evaluation replaces it`);
    run.best = undefined;
    return;
  }
  if (!best || (run.best && (best.envSteps === run.best.envSteps || best.meanSuccess < run.best.meanSuccess))) return;
  run.best = best;
  log(`${path}: kept the evaluation at ${best.envSteps} env steps (${Math.round(100 * best.meanSuccess)}% mean success) as the best so far`);
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
