// Demonstrations: scripted-expert episodes into each task's demonstration buffer, from envs on
// their own seed stream; the agent's input statistics see them too. Tasks without an expert get
// none. The expert's actions carry Gaussian noise (demoNoise): the buffer then covers states a
// little off the expert's path too, which is where a learning policy finds itself; the stored
// action is the noisy one the env executed.
//
// Both cores: half the envs step in a worker thread (agents/remote-env.ts) while this thread steps
// the other half, which about halves the collection's wall time (it is minutes on ten tasks). The
// order of everything that touches shared state (noise draws, input statistics, episodes into the
// buffers) is fixed, worker's half first, so a seed gives the same demonstrations every time.
import { envCounts, taskOfEnvs } from '../../sim/env-share.ts';
import { Rng } from '../../sim/rng.ts';
import type { ResetResult, StepResult } from '../../sim/vec-env.ts';
import { VecEnv } from '../../sim/vec-env.ts';
import { EpisodeStager } from '../replay.ts';
import { openTrainingEnv } from '../env-thread.ts';
import { transitionOf } from './episodes.ts';
import type { TrainRun } from './run.ts';

/** The Rng stream of the demonstrations' action noise. */
const NOISE_STREAM = 0xde70;
/** Envs per task in each half, on average. */
const ENVS_PER_TASK = 2;
/** The halves' reset seeds: base + this times the half's index (independent env streams). */
const HALF_SEED_STRIDE = 0x9e3779b1;

/** Collects the demonstrations; returns the lockstep steps it took (each stepping every env of both halves). */
export async function collectDemos(run: TrainRun): Promise<number> {
  const { cfg, replay, agent } = run;
  const withExpert = run.tasks.map((t, k) => (t.expert ? k : -1)).filter((k) => k >= 0);
  const without = run.tasks.filter((t) => !t.expert).map((t) => t.name);
  if (without.length) run.log(`demonstrations: no scripted expert for ${without.join(', ')}; those tasks learn without`);
  if (withExpert.length === 0) return 0;
  run.log(`demonstrations: collecting ${cfg.demoEpisodes} scripted-expert episodes per task (--demos 0 turns them off)...`);
  const t0 = performance.now();
  const numEnvs = ENVS_PER_TASK * withExpert.length;
  // Envs by episode length: every task has its episodes at about the same step, so the collection
  // does not step the other tasks' envs for nothing while the longest task finishes its own.
  const taskOfEnv = taskOfEnvs(envCounts(withExpert.map((k) => run.tasks[k].maxSteps), numEnvs, 'episode-length'));
  // Ended at success, an episode still stores its success transition; whether that ends the
  // bootstrapped return is the replay's setting (it does not), as for training episodes.
  const opts = { numEnvs, taskOfEnv, reward: cfg.reward, terminateOnSuccess: cfg.demoEndOnSuccess };
  // (A task registered by code puts this half on this thread too; the trainer's envs say so.)
  const remote = await openTrainingEnv({ tasks: withExpert.map((k) => cfg.tasks[k]), ...opts }, withExpert.map((k) => run.tasks[k]), () => {});
  const local = await VecEnv.create({ tasks: withExpert.map((k) => run.tasks[k]), ...opts }).catch(async (e) => {
    await remote.close();
    throw e;
  });
  let steps = 0;
  try {
    const noise = new Rng(cfg.seed, NOISE_STREAM);
    const stagers = [new EpisodeStager(numEnvs), new EpisodeStager(numEnvs)];
    const counts = new Array(withExpert.length).fill(0);
    const seed = (h: number) => (cfg.seed + 0x5eed + h * HALF_SEED_STRIDE) >>> 0;
    let s: ResetResult[] = [await remote.reset(seed(0)), local.reset({ seed: seed(1) })];

    const perturb = (a: Float32Array) => {
      if (cfg.demoNoise > 0) for (let k = 0; k < a.length; k++) a[k] = Math.max(-1, Math.min(1, a[k] + cfg.demoNoise * noise.normal()));
    };
    const store = (h: number, before: ResetResult, a: Float32Array, r: StepResult) => {
      for (let i = 0; i < numEnvs; i++) {
        stagers[h].push(i, transitionOf(before, a, r, i));
        if (!r.finalInfo[i]) continue;
        const k = taskOfEnv[i]; // both halves assign tasks to envs alike
        if (counts[k] < cfg.demoEpisodes) {
          stagers[h].finish(i, replay.demos[withExpert[k]]);
          counts[k]++;
        } else stagers[h].drop(i);
      }
    };

    for (; counts.some((c) => c < cfg.demoEpisodes) && steps < 1_000_000; steps++) {
      const remoteExpert = remote.expertActions(s[0].observation);
      const aLocal = local.expertActions(s[1].observation);
      const aRemote = await remoteExpert;
      perturb(aRemote);
      perturb(aLocal);
      const taken = aRemote.slice(); // the step transfers aRemote to the worker
      const remoteStep = remote.step(aRemote);
      for (const h of s) agent.observe(h.observation, h.achievedGoal, h.desiredGoal);
      const rLocal = local.step(aLocal);
      const rRemote = await remoteStep;
      store(0, s[0], taken, rRemote);
      store(1, s[1], aLocal, rLocal);
      s = [rRemote, rLocal];
    }
  } finally {
    local.close();
    await remote.close();
  }
  const names = withExpert.map((k) => run.tasks[k].name).join(', ');
  run.log(`demonstrations: ${cfg.demoEpisodes} expert episodes per task (${names}), action noise ${cfg.demoNoise}, in ${((performance.now() - t0) / 1000).toFixed(1)} s (${steps} steps of ${2 * numEnvs} envs)`);
  return steps;
}
