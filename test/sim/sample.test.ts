// The sampling helper (sim/sample.ts): draws inside the ranges, keeps its distance, draws the same
// points for the same generator state, and fails loudly (naming the constraint and the number of
// tries) instead of returning a point that breaks the constraint.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../sim/rng.ts';
import { samplePosition, SamplingError } from '../../sim/sample.ts';

describe('samplePosition', () => {
  it('draws inside the ranges and at least minDistance from every point', () => {
    const rng = new Rng(1);
    const away = [
      [0, 0, 0],
      [0.1, 0.1, 0.2],
    ];
    for (let k = 0; k < 500; k++) {
      const [x, y, z] = samplePosition(rng, { x: [-0.2, 0.2], y: [-0.1, 0.3], z: 0.015, awayFrom: away, minDistance: 0.08 });
      expect(x).toBeGreaterThanOrEqual(-0.2);
      expect(x).toBeLessThan(0.2);
      expect(y).toBeGreaterThanOrEqual(-0.1);
      expect(y).toBeLessThan(0.3);
      expect(z).toBe(0.015);
      // 'xy' (the default) ignores height.
      for (const a of away) expect(Math.hypot(x - a[0], y - a[1])).toBeGreaterThanOrEqual(0.08);
    }
    for (let k = 0; k < 200; k++) {
      const p = samplePosition(rng, { x: [-0.1, 0.1], y: [-0.1, 0.1], z: [0.05, 0.3], awayFrom: [[0, 0, 0.2]], minDistance: 0.1, plane: 'xyz' });
      expect(p[2]).toBeGreaterThanOrEqual(0.05);
      expect(p[2]).toBeLessThan(0.3);
      expect(Math.hypot(p[0], p[1], p[2] - 0.2)).toBeGreaterThanOrEqual(0.1);
    }
  });

  it('draws x, then y, then z from the generator (the same state gives the same point)', () => {
    const a = new Rng(7, 3);
    const b = new Rng(7, 3);
    const p = samplePosition(a, { x: [0, 1], y: [2, 3], z: [4, 5] });
    expect(p).toEqual([b.uniform(0, 1), b.uniform(2, 3), b.uniform(4, 5)]);
  });

  it('fails loudly, naming the constraint and the number of tries, when nothing satisfies it', () => {
    const rng = new Rng(2);
    const impossible = { x: [-0.05, 0.05] as [number, number], y: [-0.05, 0.05] as [number, number], z: 0.02, awayFrom: [[0, 0, 0.02]], minDistance: 0.2, tries: 50 };
    expect(() => samplePosition(rng, impossible)).toThrow(SamplingError);
    expect(() => samplePosition(rng, impossible)).toThrow(
      'samplePosition found no point with x in [-0.05, 0.05], y in [-0.05, 0.05], z = 0.02 at least 0.2 m (in the table plane) from [0, 0, 0.02] in 50 tries',
    );
  });

  const bad: [string, object, RegExp][] = [
    ['a reversed range', { x: [0.2, -0.2], y: [0, 1] }, /option "x" must be \[lo, hi\] with finite lo <= hi, got \[0.2,-0.2\]/],
    ['a missing range', { x: [0, 1] }, /option "y" must be \[lo, hi\]/],
    ['a NaN height', { x: [0, 1], y: [0, 1], z: NaN }, /option "z" must be a finite number or \[lo, hi\]/],
    ['points without a distance', { x: [0, 1], y: [0, 1], awayFrom: [[0, 0, 0]] }, /option "awayFrom" needs "minDistance"/],
    ['a point that is not one', { x: [0, 1], y: [0, 1], awayFrom: [[0]], minDistance: 0.1 }, /option "awayFrom" entry 0 must be a point/],
    ['a single point instead of a list', { x: [0, 1], y: [0, 1], awayFrom: [0, 0, 0], minDistance: 0.1 }, /option "awayFrom" entry 0 must be a point/],
    ['a negative distance', { x: [0, 1], y: [0, 1], minDistance: -1 }, /option "minDistance" must be a finite number >= 0/],
    ['an unknown plane', { x: [0, 1], y: [0, 1], plane: 'xz' }, /option "plane" must be "xy" or "xyz"/],
    ['zero tries', { x: [0, 1], y: [0, 1], tries: 0 }, /option "tries" must be an integer in \[1, 100000\]/],
  ];
  for (const [what, opts, message] of bad) {
    it(`refuses ${what}`, () => {
      expect(() => samplePosition(new Rng(1), opts as never)).toThrow(message);
    });
  }
});
