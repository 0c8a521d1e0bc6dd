// Demonstrations: scripted-expert episodes into each task's demonstration buffer, from a local env
// on its own seed stream; the agent's input statistics see them too.
import { VecEnv } from '../../sim/vec-env.ts';
import { EpisodeStager } from '../replay.ts';
import { transitionOf } from './episodes.ts';
import type { TrainRun } from './run.ts';

export async function collectDemos(run: TrainRun): Promise<void> {
  const { cfg, replay, agent } = run;
  const K = run.numTasks;
  const t0 = performance.now();
  const env = await VecEnv.create({ tasks: [...run.tasks], numEnvs: 4 * K, reward: cfg.reward, terminateOnSuccess: false });
  const stager = new EpisodeStager(env.numEnvs);
  const counts = new Array(K).fill(0);
  let s = env.reset({ seed: (cfg.seed + 0x5eed) >>> 0 });
  for (let steps = 0; counts.some((c) => c < cfg.demoEpisodes) && steps < 1_000_000; steps++) {
    const a = env.expertActions(s.observation);
    agent.observe(s.observation, s.desiredGoal);
    const r = env.step(a);
    for (let i = 0; i < env.numEnvs; i++) {
      stager.push(i, transitionOf(s, a, r, i));
      if (!r.finalInfo[i]) continue;
      const k = env.taskOfEnv[i];
      if (counts[k] < cfg.demoEpisodes) {
        stager.finish(i, replay.demos[k]);
        counts[k]++;
      } else stager.drop(i);
    }
    s = r;
  }
  env.close();
  run.log(`demonstrations: ${cfg.demoEpisodes} expert episodes per task (${cfg.tasks.join(', ')}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
