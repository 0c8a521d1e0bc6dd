// Input standardisation: statistics merged batch by batch equal those of all rows at once, and
// normalised values are centred, scaled and clipped.
import { describe, expect, it } from 'vitest';
import { CLIP, RunningNorm } from '../../agents/normalizer.ts';

describe('RunningNorm', () => {
  it('merges batches into the exact mean and variance', () => {
    const d = 3;
    const rows = Float32Array.from({ length: 300 }, (_, i) => Math.sin(i * 0.37) * (1 + (i % d)) + (i % d));
    const n = new RunningNorm(d);
    n.update(rows.subarray(0, 30));
    n.update(rows.subarray(30, 210));
    n.update(rows.subarray(210));
    for (let k = 0; k < d; k++) {
      const col = Array.from(rows).filter((_, i) => i % d === k);
      const mean = col.reduce((a, b) => a + b, 0) / col.length;
      const v = col.reduce((a, b) => a + (b - mean) ** 2, 0) / col.length;
      expect(n.mean[k]).toBeCloseTo(mean, 10);
      expect(n.m2[k] / n.count).toBeCloseTo(v, 10);
    }
    expect(n.count).toBe(100);
    const z = n.normalize(rows);
    for (let k = 0; k < d; k++) {
      const col = Array.from(z).filter((_, i) => i % d === k);
      expect(col.reduce((a, b) => a + b, 0) / col.length).toBeCloseTo(0, 3);
    }
  });

  it('clips outliers and leaves constant columns at zero', () => {
    const n = new RunningNorm(2);
    n.update(new Float32Array([0, 1, 0, -1, 0, 1, 0, -1]));
    const z = n.normalize(new Float32Array([0, 1000, 0, -1000]));
    expect(Array.from(z)).toEqual([0, CLIP, 0, -CLIP]);
  });

  it('restores a saved state exactly', () => {
    const a = new RunningNorm(2);
    a.update(new Float32Array([0.1, 2, 0.3, 5, -0.2, 1]));
    const b = new RunningNorm(2);
    b.setState(a.getState());
    const x = new Float32Array([0.05, 3]);
    expect(Array.from(b.normalize(x))).toEqual(Array.from(a.normalize(x)));
    expect(() => b.setState({ count: 1, mean: new Float64Array(3), m2: new Float64Array(3) })).toThrow(/dimensions/);
  });
});
