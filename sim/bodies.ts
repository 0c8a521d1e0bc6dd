// What the robot and the scene share: collision groups, the body descriptions the viewer draws,
// the collider (and query shape) for each primitive shape, and scratch vectors for Rapier calls.
import type { ColliderDesc, RigidBody, Shape } from '@dimforge/rapier3d-simd-compat';
import type { Quat, Vec3 } from './math.ts';
import type { Rapier } from './rapier.ts';

// Collision groups: membership in the high 16 bits, filter in the low 16 bits. A pair collides when
// each one's membership is in the other's filter.
export const G_STATIC = 0x1; // table, fixture bases
export const G_OBJECT = 0x2; // movable objects
export const G_HAND = 0x4; // palm and fingers
export const G_ARM = 0x8; // pedestal and arm links
export const G_PART = 0x10; // moving parts of fixtures
export const groups = (member: number, filter: number): number => ((member << 16) | filter) >>> 0;

/** Shapes the viewer draws; cylinders and capsules lie along local +Y as in Rapier and three.js. */
export type VisualShape =
  | { shape: 'box'; halfExtents: Vec3 }
  | { shape: 'cylinder'; radius: number; halfHeight: number }
  | { shape: 'capsule'; radius: number; halfHeight: number }
  | { shape: 'sphere'; radius: number };

export interface VisualPart {
  geometry: VisualShape;
  /** Offset and rotation of the part in its body's frame. */
  offset: Vec3;
  rotation: Quat;
  color: string;
}

export interface BodyDescription {
  name: string;
  kind: 'static' | 'kinematic' | 'dynamic' | 'marker';
  parts: VisualPart[];
}

/** A body of one slot: its Rapier body (null for drawn-only markers) and how the viewer draws it. */
export interface SlotBody {
  name: string;
  body: RigidBody | null;
  description: BodyDescription;
}

export const IDENTITY: Quat = [0, 0, 0, 1];
/** Cylinders are built along Rapier's +Y; this turns them upright along +Z. */
export const Y_TO_Z: Quat = [Math.SQRT1_2, 0, 0, Math.SQRT1_2];

/** Primitive shapes of objects and fixture parts. Cylinders stand along local +Z. */
export type Primitive =
  | { shape: 'box'; halfExtents: Vec3 }
  | { shape: 'cylinder'; radius: number; halfHeight: number }
  | { shape: 'sphere'; radius: number };

/** A primitive placed in its body's frame. */
export interface PlacedPrimitive {
  primitive: Primitive;
  offset: Vec3;
  rotation: Quat;
}

/** Radius of the smallest sphere about the shape's centre that holds it. */
export function boundingRadius(p: Primitive): number {
  if (p.shape === 'box') return Math.hypot(...p.halfExtents);
  if (p.shape === 'cylinder') return Math.hypot(p.radius, p.halfHeight);
  return p.radius;
}

/** Half of the shape's height when it stands at its reference orientation (rotated about z only). */
export function halfHeightOf(p: Primitive): number {
  return p.shape === 'box' ? p.halfExtents[2] : p.shape === 'cylinder' ? p.halfHeight : p.radius;
}

/** The shape's rotation in Rapier terms: cylinders need Y_TO_Z before the part's own rotation. */
function shapeRotation(p: Primitive, rotation: Quat): Quat {
  return p.shape === 'cylinder' ? mul(rotation, Y_TO_Z) : rotation;
}

/** Collider description (not yet attached) and visual part for a placed primitive. */
export function primitiveCollider(R: Rapier, placed: PlacedPrimitive, color: string): { desc: ColliderDesc; visual: VisualPart } {
  const { primitive: p, offset, rotation } = placed;
  const rot = shapeRotation(p, rotation);
  let desc: ColliderDesc;
  let geometry: VisualShape;
  if (p.shape === 'box') {
    desc = R.ColliderDesc.cuboid(...p.halfExtents);
    geometry = { shape: 'box', halfExtents: p.halfExtents };
  } else if (p.shape === 'cylinder') {
    desc = R.ColliderDesc.cylinder(p.halfHeight, p.radius);
    geometry = { shape: 'cylinder', radius: p.radius, halfHeight: p.halfHeight };
  } else {
    desc = R.ColliderDesc.ball(p.radius);
    geometry = { shape: 'sphere', radius: p.radius };
  }
  if (offset[0] !== 0 || offset[1] !== 0 || offset[2] !== 0) desc.setTranslation(...offset);
  if (rot !== IDENTITY) desc.setRotation(toRapierQuat(rot));
  return { desc, visual: { geometry, offset, rotation: rot, color } };
}

/** A query shape (for overlap tests without stepping the world), with its rotation in the body frame. */
export function primitiveShape(R: Rapier, placed: PlacedPrimitive): { shape: Shape; rotation: Quat } {
  const p = placed.primitive;
  const shape = p.shape === 'box' ? new R.Cuboid(...p.halfExtents) : p.shape === 'cylinder' ? new R.Cylinder(p.halfHeight, p.radius) : new R.Ball(p.radius);
  return { shape, rotation: shapeRotation(p, placed.rotation) };
}

export function toRapierQuat(q: Quat): { x: number; y: number; z: number; w: number } {
  return { x: q[0], y: q[1], z: q[2], w: q[3] };
}

function mul(a: Quat, b: Quat): Quat {
  const [ax, ay, az, aw] = a;
  const [bx, by, bz, bw] = b;
  return [aw * bx + ax * bw + ay * bz - az * by, aw * by - ax * bz + ay * bw + az * bx, aw * bz + ax * by - ay * bx + az * bw, aw * bw - ax * bx - ay * by - az * bz];
}

interface Scratch {
  x: number;
  y: number;
  z: number;
}
interface ScratchQ extends Scratch {
  w: number;
}

/** Reusable argument objects for Rapier setters (no allocation per call on the hot path). */
export class ScratchVectors {
  private readonly v: Scratch = { x: 0, y: 0, z: 0 };
  private readonly q: ScratchQ = { x: 0, y: 0, z: 0, w: 1 };

  vec(x: number, y: number, z: number): Scratch {
    const v = this.v;
    v.x = x;
    v.y = y;
    v.z = z;
    return v;
  }

  quat(q: ArrayLike<number>): ScratchQ {
    const s = this.q;
    s.x = q[0];
    s.y = q[1];
    s.z = q[2];
    s.w = q[3];
    return s;
  }
}
