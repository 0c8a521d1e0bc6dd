// The robot of one env slot: a pedestal, three kinematic arm links posed by inverse kinematics, a
// dynamic palm driven by a speed- and force-limited controller, and two dynamic fingers on
// motorised prismatic joints.
//
// Why the palm is dynamic, not kinematic: a kinematic body pushes with unbounded force, and when we
// tried a kinematic palm it crushed blocks millimetres into the table and bounced them out, even
// with a rule that yielded on contact force. So the palm is a dynamic body (rotations locked,
// gravity off: the arm carries its weight) that `substep` drives toward its target with bounded
// speed and bounded force, like a MuJoCo mocap weld: it cannot pass through the table or crush an
// object, and it presses no harder than HAND_MAX_FORCE. The fingers are dynamic bodies with locked
// rotations on prismatic joints with limits, each driven by a force-based velocity motor, so a
// stalled finger squeezes with a bounded force (HAND.gripForce). The arm links are kinematic
// capsules that follow the palm (they collide with objects only).
import type { ImpulseJoint, RigidBody, World } from '@dimforge/rapier3d-simd-compat';
import { G_ARM, G_HAND, G_OBJECT, G_PART, G_STATIC, IDENTITY, ScratchVectors, Y_TO_Z, groups, toRapierQuat, type SlotBody, type VisualPart } from './bodies.ts';
import { ACTION_SCALE, ARM, HAND, HAND_MAX_FORCE, HAND_MAX_LEAD, HAND_MAX_SPEED, HAND_TRACKING_TAU, PHYSICS_DT } from './config.ts';
import { PALM_BOUNDS, armPointsInto, solveIk } from './ik.ts';
import { clamp, quatFromYTo, type Vec3 } from './math.ts';
import type { Rapier } from './rapier.ts';

type VelocityMotor = { configureMotorModel(m: number): void; configureMotorVelocity(v: number, f: number): void };

export class Robot {
  readonly palm: RigidBody;
  readonly fingerA: RigidBody; // +y side
  readonly fingerB: RigidBody; // -y side
  private readonly jointA: ImpulseJoint;
  private readonly jointB: ImpulseJoint;
  /** Arm links in chain order: link i spans key points i and i + 1 of `armPoints`. */
  private readonly links: RigidBody[] = [];
  /** Shoulder, elbow, wrist and the wrist link's lower end (x, y, z each, env frame), from IK. */
  private readonly armPoints = new Float64Array(12);

  /** Palm centre, env frame, read after each substep. */
  readonly palmPos = new Float64Array(3);
  readonly palmVel = new Float64Array(3);
  readonly palmTarget = new Float64Array(3);
  /** Finger gap at the previous observation (for its rate of change). */
  gapPrev = 0;
  readonly joints = new Array<number>(6).fill(0);
  private readonly s = new ScratchVectors();

  /** Builds the robot's bodies into `world` and appends their descriptions to `bodies`. */
  constructor(
    R: Rapier,
    world: World,
    readonly origin: Vec3,
    bodies: SlotBody[],
    /** Whether the arm links get colliders: they collide with objects only, so not without any. */
    armCollides = true,
  ) {
    const [ox, oy, oz] = origin;
    const add = (name: string, kind: 'static' | 'kinematic' | 'dynamic', body: RigidBody, parts: VisualPart[]) =>
      bodies.push({ name, body, description: { name, kind, parts } });

    // Pedestal of the arm: up to the shoulder.
    const ped = world.createRigidBody(R.RigidBodyDesc.fixed().setTranslation(ox + ARM.base[0], oy + ARM.base[1], oz + ARM.shoulderHeight / 2));
    world.createCollider(
      R.ColliderDesc.cylinder(ARM.shoulderHeight / 2, 0.07).setRotation(toRapierQuat(Y_TO_Z)).setCollisionGroups(groups(G_ARM, G_OBJECT)),
      ped,
    );
    add('pedestal', 'static', ped, [{ geometry: { shape: 'cylinder', radius: 0.07, halfHeight: ARM.shoulderHeight / 2 }, offset: [0, 0, 0], rotation: Y_TO_Z, color: '#3b4252' }]);

    // Arm links: kinematic capsules between consecutive IK key points, shoulder to the wrist link's
    // lower end (colliding with objects only).
    const linkSpec = [
      { name: 'upper-arm', len: ARM.upperArm, r: ARM.linkRadius, color: '#d8dee9' },
      { name: 'forearm', len: ARM.forearm, r: ARM.linkRadius * 0.85, color: '#e5e9f0' },
      { name: 'wrist', len: ARM.wristAbovePalm - HAND.palmHalf[2] - 0.025, r: 0.025, color: '#4c566a' },
    ] as const;
    for (const l of linkSpec) {
      const body = world.createRigidBody(R.RigidBodyDesc.kinematicPositionBased());
      // A task without objects leaves the links without colliders: they could touch nothing, and
      // long capsules moved every substep cost the broad and narrow phases 5-15% of a step.
      if (armCollides) world.createCollider(R.ColliderDesc.capsule(l.len / 2, l.r).setCollisionGroups(groups(G_ARM, G_OBJECT)), body);
      this.links.push(body);
      add(l.name, 'kinematic', body, [{ geometry: { shape: 'capsule', radius: l.r, halfHeight: l.len / 2 }, offset: [0, 0, 0], rotation: IDENTITY, color: l.color }]);
    }

    // Palm: dynamic box, rotations locked, weight carried by the arm (gravity off).
    const handFilter = G_STATIC | G_OBJECT | G_PART;
    const [phx, phy, phz] = HAND.palmHalf;
    this.palm = world.createRigidBody(R.RigidBodyDesc.dynamic().setTranslation(ox, oy, oz + 0.3).lockRotations().setGravityScale(0).setCanSleep(false));
    world.createCollider(
      R.ColliderDesc.cuboid(phx, phy, phz).setMass(HAND.palmMass).setFriction(HAND.fingerFriction).setRestitution(0).setCollisionGroups(groups(G_HAND, handFilter)),
      this.palm,
    );
    add('palm', 'dynamic', this.palm, [{ geometry: { shape: 'box', halfExtents: [phx, phy, phz] }, offset: [0, 0, 0], rotation: IDENTITY, color: '#5e81ac' }]);

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
        R.ColliderDesc.cuboid(fhx, fhy, fhz).setMass(HAND.fingerMass).setFriction(HAND.fingerFriction).setRestitution(0).setCollisionGroups(groups(G_HAND, handFilter)),
        body,
      );
      const data = R.JointData.prismatic({ x: 0, y: 0, z: -HAND.tcpBelowPalm }, { x: 0, y: -sign * fhy, z: 0 }, { x: 0, y: sign, z: 0 });
      data.limitsEnabled = true;
      data.limits = [0, HAND.fingerTravel];
      const joint = world.createImpulseJoint(data, this.palm, body, true);
      joint.setContactsEnabled(false);
      const unit = joint as unknown as VelocityMotor;
      unit.configureMotorModel(R.MotorModel.ForceBased);
      unit.configureMotorVelocity(HAND.fingerSpeed, HAND.gripForce / HAND.fingerSpeed);
      add(name, 'dynamic', body, [{ geometry: { shape: 'box', halfExtents: [fhx, fhy, fhz] }, offset: [0, 0, 0], rotation: IDENTITY, color: '#88c0d0' }]);
      return [body, joint];
    };
    [this.fingerA, this.jointA] = makeFinger(1, 'finger-a');
    [this.fingerB, this.jointB] = makeFinger(-1, 'finger-b');
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
    const s = this.s;
    this.palm.setTranslation(s.vec(ox + px, oy + py, oz + pz), true);
    this.palm.setLinvel(s.vec(0, 0, 0), true);
    const fy = HAND.fingerTravel + HAND.fingerHalf[1];
    const fz = oz + pz - HAND.tcpBelowPalm;
    for (const [f, sign] of [
      [this.fingerA, 1],
      [this.fingerB, -1],
    ] as const) {
      f.setTranslation(s.vec(ox + px, oy + py + sign * fy, fz), true);
      f.setLinvel(s.vec(0, 0, 0), true);
      f.setAngvel(s.vec(0, 0, 0), true);
    }
    this.gapPrev = 2 * HAND.fingerTravel;
    this.setGrip(-1);
    this.poseArm(true);
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
    (this.jointA as unknown as VelocityMotor).configureMotorVelocity(v, damping);
    (this.jointB as unknown as VelocityMotor).configureMotorVelocity(v, damping);
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
      const k = HAND_MAX_SPEED / speed;
      vx *= k;
      vy *= k;
      vz *= k;
    }
    // Mass moved by the palm's controller: palm and fingers.
    const m = HAND.palmMass + 2 * HAND.fingerMass;
    let jx = m * (vx - this.palmVel[0]);
    let jy = m * (vy - this.palmVel[1]);
    let jz = m * (vz - this.palmVel[2]);
    const jm = Math.sqrt(jx * jx + jy * jy + jz * jz);
    const jMax = HAND_MAX_FORCE * PHYSICS_DT;
    if (jm > jMax) {
      const k = jMax / jm;
      jx *= k;
      jy *= k;
      jz *= k;
    }
    this.palm.applyImpulse(this.s.vec(jx, jy, jz), true);
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
    const p = armPointsInto(this.joints, this.armPoints);
    // The last point: from the palm's centre up to the wrist link's lower end.
    p[11] = p[11] + HAND.palmHalf[2] + 0.025;
    const [ox, oy, oz] = this.origin;
    for (let i = 0; i < this.links.length; i++) {
      const body = this.links[i];
      const a = 3 * i;
      const b = a + 3;
      const dx = p[b] - p[a];
      const dy = p[b + 1] - p[a + 1];
      const dz = p[b + 2] - p[a + 2];
      const n = Math.sqrt(dx * dx + dy * dy + dz * dz) || 1;
      const t = this.s.vec(ox + (p[a] + p[b]) / 2, oy + (p[a + 1] + p[b + 1]) / 2, oz + (p[a + 2] + p[b + 2]) / 2);
      const r = this.s.quat(quatFromYTo(dx / n, dy / n, dz / n));
      if (teleport) {
        body.setTranslation(t, true);
        body.setRotation(r, true);
      }
      body.setNextKinematicTranslation(t);
      body.setNextKinematicRotation(r);
    }
  }
}
