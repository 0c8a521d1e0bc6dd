// The scripted experts prove every task solvable in this physics: over 100 seeded episodes each,
// reach, push and pick-place succeed in at least 95%, peg-insert in at least 90%.
import { describe, expect, it } from 'vitest';
import { expertPolicy, randomPolicy, runEpisodes } from '../../sim/rollout.ts';
import { VecEnv } from '../../sim/vec-env.ts';

describe('scripted experts', () => {
  it('solve every built-in task over 100 seeded episodes each', async () => {
    const env = await VecEnv.create({ tasks: ['reach', 'push', 'pick-place', 'peg-insert'], numEnvs: 16 });
    const rows = runEpisodes(env, expertPolicy, { episodesPerTask: 100, seed: 2026 });
    env.close();
    const rate = Object.fromEntries(rows.map((r) => [r.task, r.successRate]));
    for (const r of rows) expect(r.episodes).toBe(100);
    expect(rate.reach).toBeGreaterThanOrEqual(0.95);
    expect(rate.push).toBeGreaterThanOrEqual(0.95);
    expect(rate['pick-place']).toBeGreaterThanOrEqual(0.95);
    expect(rate['peg-insert']).toBeGreaterThanOrEqual(0.9);
  }, 120_000);

  it('do far better than random actions (the tasks are not trivially solved)', async () => {
    const env = await VecEnv.create({ tasks: ['push', 'pick-place', 'peg-insert'], numEnvs: 12 });
    const rows = runEpisodes(env, randomPolicy(3), { episodesPerTask: 20, seed: 7 });
    env.close();
    for (const r of rows) expect(r.successRate).toBeLessThanOrEqual(0.1);
  }, 120_000);
});
