// Joint kinds of a fixture's moving parts: what a joint spec says, the pure kinematics (where a part
// is at joint position q, and q from the part's pose), and the Rapier joint that realises it. A new
// joint kind is added here (its schema, its two kinematic functions and its Rapier joint); the
// scene, the observation and TaskState.fixturePoint go through these functions only.
//
// Frames: a moving part is described in its fixture's base frame as it stands at joint position 0,
// so its body frame coincides with the base frame at q = 0. At q it is displaced by
// partTransform(spec, q): p_base = rot * p_part + trans.
import type { ImpulseJoint, RigidBody, World } from '@dimforge/rapier3d-simd-compat';
import { z } from 'zod';
import { quatAxisAngle, rotate, wrapAngle, type Quat, type Vec3 } from './math.ts';
import type { Rapier } from './rapier.ts';

export const JOINT_KINDS = ['prismatic', 'revolute'] as const;
export type JointKind = (typeof JOINT_KINDS)[number];

interface JointCommon {
  /** Joint axis in the base frame (normalised when the task loads). */
  axis: Vec3;
  /** [lower, upper] joint limits: metres (prismatic) or radians in [-pi, pi] (revolute). */
  limits: [number, number];
  /** Joint position at each reset unless `ctx.setJoint` says otherwise (default: the lower limit). */
  initial?: number;
  /** Viscous damping: N s/m (prismatic) or N m s/rad (revolute). */
  damping?: number;
  /** Coulomb friction: the force (N) or torque (N m) it takes to move the part. */
  jointFriction?: number;
  /** A spring toward `rest` (within the limits): stiffness in N/m or N m/rad. */
  spring?: { rest: number; stiffness: number };
}

/** Slides along `axis`; q is the displacement from where the part is described. */
export interface PrismaticJointSpec extends JointCommon {
  joint: 'prismatic';
}

/** Turns about the line through `anchor` (base frame) along `axis`; q is the angle, right-handed. */
export interface RevoluteJointSpec extends JointCommon {
  joint: 'revolute';
  anchor: Vec3;
}

export type JointSpec = PrismaticJointSpec | RevoluteJointSpec;

const finite = z.number().finite();
const vec3 = z.tuple([finite, finite, finite]);
const nonNegative = finite.nonnegative();
const common = {
  axis: vec3.refine((a) => Math.hypot(a[0], a[1], a[2]) > 1e-9, 'expected a non-zero axis'),
  limits: z.tuple([finite, finite]),
  initial: finite.optional(),
  damping: nonNegative.optional(),
  jointFriction: nonNegative.optional(),
  spring: z.object({ rest: finite, stiffness: finite.positive() }).strict().optional(),
};

/** The joint fields of a moving part (task.ts adds its geometry); `extra` are the other fields. */
export function jointSchema<T extends z.ZodRawShape>(extra: T) {
  return z
    .discriminatedUnion('joint', [
      z.object({ joint: z.literal('prismatic'), ...common, ...extra }).strict(),
      z.object({ joint: z.literal('revolute'), anchor: vec3, ...common, ...extra }).strict(),
    ])
    .superRefine((parsed, ctx) => {
      const j = parsed as unknown as JointSpec;
      const [lo, hi] = j.limits;
      if (!(lo < hi)) ctx.addIssue({ code: 'custom', path: ['limits'], message: `expected lower < upper, got [${lo}, ${hi}]` });
      if (j.joint === 'revolute' && (lo < -Math.PI || hi > Math.PI)) {
        ctx.addIssue({ code: 'custom', path: ['limits'], message: `a revolute joint's limits must lie in [-pi, pi] radians, got [${lo}, ${hi}]` });
      }
      const inside = (v: number) => v >= lo && v <= hi;
      if (j.initial !== undefined && !inside(j.initial)) ctx.addIssue({ code: 'custom', path: ['initial'], message: `${j.initial} is outside the limits [${lo}, ${hi}]` });
      if (j.spring && !inside(j.spring.rest)) ctx.addIssue({ code: 'custom', path: ['spring', 'rest'], message: `${j.spring.rest} is outside the limits [${lo}, ${hi}]` });
    });
}

export function unitAxis(spec: JointSpec): Vec3 {
  const [x, y, zz] = spec.axis;
  const n = Math.hypot(x, y, zz);
  return [x / n, y / n, zz / n];
}

/** The joint position a part starts each episode at, unless the task sets another. */
export function defaultJointPosition(spec: JointSpec): number {
  return spec.initial ?? spec.limits[0];
}

export interface PartTransform {
  rot: Quat;
  trans: Vec3;
}

/** Pose of a moving part at joint position q, relative to the base frame: p_base = rot p + trans. */
export function partTransform(spec: JointSpec, axis: Vec3, q: number): PartTransform {
  if (spec.joint === 'prismatic') return { rot: [0, 0, 0, 1], trans: [q * axis[0], q * axis[1], q * axis[2]] };
  const rot = quatAxisAngle(axis, q);
  const a = spec.anchor;
  const ra = rotate(rot, a);
  return { rot, trans: [a[0] - ra[0], a[1] - ra[1], a[2] - ra[2]] };
}

/**
 * Joint position from the part's pose relative to the base: `relPos` is the part's body origin and
 * `relRot` its orientation, both in the base frame. A prismatic joint reads `relPos` only, a
 * revolute one `relRot` only.
 */
export function jointPosition(spec: JointSpec, axis: Vec3, relPos: ArrayLike<number>, relRot: ArrayLike<number>): number {
  if (spec.joint === 'prismatic') return relPos[0] * axis[0] + relPos[1] * axis[1] + relPos[2] * axis[2];
  // Twist of relRot about the axis.
  const s = relRot[0] * axis[0] + relRot[1] * axis[1] + relRot[2] * axis[2];
  return wrapAngle(2 * Math.atan2(s, relRot[3]));
}

/** Joint velocity from the part's velocities in the base frame (the base does not move): prismatic from `linvel`, revolute from `angvel`. */
export function jointVelocity(spec: JointSpec, axis: Vec3, linvel: ArrayLike<number>, angvel: ArrayLike<number>): number {
  const v = spec.joint === 'prismatic' ? linvel : angvel;
  return v[0] * axis[0] + v[1] * axis[1] + v[2] * axis[2];
}

/**
 * The Rapier joint between a fixture's base and one of its moving parts: limits, no contacts
 * between the two, and one force-based motor carrying both the damping (target velocity 0) and the
 * spring (target position `rest`), so its units are newtons, not accelerations.
 */
export function createJoint(R: Rapier, world: World, base: RigidBody, part: RigidBody, spec: JointSpec, axis: Vec3): ImpulseJoint {
  const v = { x: axis[0], y: axis[1], z: axis[2] };
  const data =
    spec.joint === 'prismatic'
      ? R.JointData.prismatic({ x: 0, y: 0, z: 0 }, { x: 0, y: 0, z: 0 }, v)
      : R.JointData.revolute({ x: spec.anchor[0], y: spec.anchor[1], z: spec.anchor[2] }, { x: spec.anchor[0], y: spec.anchor[1], z: spec.anchor[2] }, v);
  const joint = world.createImpulseJoint(data, base, part, true) as unknown as UnitJoint;
  joint.setContactsEnabled(false);
  // JointData's limit fields reach prismatic joints only; setLimits works for both kinds.
  joint.setLimits(spec.limits[0], spec.limits[1]);
  if (spec.spring || spec.damping) {
    joint.configureMotorModel(R.MotorModel.ForceBased);
    joint.configureMotor(spec.spring?.rest ?? 0, 0, spec.spring?.stiffness ?? 0, spec.damping ?? 0);
  }
  return joint;
}

type UnitJoint = ImpulseJoint & {
  setLimits(min: number, max: number): void;
  configureMotorModel(m: number): void;
  configureMotor(targetPos: number, targetVel: number, stiffness: number, damping: number): void;
};

/**
 * Mass (prismatic) or moment of inertia about the hinge line (revolute) that the joint moves: what
 * a friction impulse acts on. Constant for a part, computed once from its mass properties.
 */
export function jointInertia(spec: JointSpec, axis: Vec3, part: RigidBody): number {
  const m = part.mass();
  if (spec.joint === 'prismatic') return m;
  const lam = part.principalInertia();
  const frame = part.principalInertiaLocalFrame();
  const f: Quat = [frame.x, frame.y, frame.z, frame.w];
  let iAxis = 0;
  const e: [Vec3, number][] = [
    [rotate(f, [1, 0, 0]), lam.x],
    [rotate(f, [0, 1, 0]), lam.y],
    [rotate(f, [0, 0, 1]), lam.z],
  ];
  for (const [dir, l] of e) {
    const c = dir[0] * axis[0] + dir[1] * axis[1] + dir[2] * axis[2];
    iAxis += l * c * c;
  }
  const com = part.localCom();
  const r: Vec3 = [com.x - spec.anchor[0], com.y - spec.anchor[1], com.z - spec.anchor[2]];
  const along = r[0] * axis[0] + r[1] * axis[1] + r[2] * axis[2];
  const d2 = r[0] * r[0] + r[1] * r[1] + r[2] * r[2] - along * along;
  return iAxis + m * d2;
}

/**
 * Coulomb friction over one physics step of length dt, applied after the step (semi-implicit): the
 * joint velocity the solver produced, qdot, loses at most F dt / inertia (never changing sign), and
 * the step's displacement from qBefore to qAfter shrinks in the same ratio. So a part at rest stays
 * exactly put under any load below F (gravity, a light push), and moves against exactly F above it.
 * Done here because Rapier 0.19.3's JS bindings expose no force cap for joint motors. Returns the
 * corrected (q, qdot).
 */
export function applyFriction(qBefore: number, qAfter: number, qdot: number, friction: number, inertia: number, dt: number): [number, number] {
  if (qdot === 0) return [qAfter, 0];
  const dv = Math.min(Math.abs(qdot), (friction * dt) / inertia);
  const v = qdot > 0 ? qdot - dv : qdot + dv;
  return [qBefore + (qAfter - qBefore) * (v / qdot), v];
}
