// Success-weighted task sampling: the rows per task, worked by hand, and the sampler's window.
import { describe, expect, it } from 'vitest';
import { TaskSampler, taskCounts } from '../../agents/task-sampling.ts';

describe('taskCounts', () => {
  it('gives every task the same rows when all succeed equally', () => {
    expect(Array.from(taskCounts([0.5, 0.5, 0.5, 0.5], 256, 0.3, 0.5))).toEqual([64, 64, 64, 64]);
  });

  it('weights by exp((1 - success) / T) above an even floor, worked by hand', () => {
    // T = 0.5, floor 0.5, batch 100, success [1, 0]: weights e^0 = 1 and e^2 = 7.389, so the
    // shares are 0.25 + 0.5 x 1/8.389 = 0.3096 and 0.25 + 0.5 x 7.389/8.389 = 0.6904: 30.96 and
    // 69.04 rows, rounded by largest remainder to 31 and 69.
    expect(Array.from(taskCounts([1, 0], 100, 0.5, 0.5))).toEqual([31, 69]);
    // Floor 1: even whatever the success.
    expect(Array.from(taskCounts([1, 0, 0.2], 99, 0.1, 1))).toEqual([33, 33, 33]);
  });

  it('always sums to the batch, and the hardest task gets the most', () => {
    const cases: [number[], number][] = [[[0.9, 0.1, 0.4], 256], [[0, 0, 1, 1, 0.3], 77], [[0.95], 10]];
    for (const [s, b] of cases) {
      const c = taskCounts(s, b, 0.3, 0.5);
      expect(c.reduce((a, x) => a + x, 0)).toBe(b);
      const hardest = s.indexOf(Math.min(...s));
      expect(Math.max(...c)).toBe(c[hardest]);
      for (const x of c) expect(x).toBeGreaterThanOrEqual(Math.floor((0.5 * b) / s.length));
    }
  });

  it('refuses a temperature of 0 or below and a floor outside [0, 1]', () => {
    expect(() => taskCounts([0.5], 8, 0, 0.5)).toThrow(/temperature must be above 0/);
    expect(() => taskCounts([0.5], 8, 0.3, 1.5)).toThrow(/floor must be in \[0, 1\]/);
  });
});

describe('TaskSampler', () => {
  it('keeps the last `window` outcomes per task and returns balanced batches at temperature 0', () => {
    const s = new TaskSampler(2, { temperature: 0.3, floor: 0.5, window: 4 });
    for (const ok of [false, false, true, true, true, true]) s.record(0, ok);
    s.record(1, false);
    expect(s.successRates()).toEqual([1, 0]);
    expect(s.getState()).toEqual([[1, 1, 1, 1], [0]]);
    const c = s.counts(64)!;
    expect(c[1]).toBeGreaterThan(c[0]);
    expect(new TaskSampler(2, { temperature: 0, floor: 0.5 }).counts(64)).toBeUndefined();
  });

  it('continues from a checkpointed state exactly', () => {
    const a = new TaskSampler(3, { temperature: 0.3, floor: 0.5 });
    [0, 1, 2, 0, 1].forEach((t, i) => a.record(t, i % 2 === 0));
    const b = new TaskSampler(3, { temperature: 0.3, floor: 0.5 }, JSON.parse(JSON.stringify(a.getState())));
    expect(Array.from(b.counts(90)!)).toEqual(Array.from(a.counts(90)!));
  });
});
