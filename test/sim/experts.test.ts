// The scripted experts prove every task solvable in this physics: over 100 seeded episodes each,
// reach, push, pick-place, drawer-open and stack succeed in at least 95%, peg-insert in at least
// 90%; drawer-close, window-open, window-close and lever-pull (one world) in at least 95%, and so
// do sweep-into, button-press, door-open and door-close (one world).
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

  // Worlds of jointed or newer tasks: each expert at 95% or more, and every episode ends by
  // success or its time limit (never an invalid state).
  it.each([
    [['drawer-open', 'stack']],
    [['drawer-close', 'window-open', 'window-close', 'lever-pull']],
    [['sweep-into', 'button-press', 'door-open', 'door-close']],
  ])('solve %j in one world over 100 seeded episodes each, ending by success only', async (tasks) => {
    const env = await VecEnv.create({ tasks, numEnvs: 16 });
    const rows = runEpisodes(env, expertPolicy, { episodesPerTask: 100, seed: 2026 });
    env.close();
    expect(rows.map((r) => r.task)).toEqual(tasks);
    for (const r of rows) {
      expect(r.episodes).toBe(100);
      expect(r.successRate).toBeGreaterThanOrEqual(0.95);
      expect(r.resetReasons.invalidState).toBe(0);
      expect(r.resetReasons.success + r.resetReasons.timeLimit).toBe(100);
    }
  }, 120_000);

  it('do far better than random actions (the tasks are not trivially solved)', async () => {
    const env = await VecEnv.create({ tasks: ['push', 'pick-place', 'peg-insert', 'drawer-open', 'stack'], numEnvs: 15 });
    const rows = runEpisodes(env, randomPolicy(3), { episodesPerTask: 20, seed: 7 });
    env.close();
    for (const r of rows) expect(r.successRate).toBeLessThanOrEqual(0.1);
  }, 120_000);

  it.each([
    [['drawer-close', 'window-open', 'window-close', 'lever-pull']],
    [['sweep-into', 'button-press', 'door-open', 'door-close']],
  ])('do far better than random actions on %j', async (tasks) => {
    const env = await VecEnv.create({ tasks, numEnvs: 16 });
    const rows = runEpisodes(env, randomPolicy(3), { episodesPerTask: 40, seed: 7 });
    env.close();
    for (const r of rows) expect(r.successRate).toBeLessThanOrEqual(0.1);
  }, 120_000);
});
