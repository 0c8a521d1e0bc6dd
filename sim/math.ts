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
