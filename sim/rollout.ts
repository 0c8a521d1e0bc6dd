// Runs a policy on a VecEnv for a number of episodes per task and summarises them per task:
// success rate, mean return, mean episode length. Used by the rollout CLI and the tests.
import { ACTION_DIM } from './layout.ts';
import { Rng } from './rng.ts';
import type { ResetReason, ResetResult, VecEnv } from './vec-env.ts';

/** Anything that maps the env's batched observations to a batch of actions in [-1, 1]^4. */
export interface Policy {
  readonly name: string;
  act(env: VecEnv, state: ResetResult): Float32Array;
}

export function randomPolicy(seed: number): Policy {
  const rng = new Rng(seed, 0x5eed);
  return {
    name: 'random',
    act(env) {
      const a = new Float32Array(env.numEnvs * ACTION_DIM);
      for (let k = 0; k < a.length; k++) a[k] = rng.uniform(-1, 1);
      return a;
    },
  };
}

export const expertPolicy: Policy = {
  name: 'expert',
  act: (env, state) => env.expertActions(state.observation),
};

export interface TaskSummary {
  task: string;
  episodes: number;
  successRate: number;
  meanReturn: number;
  meanLength: number;
  /** Why the counted episodes ended: endless invalidState resets show here. */
  resetReasons: Record<ResetReason, number>;
}

export interface RolloutOptions {
  episodesPerTask: number;
  seed: number;
  /** Called after every step, e.g. to record or stream frames. */
  onStep?: (env: VecEnv) => void;
  /** Safety cap on control steps (default: enough for every task's time limit, twice over). */
  maxSteps?: number;
}

/**
 * Steps until every task has `episodesPerTask` finished episodes. Episodes are counted in the
 * order they finish (ties by env index), so the result depends only on the seed.
 */
export function runEpisodes(env: VecEnv, policy: Policy, opts: RolloutOptions): TaskSummary[] {
  const K = opts.episodesPerTask;
  if (!Number.isInteger(K) || K < 1) throw new RangeError(`episodes per task must be a positive integer, got ${K}`);
  const acc = env.tasks.map((t) => ({ task: t.name, episodes: 0, successes: 0, ret: 0, len: 0, reasons: { success: 0, timeLimit: 0, invalidState: 0 } }));
  const envsPerTask = env.tasks.map((_, ti) => env.taskOfEnv.filter((t) => t === ti).length);
  envsPerTask.forEach((n, ti) => {
    if (n === 0) throw new RangeError(`no env runs task "${env.tasks[ti].name}"; use at least ${env.tasks.length} envs`);
  });
  const longest = Math.max(...env.tasks.map((t) => t.maxSteps));
  const cap = opts.maxSteps ?? 2 * longest * Math.ceil(K / Math.min(...envsPerTask)) + 10;
  let state: ResetResult = env.reset({ seed: opts.seed });
  for (let t = 0; t < cap; t++) {
    if (acc.every((a) => a.episodes >= K)) break;
    const r = env.step(policy.act(env, state));
    opts.onStep?.(env);
    for (let i = 0; i < env.numEnvs; i++) {
      const fin = r.finalInfo[i];
      if (!fin) continue;
      const a = acc[env.taskOfEnv[i]];
      if (a.episodes >= K) continue;
      a.episodes++;
      a.successes += fin.success ? 1 : 0;
      a.ret += fin.episodeReturn;
      a.len += fin.episodeStep;
      if (fin.resetReason) a.reasons[fin.resetReason]++;
    }
    state = r;
  }
  return acc.map((a) => ({
    task: a.task,
    episodes: a.episodes,
    successRate: a.episodes ? a.successes / a.episodes : 0,
    meanReturn: a.episodes ? a.ret / a.episodes : 0,
    meanLength: a.episodes ? a.len / a.episodes : 0,
    resetReasons: a.reasons,
  }));
}

export function formatTable(rows: TaskSummary[]): string {
  const head = ['task', 'episodes', 'success', 'mean return', 'mean length', 'ended: success/time/invalid'];
  const body = rows.map((r) => [
    r.task,
    String(r.episodes),
    `${(100 * r.successRate).toFixed(1)}%`,
    r.meanReturn.toFixed(2),
    r.meanLength.toFixed(1),
    r.resetReasons ? `${r.resetReasons.success}/${r.resetReasons.timeLimit}/${r.resetReasons.invalidState}` : '-',
  ]);
  const w = head.map((h, k) => Math.max(h.length, ...body.map((b) => b[k].length)));
  const line = (cells: string[]) => cells.map((c, k) => (k === 0 ? c.padEnd(w[k]) : c.padStart(w[k]))).join('  ');
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...body.map(line)].join('\n');
}
