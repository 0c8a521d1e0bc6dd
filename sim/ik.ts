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
  const [bx, by, bz] = ARM.base;
  const c1 = Math.cos(q[0]);
  const s1 = Math.sin(q[0]);
  const dir = (a: number, len: number): [number, number, number] => [
    len * Math.cos(a) * c1,
    len * Math.cos(a) * s1,
    len * Math.sin(a),
  ];
  const shoulder: [number, number, number] = [bx, by, bz + ARM.shoulderHeight];
  const u = dir(q[1], ARM.upperArm);
  const elbow: [number, number, number] = [shoulder[0] + u[0], shoulder[1] + u[1], shoulder[2] + u[2]];
  const f = dir(q[1] + q[2], ARM.forearm);
  const wrist: [number, number, number] = [elbow[0] + f[0], elbow[1] + f[1], elbow[2] + f[2]];
  const w = dir(q[1] + q[2] + q[4], ARM.wristAbovePalm);
  const palm: [number, number, number] = [wrist[0] + w[0], wrist[1] + w[1], wrist[2] + w[2]];
  return { shoulder, elbow, wrist, palm };
}

/** Palm-centre bounds that correspond to the TCP workspace. */
export const PALM_BOUNDS = {
  min: [WORKSPACE.min[0], WORKSPACE.min[1], WORKSPACE.min[2] + HAND.tcpBelowPalm] as const,
  max: [WORKSPACE.max[0], WORKSPACE.max[1], WORKSPACE.max[2] + HAND.tcpBelowPalm] as const,
};
