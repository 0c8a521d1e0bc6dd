// Difficulty-weighted task sampling (agents/task-sampling.ts): the count rule worked by hand, its
// floor, its rounding, and the per-task success window a checkpoint keeps.
import { describe, expect, it } from 'vitest';
import { emptyWindow, recordOutcome, successRates, taskCounts } from '../../agents/task-sampling.ts';

describe('taskCounts', () => {
  it('gives hard tasks more rows: a case worked by hand', () => {
    // success [1, 0], T = 1, floor 0: w = [e^0, e^1] = [1, 2.71828], p = [0.26894, 0.73106];
    // 100 rows: exact [26.894, 73.106], floors [26, 73], one row left to the larger remainder (0.894).
    expect(taskCounts([1, 0], 100, 1, 0)).toEqual([27, 73]);
    // floor 0.5: q = 0.25 + 0.5 p = [0.38447, 0.61553]; exact [38.447, 61.553] -> [38, 62].
    expect(taskCounts([1, 0], 100, 1, 0.5)).toEqual([38, 62]);
  });

  it('is uniform when every task does equally well, or with floor 1', () => {
    expect(taskCounts([0.3, 0.3, 0.3, 0.3], 256, 0.1, 0)).toEqual([64, 64, 64, 64]);
    expect(taskCounts([1, 0, 0.5, 0.2], 256, 0.1, 1)).toEqual([64, 64, 64, 64]);
    // 10 rows over 4 equal tasks: 2.5 each, the two leftover rows go to the lowest indices
    expect(taskCounts([0, 0, 0, 0], 10, 1, 0)).toEqual([3, 3, 2, 2]);
  });

  it('keeps every task at floor / K of the batch however cold the temperature', () => {
    const success = [1, 1, 1, 0];
    for (const floor of [0.2, 0.5, 0.8]) {
      const c = taskCounts(success, 400, 0.01, floor);
      expect(c.reduce((a, b) => a + b, 0)).toBe(400);
      for (const n of c) expect(n).toBeGreaterThanOrEqual(Math.floor((floor / 4) * 400));
      // e^-100 is nothing: the easy tasks are at the floor exactly, the hard one takes the rest
      expect(c.slice(0, 3)).toEqual(new Array(3).fill((floor / 4) * 400));
    }
  });

  it('sums to the batch for any inputs, and does not overflow at small temperatures', () => {
    for (let i = 0; i < 200; i++) {
      const K = 1 + (i % 10);
      const success = Array.from({ length: K }, (_, t) => ((i * 7 + t * 13) % 11) / 10);
      const batch = (i * 37) % 513;
      const c = taskCounts(success, batch, 0.001 + (i % 5) * 0.3, (i % 4) / 3);
      expect(c.reduce((a, b) => a + b, 0)).toBe(batch);
      expect(c.every((n) => Number.isInteger(n) && n >= 0)).toBe(true);
    }
  });

  it('refuses what it cannot weigh', () => {
    expect(() => taskCounts([], 10, 1, 0)).toThrow(/no tasks/);
    expect(() => taskCounts([0.5], 10, 0, 0)).toThrow(/temperature/);
    expect(() => taskCounts([0.5], 10, 1, 1.5)).toThrow(/floor/);
    expect(() => taskCounts([2], 10, 1, 0)).toThrow(/success rates/);
    expect(() => taskCounts([0.5], 2.5, 1, 0)).toThrow(/batch/);
  });
});

describe('success window', () => {
  it('keeps the last N outcomes per task; an unseen task counts as failing', () => {
    const w = emptyWindow(3);
    for (const s of [true, true, false, true, false]) recordOutcome(w, 0, s, 4);
    recordOutcome(w, 1, true, 4);
    expect(w[0]).toEqual([1, 0, 1, 0]); // the oldest (a success) dropped
    expect(successRates(w)).toEqual([0.5, 1, 0]);
    // plain arrays: what a checkpoint stores comes back the same through JSON
    expect(JSON.parse(JSON.stringify(w))).toEqual(w);
  });
});
