// Small vector helpers on plain tuples; the simulator's hot path works on typed arrays directly.

export type Vec3 = [number, number, number];
export type Quat = [number, number, number, number]; // x, y, z, w

export function dist3(a: ArrayLike<number>, b: ArrayLike<number>, ao = 0, bo = 0): number {
  const dx = a[ao] - b[bo];
  const dy = a[ao + 1] - b[bo + 1];
  const dz = a[ao + 2] - b[bo + 2];
  return Math.sqrt(dx * dx + dy * dy + dz * dz);
}

export function dist2(a: ArrayLike<number>, b: ArrayLike<number>, ao = 0, bo = 0): number {
  const dx = a[ao] - b[bo];
  const dy = a[ao + 1] - b[bo + 1];
  return Math.sqrt(dx * dx + dy * dy);
}

export function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** Quaternion rotating unit vector +Y onto unit vector d (capsules and cylinders lie along +Y). */
export function quatFromYTo(dx: number, dy: number, dz: number): Quat {
  // q = (cross(y, d), 1 + dot(y, d)), normalised; cross((0,1,0), d) = (dz, 0, -dx).
  const w = 1 + dy;
  if (w < 1e-9) return [1, 0, 0, 0]; // d = -Y: half turn about X
  const n = Math.sqrt(dz * dz + dx * dx + w * w);
  return [dz / n, 0, -dx / n, w / n];
}

/** Quaternion for a rotation of `angle` about the world z axis. */
export function quatYaw(angle: number): Quat {
  return [0, 0, Math.sin(angle / 2), Math.cos(angle / 2)];
}

/** Hamilton product a * b. */
export function quatMul(a: Quat, b: Quat): Quat {
  const [ax, ay, az, aw] = a;
  const [bx, by, bz, bw] = b;
  return [
    aw * bx + ax * bw + ay * bz - az * by,
    aw * by - ax * bz + ay * bw + az * bx,
    aw * bz + ax * by - ay * bx + az * bw,
    aw * bw - ax * bx - ay * by - az * bz,
  ];
}

/** Quaternion for a rotation of `angle` about the unit axis `a`. */
export function quatAxisAngle(a: ArrayLike<number>, angle: number): Quat {
  const s = Math.sin(angle / 2);
  return [a[0] * s, a[1] * s, a[2] * s, Math.cos(angle / 2)];
}

/** Quaternion of roll, pitch, yaw (radians): rotate about x, then about y, then about z (fixed axes). */
export function quatFromEuler(roll: number, pitch: number, yaw: number): Quat {
  return quatMul(quatYaw(yaw), quatMul(quatAxisAngle([0, 1, 0], pitch), quatAxisAngle([1, 0, 0], roll)));
}

export function quatConj(q: Quat): Quat {
  return [-q[0], -q[1], -q[2], q[3]];
}

/** Rotates v by the unit quaternion q. */
export function rotate(q: ArrayLike<number>, v: ArrayLike<number>): Vec3 {
  const [qx, qy, qz, qw] = [q[0], q[1], q[2], q[3]];
  // t = 2 (q.xyz x v); v' = v + w t + q.xyz x t
  const tx = 2 * (qy * v[2] - qz * v[1]);
  const ty = 2 * (qz * v[0] - qx * v[2]);
  const tz = 2 * (qx * v[1] - qy * v[0]);
  return [v[0] + qw * tx + (qy * tz - qz * ty), v[1] + qw * ty + (qz * tx - qx * tz), v[2] + qw * tz + (qx * ty - qy * tx)];
}

/** Rotates (x, y) by `yaw` about z. */
export function rotateYaw(yaw: number, v: ArrayLike<number>): Vec3 {
  const c = Math.cos(yaw);
  const s = Math.sin(yaw);
  return [c * v[0] - s * v[1], s * v[0] + c * v[1], v[2]];
}

/** Angle in (-pi, pi]. */
export function wrapAngle(a: number): number {
  const w = a - 2 * Math.PI * Math.floor((a + Math.PI) / (2 * Math.PI));
  return w === -Math.PI ? Math.PI : w;
}
