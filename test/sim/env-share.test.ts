// Sharing a vectorized env's envs among its tasks: round-robin, or in proportion to the tasks'
// episode lengths (largest remainder, at least one env each), interleaved in the env order.
import { describe, expect, it } from 'vitest';
import { envCounts, taskOfEnvs } from '../../sim/env-share.ts';
import { getTask } from '../../sim/registry.ts';
import { suiteTasks } from '../../sim/suites.ts';

const lengthsOf = (names: string[]) => names.map((n) => getTask(n).maxSteps);

describe('envCounts', () => {
  it('even: the round-robin i % K, for totals that divide and that do not', () => {
    for (const total of [3, 4, 7, 12, 13]) {
      const counts = envCounts([50, 100, 150], total, 'even');
      expect(taskOfEnvs(counts)).toEqual(Array.from({ length: total }, (_, i) => i % 3));
    }
  });

  it('episode-length: mt4 with 16 envs gives reach 2, push 4, pick-place 4, peg-insert 6 (exact quotas)', () => {
    expect(lengthsOf(suiteTasks('mt4'))).toEqual([50, 100, 100, 150]);
    expect(envCounts([50, 100, 100, 150], 16, 'episode-length')).toEqual([2, 4, 4, 6]);
  });

  it('episode-length on every built-in task with 56 envs: each count within one of its quota, longer tasks never fewer', () => {
    const names = suiteTasks('all');
    const L = lengthsOf(names);
    const counts = envCounts(L, 56, 'episode-length');
    expect(counts.reduce((a, b) => a + b, 0)).toBe(56);
    const sum = L.reduce((a, b) => a + b, 0);
    counts.forEach((c, k) => expect(Math.abs(c - (56 * L[k]) / sum), names[k]).toBeLessThan(1));
    for (let a = 0; a < L.length; a++) for (let b = 0; b < L.length; b++) if (L[a] > L[b]) expect(counts[a]).toBeGreaterThanOrEqual(counts[b]);
    expect(counts[names.indexOf('peg-insert')]).toBe(6);
    expect(counts[names.indexOf('reach')]).toBe(2);
  });

  it('every task keeps one env however short its episodes, and the total holds', () => {
    expect(envCounts([1, 1000, 1000], 3, 'episode-length')).toEqual([1, 1, 1]);
    expect(envCounts([1, 1000, 1000], 4, 'episode-length')).toEqual([1, 2, 1]);
    expect(envCounts([1, 1, 1, 1000], 5, 'episode-length')).toEqual([1, 1, 1, 2]);
    expect(envCounts([7], 9, 'episode-length')).toEqual([9]);
  });

  it('names what is wrong: too few envs, no tasks, a bad episode length', () => {
    expect(() => envCounts([50, 100], 1, 'episode-length')).toThrow(/1 envs for 2 tasks: every task needs an env/);
    expect(() => envCounts([50, 100], 1, 'even')).toThrow(/every task needs an env/);
    expect(() => envCounts([], 4, 'even')).toThrow(/no tasks/);
    expect(() => envCounts([50, 0], 4, 'episode-length')).toThrow(/episode length 0/);
    expect(() => envCounts([50, Number.NaN], 4, 'episode-length')).toThrow(/episode length NaN/);
  });
});

describe('taskOfEnvs', () => {
  it('interleaves the tasks, skipping one once it has its envs', () => {
    expect(taskOfEnvs([2, 1, 3])).toEqual([0, 1, 2, 0, 2, 2]);
    expect(taskOfEnvs([1])).toEqual([0]);
  });
});
