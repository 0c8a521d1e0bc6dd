// Unit tests of the pure math: generator, inverse kinematics, quaternions (the observation layout
// has its own file, layout.test.ts).
import { describe, expect, it } from 'vitest';
import { ARM, HAND, WORKSPACE } from '../../sim/config.ts';
import { forwardKinematics, PALM_BOUNDS, solveIk } from '../../sim/ik.ts';
import { quatAxisAngle, quatFromEuler, quatFromYTo, quatMul, quatYaw, rotate, rotateYaw, wrapAngle } from '../../sim/math.ts';
import { Rng } from '../../sim/rng.ts';

describe('Rng', () => {
  it('repeats for a seed and differs between seeds and streams', () => {
    const a = new Rng(42, 0);
    const b = new Rng(42, 0);
    const seqA = Array.from({ length: 100 }, () => a.nextUint32());
    expect(Array.from({ length: 100 }, () => b.nextUint32())).toEqual(seqA);
    const c = new Rng(43, 0);
    const d = new Rng(42, 1);
    expect(Array.from({ length: 100 }, () => c.nextUint32())).not.toEqual(seqA);
    expect(Array.from({ length: 100 }, () => d.nextUint32())).not.toEqual(seqA);
  });

  it('draws uniform floats in range with the right mean', () => {
    const r = new Rng(7);
    let sum = 0;
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < 20000; i++) {
      const x = r.uniform(-2, 3);
      sum += x;
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
    }
    expect(lo).toBeGreaterThanOrEqual(-2);
    expect(hi).toBeLessThan(3);
    expect(sum / 20000).toBeCloseTo(0.5, 1);
    const ints = new Set(Array.from({ length: 1000 }, () => r.int(5)));
    expect([...ints].sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('refuses a non-finite seed', () => {
    expect(() => new Rng(NaN)).toThrow(/seed/);
  });

  it('keeps its stream: sfc32 values and states recorded before the state moved into a typed array', () => {
    const r = new Rng(42, 3);
    expect(Array.from({ length: 6 }, () => r.nextUint32())).toEqual([837706778, 2240284119, 4022827638, 552307233, 2762086936, 3107309300]);
    const s = new Rng(5);
    for (let i = 0; i < 1000; i++) s.nextUint32();
    expect(s.getState()).toEqual([-1516269489, 548878543, 1655554274, 1924213368]);
    const t = new Rng(0);
    t.setState(s.getState());
    expect(t.nextUint32()).toBe(s.nextUint32());
  });

  it('draws standard normals: distribution (Kolmogorov-Smirnov), moments, tails; fillNormal is normal() in turn', () => {
    const n = 200_000;
    const r = new Rng(11);
    const xs = Float64Array.from({ length: n }, () => r.normal()).sort();
    // Phi by erf (Abramowitz and Stegun 7.1.26, |error| < 1.5e-7)
    const erf = (x: number) => {
      const t = 1 / (1 + 0.3275911 * Math.abs(x));
      const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
      return x < 0 ? -y : y;
    };
    const phi = (x: number) => 0.5 * (1 + erf(x / Math.SQRT2));
    let ks = 0;
    for (let i = 0; i < n; i++) ks = Math.max(ks, Math.abs(phi(xs[i]) - i / n), Math.abs(phi(xs[i]) - (i + 1) / n));
    expect(ks).toBeLessThan(1.63 / Math.sqrt(n)); // the 1% critical value
    // Chi-squared over 80 bins on [-4, 4] and the two tails (81 degrees of freedom, 1% critical
    // value 113.5): finer than KS where a ziggurat goes wrong (accepting its wedges whole gives 170).
    const bins = 80;
    const counts = new Float64Array(bins + 2);
    for (const x of xs) counts[x < -4 ? 0 : x >= 4 ? bins + 1 : 1 + Math.floor(((x + 4) * bins) / 8)]++;
    let chi2 = 0;
    for (let b = 0; b < bins + 2; b++) {
      const lower = b === 0 ? -Infinity : -4 + ((b - 1) * 8) / bins;
      const upper = b === bins + 1 ? Infinity : -4 + (b * 8) / bins;
      const want = n * (phi(upper) - phi(lower));
      chi2 += (counts[b] - want) ** 2 / want;
    }
    expect(chi2).toBeLessThan(113.5);
    let m = 0, v = 0, k = 0, tail = 0, far = 0;
    for (const x of xs) {
      m += x / n;
      v += (x * x) / n;
      k += x ** 4 / n;
      if (Math.abs(x) > 3.442619855899) tail++; // beyond the ziggurat's base layer
      if (Math.abs(x) > 4.5) far++;
    }
    expect(Math.abs(m)).toBeLessThan(0.01);
    expect(Math.abs(v - 1)).toBeLessThan(0.01);
    expect(Math.abs(k - 3)).toBeLessThan(0.06);
    // P(|x| > 3.4426) = 5.76e-4: 115 expected; P(|x| > 4.5) = 6.8e-6: about 1.4
    expect(tail).toBeGreaterThan(85);
    expect(tail).toBeLessThan(150);
    expect(far).toBeLessThan(8);
    const a = new Rng(3, 1);
    const b = new Rng(3, 1);
    const filled = new Float64Array(1001);
    a.fillNormal(filled);
    expect(Array.from(filled)).toEqual(Array.from({ length: 1001 }, () => b.normal()));
  });
});

describe('inverse kinematics', () => {
  it('places the palm exactly over the whole workspace (FK(IK(p)) = p)', () => {
    let worst = 0;
    const n = 7;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++)
        for (let k = 0; k < n; k++) {
          const p = [0, 1, 2].map((d, _, __) => {
            const t = [i, j, k][d] / (n - 1);
            return PALM_BOUNDS.min[d] + t * (PALM_BOUNDS.max[d] - PALM_BOUNDS.min[d]);
          });
          const q = solveIk(p[0], p[1], p[2]);
          expect(q.every(Number.isFinite)).toBe(true);
          const fk = forwardKinematics(q);
          worst = Math.max(worst, Math.hypot(fk.palm[0] - p[0], fk.palm[1] - p[1], fk.palm[2] - p[2]));
          // Six joints: forearm roll stays 0, wrist yaw cancels base yaw (fixed gripper orientation).
          expect(q[3]).toBe(0);
          expect(q[5]).toBeCloseTo(-q[0], 12);
          // The wrist link points straight down.
          expect(fk.wrist[2] - fk.palm[2]).toBeCloseTo(ARM.wristAbovePalm, 9);
          // Elbow up: the elbow is above the shoulder-wrist line.
          expect(fk.elbow[2]).toBeGreaterThan(Math.min(fk.shoulder[2], fk.wrist[2]));
        }
    expect(worst).toBeLessThan(1e-9);
  });

  it('never returns NaN for unreachable targets', () => {
    for (const p of [
      [5, 5, 5],
      [ARM.base[0], ARM.base[1], ARM.shoulderHeight - ARM.wristAbovePalm],
    ]) {
      expect(solveIk(p[0], p[1], p[2]).every(Number.isFinite)).toBe(true);
    }
  });

  it('keeps the TCP workspace above the table with the fingers clear of it', () => {
    expect(WORKSPACE.min[2] - HAND.fingerHalf[2]).toBeGreaterThan(0);
    expect(PALM_BOUNDS.min[2]).toBeCloseTo(WORKSPACE.min[2] + HAND.tcpBelowPalm, 12);
  });
});

describe('quaternions', () => {
  it('rotates +Y onto a direction', () => {
    const rot = (q: number[], v: number[]) => {
      const p = quatMul(quatMul(q as never, [v[0], v[1], v[2], 0]), [-q[0], -q[1], -q[2], q[3]]);
      return p.slice(0, 3);
    };
    for (const d of [
      [1, 0, 0],
      [0, 0, 1],
      [0, -1, 0],
      [0.6, 0, 0.8],
    ]) {
      const r = rot(quatFromYTo(d[0], d[1], d[2]), [0, 1, 0]);
      r.forEach((x, k) => expect(x).toBeCloseTo(d[k], 9));
    }
    const y = rot(quatYaw(Math.PI / 2), [1, 0, 0]);
    y.forEach((x, k) => expect(x).toBeCloseTo([0, 1, 0][k], 9));
  });
});

describe('rotations', () => {
  it('rotate agrees with the quaternion sandwich, rotateYaw with quatYaw', () => {
    const q = quatMul(quatAxisAngle([0, 0, 1], 0.7), quatAxisAngle([1, 0, 0], -0.4));
    const v = [0.3, -0.2, 0.5];
    const s = quatMul(quatMul(q, [v[0], v[1], v[2], 0]), [-q[0], -q[1], -q[2], q[3]]);
    rotate(q, v).forEach((x, k) => expect(x).toBeCloseTo(s[k], 12));
    rotateYaw(0.7, v).forEach((x, k) => expect(x).toBeCloseTo(rotate(quatYaw(0.7), v)[k], 12));
  });

  it('applies roll, then pitch, then yaw about the fixed axes', () => {
    // roll 90 deg takes +y to +z; pitch 90 deg then takes +z to +x; yaw 90 deg takes +x to +y.
    rotate(quatFromEuler(Math.PI / 2, Math.PI / 2, Math.PI / 2), [0, 1, 0]).forEach((x, k) => expect(x).toBeCloseTo([0, 1, 0][k], 12));
    rotate(quatFromEuler(Math.PI / 2, 0, 0), [0, 1, 0]).forEach((x, k) => expect(x).toBeCloseTo([0, 0, 1][k], 12));
    rotate(quatFromEuler(0, Math.PI / 2, 0), [0, 0, 1]).forEach((x, k) => expect(x).toBeCloseTo([1, 0, 0][k], 12));
  });

  it('wraps angles into (-pi, pi]', () => {
    expect(wrapAngle(Math.PI)).toBe(Math.PI);
    expect(wrapAngle(-Math.PI)).toBe(Math.PI);
    expect(wrapAngle(3 * Math.PI / 2)).toBeCloseTo(-Math.PI / 2, 12);
    expect(wrapAngle(-7)).toBeCloseTo(-7 + 2 * Math.PI, 12);
    expect(wrapAngle(0.25)).toBe(0.25);
  });
});
