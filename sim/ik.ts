// Analytic inverse kinematics of the 6R arm for a palm that always points straight down with a
// world-fixed yaw. Joints: q1 base yaw, q2 shoulder pitch, q3 elbow pitch, q4 forearm roll,
// q5 wrist pitch, q6 wrist yaw. With the orientation fixed, the solution is unique in the
// elbow-up branch: q4 = 0, q5 keeps the wrist link vertical, q6 = -q1 keeps the fingers' closing
// axis along world y. Pure math, unit-tested (FK(IK(p)) = p over the workspace).
import { ARM, HAND, WORKSPACE } from './config.ts';

export type JointAngles = [number, number, number, number, number, number];

export interface ArmPoints {
  shoulder: [number, number, number];
  elbow: [number, number, number];
  wrist: [number, number, number];
  palm: [number, number, number];
}

/** Joint angles placing the palm centre at (px, py, pz), env frame. Writes into `out`. */
export function solveIk(px: number, py: number, pz: number, out: number[] = new Array(6)): number[] {
  const [bx, by, bz] = ARM.base;
  const L2 = ARM.upperArm;
  const L3 = ARM.forearm;
  const wx = px - bx;
  const wy = py - by;
  const wz = pz + ARM.wristAbovePalm - (bz + ARM.shoulderHeight);
  const q1 = Math.atan2(wy, wx);
  const r = Math.hypot(wx, wy);
  // Out-of-reach targets are clamped to the reachable shell (never NaN); the workspace lies inside.
  const D = Math.min(Math.max(Math.hypot(r, wz), Math.abs(L2 - L3) + 1e-6), L2 + L3 - 1e-6);
  const interiorElbow = Math.acos((L2 * L2 + L3 * L3 - D * D) / (2 * L2 * L3));
  const alpha = Math.acos((L2 * L2 + D * D - L3 * L3) / (2 * L2 * D));
  const q2 = Math.atan2(wz, r) + alpha;
  const q3 = -(Math.PI - interiorElbow);
  const q5 = -Math.PI / 2 - (q2 + q3);
  out[0] = q1;
  out[1] = q2;
  out[2] = q3;
  out[3] = 0;
  out[4] = q5;
  out[5] = -q1;
  return out;
}

/** Forward kinematics: the arm's key points for the given joint angles. */
export function forwardKinematics(q: ArrayLike<number>): ArmPoints {
  const o = armPointsInto(q, new Float64Array(12));
  return { shoulder: [o[0], o[1], o[2]], elbow: [o[3], o[4], o[5]], wrist: [o[6], o[7], o[8]], palm: [o[9], o[10], o[11]] };
}

/**
 * Forward kinematics into `out` (12 numbers: shoulder, elbow, wrist, palm, each x y z), without
 * allocating: the robot poses its arm from it after every physics substep.
 */
export function armPointsInto(q: ArrayLike<number>, out: Float64Array): Float64Array {
  const c1 = Math.cos(q[0]);
  const s1 = Math.sin(q[0]);
  out[0] = ARM.base[0];
  out[1] = ARM.base[1];
  out[2] = ARM.base[2] + ARM.shoulderHeight;
  link(out, 3, q[1], ARM.upperArm, c1, s1);
  link(out, 6, q[1] + q[2], ARM.forearm, c1, s1);
  link(out, 9, q[1] + q[2] + q[4], ARM.wristAbovePalm, c1, s1);
  return out;
}

/** Point k of `out` = point k - 3 plus a link of length len at pitch a, in the plane of yaw (c1, s1). */
function link(out: Float64Array, k: number, a: number, len: number, c1: number, s1: number): void {
  out[k] = out[k - 3] + len * Math.cos(a) * c1;
  out[k + 1] = out[k - 2] + len * Math.cos(a) * s1;
  out[k + 2] = out[k - 1] + len * Math.sin(a);
}

/** Palm-centre bounds that correspond to the TCP workspace. */
export const PALM_BOUNDS = {
  min: [WORKSPACE.min[0], WORKSPACE.min[1], WORKSPACE.min[2] + HAND.tcpBelowPalm] as const,
  max: [WORKSPACE.max[0], WORKSPACE.max[1], WORKSPACE.max[2] + HAND.tcpBelowPalm] as const,
};
