// Demonstrations collected on both cores (half the envs in a worker thread): exactly the asked
// number of whole expert episodes per task, successful ones, the same bits for the same seed, and
// different ones for another seed. Real Rapier worlds, real scripted experts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeConfig } from '../../agents/config.ts';
import { collectDemos } from '../../agents/train/demos.ts';
import { TrainRun } from '../../agents/train/run.ts';
import { getTask } from '../../sim/registry.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function demosOf(seed: number, episodes = 5) {
  const out = mkdtempSync(join(tmpdir(), 'rrl-demos-'));
  dirs.push(out);
  const cfg = makeConfig({ tasks: ['reach', 'push'], demoEpisodes: episodes, seed, out, sac: { hidden: [16, 16] } });
  const run = await TrainRun.open(cfg, { resume: false, log: () => {} });
  try {
    await collectDemos(run);
    return run.replay.demos.map((b) => {
      const s = b.exportState();
      return { episodes: s.episodes, written: s.written, obs: Array.from(s.arrays.obs), action: Array.from(s.arrays.action), reward: Array.from(s.arrays.reward) };
    });
  } finally {
    run.agent.dispose();
  }
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

  it('another seed gives other demonstrations', async () => {
    const a = await demosOf(3, 2);
    const c = await demosOf(4, 2);
    expect(c[1].obs).not.toEqual(a[1].obs);
  }, 120_000);
});
