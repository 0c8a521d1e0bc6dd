// Demonstrations: scripted-expert episodes into each task's demonstration buffer, from a local env
// on its own seed stream; the agent's input statistics see them too. Tasks without an expert get
// none. The expert's actions carry Gaussian noise (demoNoise): the buffer then covers states a
// little off the expert's path too, which is where a learning policy finds itself; the stored
// action is the noisy one the env executed.
import { Rng } from '../../sim/rng.ts';
import { VecEnv } from '../../sim/vec-env.ts';
import { EpisodeStager } from '../replay.ts';
import { transitionOf } from './episodes.ts';
import type { TrainRun } from './run.ts';

/** The Rng stream of the demonstrations' action noise. */
const NOISE_STREAM = 0xde70;

export async function collectDemos(run: TrainRun): Promise<void> {
  const { cfg, replay, agent } = run;
  const withExpert = run.tasks.map((t, k) => (t.expert ? k : -1)).filter((k) => k >= 0);
  const without = run.tasks.filter((t) => !t.expert).map((t) => t.name);
  if (without.length) run.log(`demonstrations: no scripted expert for ${without.join(', ')}; those tasks learn without`);
  if (withExpert.length === 0) return;
  run.log(`demonstrations: collecting ${cfg.demoEpisodes} scripted-expert episodes per task (--demos 0 turns them off)...`);
  const t0 = performance.now();
  const env = await VecEnv.create({ tasks: withExpert.map((k) => run.tasks[k]), numEnvs: 4 * withExpert.length, reward: cfg.reward, terminateOnSuccess: false });
  const noise = new Rng(cfg.seed, NOISE_STREAM);
  const stager = new EpisodeStager(env.numEnvs);
  const counts = new Array(withExpert.length).fill(0);
  let s = env.reset({ seed: (cfg.seed + 0x5eed) >>> 0 });
  for (let steps = 0; counts.some((c) => c < cfg.demoEpisodes) && steps < 1_000_000; steps++) {
    const a = env.expertActions(s.observation);
    if (cfg.demoNoise > 0) for (let k = 0; k < a.length; k++) a[k] = Math.max(-1, Math.min(1, a[k] + cfg.demoNoise * noise.normal()));
    agent.observe(s.observation, s.achievedGoal, s.desiredGoal);
    const r = env.step(a);
    for (let i = 0; i < env.numEnvs; i++) {
      stager.push(i, transitionOf(s, a, r, i));
      if (!r.finalInfo[i]) continue;
      const k = env.taskOfEnv[i];
      if (counts[k] < cfg.demoEpisodes) {
        stager.finish(i, replay.demos[withExpert[k]]);
        counts[k]++;
      } else stager.drop(i);
    }
    s = r;
  }
  env.close();
  const names = withExpert.map((k) => run.tasks[k].name).join(', ');
  run.log(`demonstrations: ${cfg.demoEpisodes} expert episodes per task (${names}), action noise ${cfg.demoNoise}, in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

