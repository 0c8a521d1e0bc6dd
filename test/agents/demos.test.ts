// Demonstrations collected on both cores (half the envs in a worker thread): exactly the asked
// number of whole expert episodes per task, successful ones, the same bits for the same seed, and
// different ones for another seed. Real Rapier worlds, real scripted experts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeConfig, type ConfigOverrides } from '../../agents/config.ts';
import { collectDemos } from '../../agents/train/demos.ts';
import { TrainRun } from '../../agents/train/run.ts';
import { getTask } from '../../sim/registry.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function collect(over: ConfigOverrides) {
  const out = mkdtempSync(join(tmpdir(), 'rrl-demos-'));
  dirs.push(out);
  const run = await TrainRun.open(makeConfig({ ...over, out, sac: { hidden: [16, 16] } }), { resume: false, log: () => {} });
  try {
    const steps = await collectDemos(run);
    return { steps, demos: run.replay.demos.map((b) => b.exportState()) };
  } finally {
    run.agent.dispose();
  }
}

async function demosOf(seed: number, episodes = 5) {
  const { demos } = await collect({ tasks: ['reach', 'push'], demoEpisodes: episodes, seed });
  return demos.map((s) => ({ episodes: s.episodes, written: s.written, obs: Array.from(s.arrays.obs), action: Array.from(s.arrays.action), reward: Array.from(s.arrays.reward) }));
}

describe('demonstrations', () => {
  it('fills each task with exactly the asked number of whole expert episodes, the same for the same seed', async () => {
    const a = await demosOf(3);
    const b = await demosOf(3);
    const names = ['reach', 'push'];
    a.forEach((d, t) => {
      expect(d.episodes, names[t]).toBe(5);
      // Training envs run to the time limit, and so do the demonstrations: whole episodes only.
      expect(d.written, names[t]).toBe(5 * getTask(names[t]).maxSteps);
      // Sparse reward: 0 at a step that meets the goal; each expert episode gets there.
      expect(d.reward.filter((r) => r === 0).length, names[t]).toBeGreaterThan(0);
    });
    expect(b).toEqual(a);
  }, 120_000);

  it('shares its envs by episode length: a 50-step and a 150-step task have their episodes at the same step', async () => {
    // 6 episodes each, 4 envs per half: reach gets 1 and peg-insert 3 per half, so both are done
    // after one 150-step episode per env. Round-robin (2 + 2) would take two rounds of peg-insert,
    // 300 steps. Training's own --env-share does not change it.
    const tasks = ['reach', 'peg-insert'];
    for (const envShare of ['even', 'episode-length'] as const) {
      const r = await collect({ tasks, demoEpisodes: 6, seed: 1, envShare });
      expect(r.steps, envShare).toBe(150);
      // Each episode whole and in its own task's buffer (both halves' envs agree on their tasks).
      r.demos.forEach((d, t) => {
        expect(d.episodes, tasks[t]).toBe(6);
        expect(d.written, tasks[t]).toBe(6 * getTask(tasks[t]).maxSteps);
      });
    }
  }, 120_000);

  it('with demoEndOnSuccess ends each episode at the expert\'s success, keeping the success step', async () => {
    const tasks = ['reach', 'push'];
    const full = await collect({ tasks, demoEpisodes: 4, seed: 2 });
    const short = await collect({ tasks, demoEpisodes: 4, seed: 2, demoEndOnSuccess: true });
    expect(short.steps).toBeLessThan(full.steps);
    short.demos.forEach((d, t) => {
      expect(d.episodes, tasks[t]).toBe(4);
      expect(d.written, tasks[t]).toBeLessThan(4 * getTask(tasks[t]).maxSteps);
      // Sparse reward: each episode that ended early ended on its success step (reward 0), so the
      // buffer holds at least one such step per early ending.
      const rewards = Array.from(d.arrays.reward.subarray(0, d.written));
      const zeros = rewards.filter((r) => r === 0).length;
      expect(zeros, tasks[t]).toBeGreaterThan(0);
      expect(zeros, tasks[t]).toBeLessThan(full.demos[t].arrays.reward.filter((r) => r === 0).length);
    });
  }, 120_000);

  it('another seed gives other demonstrations', async () => {
    const a = await demosOf(3, 2);
    const c = await demosOf(4, 2);
    expect(c[1].obs).not.toEqual(a[1].obs);
  }, 120_000);
});
