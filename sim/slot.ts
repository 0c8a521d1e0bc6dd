// One env slot inside a shared Rapier world: the robot (IK-posed kinematic arm links, kinematic
// palm, two dynamic fingers on motorised prismatic joints), its table, and the task's object and
// fixture. The slot turns actions into palm targets and finger motor commands, moves the palm each
// physics substep, and reads its state into the observation row. Slots never touch each other:
// they sit SLOT_SPACING apart.
//
// Grasp pattern from DESIGN.md, with one change: fingers are dynamic bodies with locked rotations
// on prismatic joints with limits, driven by a force-based velocity motor so a stalled finger
// squeezes with a bounded force. The palm is not kinematic: a kinematic palm pushes with unbounded
// force, and when we tried it, it crushed blocks millimetres into the table and bounced them out
// even with a contact-force yield rule. Instead the palm is a dynamic body (rotations locked,
// gravity off: the arm carries its weight) that a controller drives toward its target with
// bounded speed and bounded force, like a MuJoCo mocap weld. It cannot pass through the table or
// crush an object: it presses no harder than HAND_MAX_FORCE.
import type { ImpulseJoint, RigidBody, World } from '@dimforge/rapier3d-simd-compat';
import { ACTION_SCALE, ARM, CONTROL_DT, HAND, HAND_MAX_FORCE, HAND_MAX_LEAD, HAND_MAX_SPEED, HAND_TRACKING_TAU, PHYSICS_DT, TABLE, OBJECT_BOUNDS } from './config.ts';
import { PALM_BOUNDS, forwardKinematics, solveIk } from './ik.ts';
import { OBS, OBS_DIM } from './layout.ts';
import { clamp, quatFromYTo, quatYaw, type Quat } from './math.ts';
import type { Rapier } from './rapier.ts';
import type { TaskDefinition, Vec3 } from './task.ts';

// Collision groups: membership in the high 16 bits, filter in the low 16 bits.
const G_STATIC = 0x1;
const G_OBJECT = 0x2;
const G_HAND = 0x4;
const G_ARM = 0x8;
const groups = (member: number, filter: number): number => ((member << 16) | filter) >>> 0;

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

const IDENTITY: Quat = [0, 0, 0, 1];
/** Cylinders are built along Rapier's +Y; this turns them upright along +Z. */
const Y_TO_Z: Quat = [Math.SQRT1_2, 0, 0, Math.SQRT1_2];

interface Scratch {
  x: number;
  y: number;
  z: number;
}
interface ScratchQ extends Scratch {
  w: number;
}

export class Slot {
  readonly bodies: { name: string; body: RigidBody | null; description: BodyDescription }[] = [];
  readonly palm: RigidBody;
  readonly fingerA: RigidBody; // +y side
  readonly fingerB: RigidBody; // -y side
  readonly jointA: ImpulseJoint;
  readonly jointB: ImpulseJoint;
  readonly links: { body: RigidBody; from: 'shoulder' | 'elbow' | 'wrist'; to: 'elbow' | 'wrist' | 'palmTop' }[] = [];
  readonly object: RigidBody | null;
  readonly fixture: RigidBody | null;

  /** Palm centre, env frame, read after each substep. */
  readonly palmPos = new Float64Array(3);
  readonly palmVel = new Float64Array(3);
  readonly palmTarget = new Float64Array(3);
  private gapPrev = 0;
  readonly joints = new Array<number>(6).fill(0);
  /** Desired goal of the current episode. */
  readonly goal = new Float32Array(3);

  private readonly v: Scratch = { x: 0, y: 0, z: 0 };
  private readonly q: ScratchQ = { x: 0, y: 0, z: 0, w: 1 };

  constructor(
    private readonly R: Rapier,
    private readonly world: World,
    readonly origin: Vec3,
    readonly task: TaskDefinition,
  ) {
    const [ox, oy, oz] = origin;

    // Table: a fixed box whose top face is z = 0.
    const [tx, ty, tz] = TABLE.halfExtents;
    const table = world.createRigidBody(R.RigidBodyDesc.fixed().setTranslation(ox, oy, oz - tz));
    world.createCollider(
      R.ColliderDesc.cuboid(tx, ty, tz).setFriction(TABLE.friction).setCollisionGroups(groups(G_STATIC, G_OBJECT | G_HAND)),
      table,
    );
    this.addBody('table', 'static', table, [{ geometry: { shape: 'box', halfExtents: [tx, ty, tz] }, offset: [0, 0, 0], rotation: IDENTITY, color: '#8a7a66' }]);

    // Pedestal of the arm: up to the shoulder.
    const ped = world.createRigidBody(
      R.RigidBodyDesc.fixed().setTranslation(ox + ARM.base[0], oy + ARM.base[1], oz + ARM.shoulderHeight / 2),
    );
    world.createCollider(
      R.ColliderDesc.cylinder(ARM.shoulderHeight / 2, 0.07).setRotation(quat(Y_TO_Z)).setCollisionGroups(groups(G_ARM, G_OBJECT)),
      ped,
    );
    this.addBody('pedestal', 'static', ped, [
      { geometry: { shape: 'cylinder', radius: 0.07, halfHeight: ARM.shoulderHeight / 2 }, offset: [0, 0, 0], rotation: Y_TO_Z, color: '#3b4252' },
    ]);

    // Arm links: kinematic capsules between the IK key points (colliding with objects only).
    const linkSpec = [
      { name: 'upper-arm', from: 'shoulder', to: 'elbow', len: ARM.upperArm, r: ARM.linkRadius, color: '#d8dee9' },
      { name: 'forearm', from: 'elbow', to: 'wrist', len: ARM.forearm, r: ARM.linkRadius * 0.85, color: '#e5e9f0' },
      {
        name: 'wrist',
        from: 'wrist',
        to: 'palmTop',
        len: ARM.wristAbovePalm - HAND.palmHalf[2] - 0.025,
        r: 0.025,
        color: '#4c566a',
      },
    ] as const;
    for (const l of linkSpec) {
      const body = world.createRigidBody(R.RigidBodyDesc.kinematicPositionBased());
      world.createCollider(R.ColliderDesc.capsule(l.len / 2, l.r).setCollisionGroups(groups(G_ARM, G_OBJECT)), body);
      this.links.push({ body, from: l.from, to: l.to });
      this.addBody(l.name, 'kinematic', body, [
        { geometry: { shape: 'capsule', radius: l.r, halfHeight: l.len / 2 }, offset: [0, 0, 0], rotation: IDENTITY, color: l.color },
      ]);
    }

    // Palm: dynamic box, rotations locked, weight carried by the arm (gravity off).
    const [phx, phy, phz] = HAND.palmHalf;
    this.palm = world.createRigidBody(
      R.RigidBodyDesc.dynamic().setTranslation(ox, oy, oz + 0.3).lockRotations().setGravityScale(0).setCanSleep(false),
    );
    world.createCollider(
      R.ColliderDesc.cuboid(phx, phy, phz)
        .setMass(HAND.palmMass)
        .setFriction(HAND.fingerFriction)
        .setRestitution(0)
        .setCollisionGroups(groups(G_HAND, G_STATIC | G_OBJECT)),
      this.palm,
    );
    this.addBody('palm', 'dynamic', this.palm, [{ geometry: { shape: 'box', halfExtents: [phx, phy, phz] }, offset: [0, 0, 0], rotation: IDENTITY, color: '#5e81ac' }]);

    // Fingers: dynamic boxes with locked rotations on prismatic joints along +-y. The joint
    // coordinate is the distance of the finger's inner face from the palm's centre line.
    const [fhx, fhy, fhz] = HAND.fingerHalf;
    const makeFinger = (sign: 1 | -1, name: string): [RigidBody, ImpulseJoint] => {
      const body = world.createRigidBody(
        R.RigidBodyDesc.dynamic()
          .setTranslation(ox, oy + sign * (HAND.fingerTravel + fhy), oz + 0.3 - HAND.tcpBelowPalm)
          .lockRotations()
          .setGravityScale(0)
          .setCanSleep(false),
      );
      world.createCollider(
        R.ColliderDesc.cuboid(fhx, fhy, fhz)
          .setMass(HAND.fingerMass)
          .setFriction(HAND.fingerFriction)
          .setRestitution(0)
          .setCollisionGroups(groups(G_HAND, G_STATIC | G_OBJECT)),
        body,
      );
      const data = R.JointData.prismatic(
        { x: 0, y: 0, z: -HAND.tcpBelowPalm },
        { x: 0, y: -sign * fhy, z: 0 },
        { x: 0, y: sign, z: 0 },
      );
      data.limitsEnabled = true;
      data.limits = [0, HAND.fingerTravel];
      const joint = world.createImpulseJoint(data, this.palm, body, true);
      joint.setContactsEnabled(false);
      const unit = joint as unknown as { configureMotorModel(m: number): void; configureMotorVelocity(v: number, f: number): void };
      unit.configureMotorModel(R.MotorModel.ForceBased);
      unit.configureMotorVelocity(HAND.fingerSpeed, HAND.gripForce / HAND.fingerSpeed);
      this.addBody(name, 'dynamic', body, [{ geometry: { shape: 'box', halfExtents: [fhx, fhy, fhz] }, offset: [0, 0, 0], rotation: IDENTITY, color: '#88c0d0' }]);
      return [body, joint];
    };
    [this.fingerA, this.jointA] = makeFinger(1, 'finger-a');
    [this.fingerB, this.jointB] = makeFinger(-1, 'finger-b');

    // The task's movable object.
    const spec = task.object;
    if (spec) {
      const body = world.createRigidBody(R.RigidBodyDesc.dynamic().setTranslation(ox, oy, oz + 0.1).setCanSleep(false));
      let desc;
      let geometry: VisualShape;
      let rotation = IDENTITY;
      if (spec.shape === 'box') {
        desc = R.ColliderDesc.cuboid(...spec.halfExtents);
        geometry = { shape: 'box', halfExtents: spec.halfExtents };
      } else if (spec.shape === 'cylinder') {
        desc = R.ColliderDesc.cylinder(spec.halfHeight, spec.radius).setRotation(quat(Y_TO_Z));
        geometry = { shape: 'cylinder', radius: spec.radius, halfHeight: spec.halfHeight };
        rotation = Y_TO_Z;
      } else {
        desc = R.ColliderDesc.ball(spec.radius);
        geometry = { shape: 'sphere', radius: spec.radius };
      }
      world.createCollider(
        desc
          .setMass(spec.mass)
          .setFriction(spec.friction ?? 1.0)
          .setRestitution(0)
          .setCollisionGroups(groups(G_OBJECT, G_STATIC | G_OBJECT | G_HAND | G_ARM)),
        body,
      );
      this.object = body;
      this.addBody('object', 'dynamic', body, [{ geometry, offset: [0, 0, 0], rotation, color: spec.color }]);
    } else {
      this.object = null;
    }

    // The task's fixture: fixed, moved at each reset.
    const fx = task.fixture;
    if (fx) {
      const body = world.createRigidBody(R.RigidBodyDesc.fixed().setTranslation(ox, oy, oz));
      for (const p of fx.parts) {
        world.createCollider(
          R.ColliderDesc.cuboid(...p.halfExtents)
            .setTranslation(...p.offset)
            .setFriction(fx.friction ?? 1.0)
            .setCollisionGroups(groups(G_STATIC, G_OBJECT | G_HAND)),
          body,
        );
      }
      this.fixture = body;
      this.addBody(
        'fixture',
        'static',
        body,
        fx.parts.map((p) => ({ geometry: { shape: 'box', halfExtents: p.halfExtents }, offset: p.offset, rotation: IDENTITY, color: fx.color })),
      );
    } else {
      this.fixture = null;
    }

    // Goal marker: drawn by the viewer only, no collider.
    this.bodies.push({
      name: 'goal',
      body: null,
      description: {
        name: 'goal',
        kind: 'marker',
        parts: [{ geometry: { shape: 'sphere', radius: 0.015 }, offset: [0, 0, 0], rotation: IDENTITY, color: task.goalColor ?? '#bf616a' }],
      },
    });
  }

  private addBody(name: string, kind: BodyDescription['kind'], body: RigidBody, parts: VisualPart[]): void {
    this.bodies.push({ name, body, description: { name, kind, parts } });
  }

  /** Teleports the hand (TCP position, env frame) with the fingers open. */
  placeHand(tcp: ArrayLike<number>): void {
    const px = clamp(tcp[0], PALM_BOUNDS.min[0], PALM_BOUNDS.max[0]);
    const py = clamp(tcp[1], PALM_BOUNDS.min[1], PALM_BOUNDS.max[1]);
    const pz = clamp(tcp[2] + HAND.tcpBelowPalm, PALM_BOUNDS.min[2], PALM_BOUNDS.max[2]);
    this.palmPos[0] = this.palmTarget[0] = px;
    this.palmPos[1] = this.palmTarget[1] = py;
    this.palmPos[2] = this.palmTarget[2] = pz;
    this.palmVel.fill(0);
    const [ox, oy, oz] = this.origin;
    this.palm.setTranslation(this.vec(ox + px, oy + py, oz + pz), true);
    this.palm.setLinvel(this.vec(0, 0, 0), true);
    const fy = HAND.fingerTravel + HAND.fingerHalf[1];
    const fz = oz + pz - HAND.tcpBelowPalm;
    for (const [f, s] of [
      [this.fingerA, 1],
      [this.fingerB, -1],
    ] as const) {
      f.setTranslation(this.vec(ox + px, oy + py + s * fy, fz), true);
      f.setLinvel(this.vec(0, 0, 0), true);
      f.setAngvel(this.vec(0, 0, 0), true);
    }
    this.gapPrev = 2 * HAND.fingerTravel;
    this.setGrip(-1);
    this.poseArm(true);
  }

  placeObject(pos: ArrayLike<number>, yaw: number): void {
    if (!this.object) return;
    const [ox, oy, oz] = this.origin;
    const q = quatYaw(yaw);
    this.object.setTranslation(this.vec(ox + pos[0], oy + pos[1], oz + pos[2]), true);
    this.object.setRotation(this.quatScratch(q), true);
    this.object.setLinvel(this.vec(0, 0, 0), true);
    this.object.setAngvel(this.vec(0, 0, 0), true);
  }

  placeFixture(pos: ArrayLike<number>): void {
    if (!this.fixture) return;
    const [ox, oy, oz] = this.origin;
    this.fixture.setTranslation(this.vec(ox + pos[0], oy + pos[1], oz + pos[2]), true);
  }

  /** Sets the palm target and finger motors from one action (already validated and clipped). */
  applyAction(a: ArrayLike<number>, o: number): void {
    // Mocap-style: the target moves by the action; if the palm is held back (pressing on
    // something), the target stays within HAND_MAX_LEAD of it, so nothing winds up.
    for (let k = 0; k < 3; k++) {
      const t = clamp(this.palmTarget[k] + ACTION_SCALE * a[o + k], PALM_BOUNDS.min[k], PALM_BOUNDS.max[k]);
      this.palmTarget[k] = clamp(t, this.palmPos[k] - HAND_MAX_LEAD, this.palmPos[k] + HAND_MAX_LEAD);
    }
    this.setGrip(a[o + 3]);
  }

  /** g in [-1, 1]: > 0 closes, < 0 opens; |g| scales finger speed and squeeze force. */
  private setGrip(g: number): void {
    const v = -g * HAND.fingerSpeed;
    const damping = HAND.gripForce / HAND.fingerSpeed;
    (this.jointA as unknown as { configureMotorVelocity(v: number, f: number): void }).configureMotorVelocity(v, damping);
    (this.jointB as unknown as { configureMotorVelocity(v: number, f: number): void }).configureMotorVelocity(v, damping);
  }

  /**
   * Before each physics substep: an impulse that brings the palm's velocity toward the desired one
   * (toward the target, at most HAND_MAX_SPEED, slowing within HAND_TRACKING_TAU of it), capped at
   * HAND_MAX_FORCE, so the hand pushes objects but never crushes them.
   */
  substep(): void {
    let vx = (this.palmTarget[0] - this.palmPos[0]) / HAND_TRACKING_TAU;
    let vy = (this.palmTarget[1] - this.palmPos[1]) / HAND_TRACKING_TAU;
    let vz = (this.palmTarget[2] - this.palmPos[2]) / HAND_TRACKING_TAU;
    const speed = Math.sqrt(vx * vx + vy * vy + vz * vz);
    if (speed > HAND_MAX_SPEED) {
      const s = HAND_MAX_SPEED / speed;
      vx *= s;
      vy *= s;
      vz *= s;
    }
    // Mass moved by the palm's controller: palm and fingers.
    const m = HAND.palmMass + 2 * HAND.fingerMass;
    let jx = m * (vx - this.palmVel[0]);
    let jy = m * (vy - this.palmVel[1]);
    let jz = m * (vz - this.palmVel[2]);
    const jm = Math.sqrt(jx * jx + jy * jy + jz * jz);
    const jMax = HAND_MAX_FORCE * PHYSICS_DT;
    if (jm > jMax) {
      const s = jMax / jm;
      jx *= s;
      jy *= s;
      jz *= s;
    }
    this.palm.applyImpulse(this.vec(jx, jy, jz), true);
  }

  /** After each physics substep: read the palm's state and pose the arm from it. */
  postSubstep(): void {
    const t = this.palm.translation();
    const v = this.palm.linvel();
    const [ox, oy, oz] = this.origin;
    this.palmPos[0] = t.x - ox;
    this.palmPos[1] = t.y - oy;
    this.palmPos[2] = t.z - oz;
    this.palmVel[0] = v.x;
    this.palmVel[1] = v.y;
    this.palmVel[2] = v.z;
    this.poseArm(false);
  }

  /** Poses the arm links from IK of the current palm position. */
  private poseArm(teleport: boolean): void {
    solveIk(this.palmPos[0], this.palmPos[1], this.palmPos[2], this.joints);
    const p = forwardKinematics(this.joints);
    const palmTop: [number, number, number] = [p.palm[0], p.palm[1], p.palm[2] + HAND.palmHalf[2] + 0.025];
    const pts = { shoulder: p.shoulder, elbow: p.elbow, wrist: p.wrist, palmTop };
    const [ox, oy, oz] = this.origin;
    for (const l of this.links) {
      const a = pts[l.from];
      const b = pts[l.to];
      const dx = b[0] - a[0];
      const dy = b[1] - a[1];
      const dz = b[2] - a[2];
      const n = Math.sqrt(dx * dx + dy * dy + dz * dz) || 1;
      const t = this.vec(ox + (a[0] + b[0]) / 2, oy + (a[1] + b[1]) / 2, oz + (a[2] + b[2]) / 2);
      const r = this.quatScratch(quatFromYTo(dx / n, dy / n, dz / n));
      if (teleport) {
        l.body.setTranslation(t, true);
        l.body.setRotation(r, true);
      }
      l.body.setNextKinematicTranslation(t);
      l.body.setNextKinematicRotation(r);
    }
  }

  /**
   * After a control step: writes this slot's observation row (see layout.ts) and returns false if
   * the state is invalid (non-finite, or the object left the workspace).
   */
  readObservation(obs: Float32Array, row: number, timeFraction: number): boolean {
    const o = row * OBS_DIM;
    const [ox, oy, oz] = this.origin;
    const p = this.palmPos;
    const tz = p[2] - HAND.tcpBelowPalm;
    obs[o + OBS.tcp] = p[0];
    obs[o + OBS.tcp + 1] = p[1];
    obs[o + OBS.tcp + 2] = tz;
    obs[o + OBS.tcpVel] = this.palmVel[0];
    obs[o + OBS.tcpVel + 1] = this.palmVel[1];
    obs[o + OBS.tcpVel + 2] = this.palmVel[2];
    const fa = this.fingerA.translation();
    const fb = this.fingerB.translation();
    const gap = fa.y - fb.y - 2 * HAND.fingerHalf[1];
    obs[o + OBS.gripperGap] = gap;
    obs[o + OBS.gripperGapVel] = (gap - this.gapPrev) / CONTROL_DT;
    this.gapPrev = gap;
    let ok = Number.isFinite(gap) && Number.isFinite(fa.z) && Number.isFinite(fb.z) && Number.isFinite(fa.x) && Number.isFinite(fb.x);
    // A finger torn far from the palm means the joint solver blew up.
    if (Math.abs(fa.z - oz - tz) > 0.05 || Math.abs(fb.z - oz - tz) > 0.05) ok = false;
    if (this.object) {
      const t = this.object.translation();
      const r = this.object.rotation();
      const lv = this.object.linvel();
      const av = this.object.angvel();
      const x = t.x - ox;
      const y = t.y - oy;
      const z = t.z - oz;
      obs[o + OBS.objectPos] = x;
      obs[o + OBS.objectPos + 1] = y;
      obs[o + OBS.objectPos + 2] = z;
      obs[o + OBS.objectQuat] = r.x;
      obs[o + OBS.objectQuat + 1] = r.y;
      obs[o + OBS.objectQuat + 2] = r.z;
      obs[o + OBS.objectQuat + 3] = r.w;
      obs[o + OBS.objectLinvel] = lv.x;
      obs[o + OBS.objectLinvel + 1] = lv.y;
      obs[o + OBS.objectLinvel + 2] = lv.z;
      obs[o + OBS.objectAngvel] = av.x;
      obs[o + OBS.objectAngvel + 1] = av.y;
      obs[o + OBS.objectAngvel + 2] = av.z;
      obs[o + OBS.objectRelTcp] = x - p[0];
      obs[o + OBS.objectRelTcp + 1] = y - p[1];
      obs[o + OBS.objectRelTcp + 2] = z - tz;
      const speed = Math.abs(lv.x) + Math.abs(lv.y) + Math.abs(lv.z);
      if (
        !(x >= OBJECT_BOUNDS.min[0] && x <= OBJECT_BOUNDS.max[0]) ||
        !(y >= OBJECT_BOUNDS.min[1] && y <= OBJECT_BOUNDS.max[1]) ||
        !(z >= OBJECT_BOUNDS.min[2] && z <= OBJECT_BOUNDS.max[2]) ||
        !Number.isFinite(r.w + av.x + av.y + av.z) ||
        !(speed < 20)
      ) {
        ok = false;
      }
    }
    if (this.fixture) {
      const t = this.fixture.translation();
      obs[o + OBS.fixturePos] = t.x - ox;
      obs[o + OBS.fixturePos + 1] = t.y - oy;
      obs[o + OBS.fixturePos + 2] = t.z - oz;
    }
    obs[o + OBS.timeFraction] = timeFraction;
    return ok;
  }

  /** Writes position (3) and quaternion (4) of every described body, in world frame. */
  writeTransforms(out: Float32Array, offset: number): number {
    let k = offset;
    for (const b of this.bodies) {
      if (b.body) {
        const t = b.body.translation();
        const r = b.body.rotation();
        out[k] = t.x;
        out[k + 1] = t.y;
        out[k + 2] = t.z;
        out[k + 3] = r.x;
        out[k + 4] = r.y;
        out[k + 5] = r.z;
        out[k + 6] = r.w;
      } else {
        out[k] = this.origin[0] + this.goal[0];
        out[k + 1] = this.origin[1] + this.goal[1];
        out[k + 2] = this.origin[2] + this.goal[2];
        out[k + 3] = 0;
        out[k + 4] = 0;
        out[k + 5] = 0;
        out[k + 6] = 1;
      }
      k += 7;
    }
    return k;
  }

  private vec(x: number, y: number, z: number): Scratch {
    const v = this.v;
    v.x = x;
    v.y = y;
    v.z = z;
    return v;
  }

  private quatScratch(q: Quat): ScratchQ {
    const s = this.q;
    s.x = q[0];
    s.y = q[1];
    s.z = q[2];
    s.w = q[3];
    return s;
  }
}

function quat(q: Quat): { x: number; y: number; z: number; w: number } {
  return { x: q[0], y: q[1], z: q[2], w: q[3] };
}

