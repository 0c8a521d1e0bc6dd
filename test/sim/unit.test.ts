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
