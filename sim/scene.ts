// The scene of one env slot: the table, the task's movable objects, and its fixture (a static base,
// moved as a whole at each reset, with moving parts on joints). Placement at reset, joint reads for
// the observation, joint friction after each physics substep (a part it holds sleeps), and the
// overlap check of a reset's placements. Joint kinds themselves live in joints.ts.
import type { ImpulseJoint, RigidBody, Shape, World } from '@dimforge/rapier3d-simd-compat';
import {
  G_ARM,
  G_HAND,
  G_OBJECT,
  G_PART,
  G_STATIC,
  IDENTITY,
  ScratchVectors,
  boundingRadius,
  groups,
  halfHeightOf,
  primitiveCollider,
  primitiveShape,
  type PlacedPrimitive,
  type Primitive,
  type SlotBody,
} from './bodies.ts';
import { CONTROL_DT, PHYSICS_DT, TABLE } from './config.ts';
import { MAX_JOINTS } from './layout.ts';
import { applyFriction, createJoint, defaultJointPosition, jointInertia, jointPosition, jointVelocity, partTransform, unitAxis } from './joints.ts';
import { quatMul, quatYaw, rotate, rotateYaw, wrapAngle, type Quat, type Vec3 } from './math.ts';
import type { Rapier } from './rapier.ts';
import { movingPartsOf, objectsOf, partPrimitive, type MovingPartSpec, type TaskDefinition } from './task.ts';

/** One collider of the scene as a query shape, for the overlap check at reset. */
interface QueryShape {
  shape: Shape;
  body: RigidBody;
  offset: Vec3;
  rotation: Quat;
  radius: number;
  what: string;
}

export interface SceneObject {
  body: RigidBody;
  primitive: Primitive;
  query: QueryShape;
}

export class MovingPart {
  readonly axis: Vec3;
  readonly inertia: number;
  /** Centre of mass in the part's body frame. */
  readonly com: Vec3;
  readonly query: QueryShape[] = [];
  constructor(
    readonly index: number,
    readonly spec: MovingPartSpec,
    readonly body: RigidBody,
    readonly joint: ImpulseJoint,
    axis: Vec3,
  ) {
    this.axis = axis;
    this.inertia = jointInertia(spec, axis, body);
    const c = body.localCom();
    this.com = [c.x, c.y, c.z];
  }
}

export class Scene {
  readonly objects: SceneObject[] = [];
  /** The fixture's static base (null without a fixture). */
  fixture: RigidBody | null = null;
  readonly parts: MovingPart[] = [];
  /** Fixture placement of the current episode, env frame. */
  readonly fixtureOrigin: Vec3 = [0, 0, 0];
  fixtureYaw = 0;
  private readonly baseQuery: QueryShape[] = [];
  private readonly frictionParts: MovingPart[] = [];
  private readonly s = new ScratchVectors();

  /** Builds the table into `world` (the task's bodies follow with addTaskBodies). */
  constructor(
    private readonly R: Rapier,
    private readonly world: World,
    readonly origin: Vec3,
    private readonly bodies: SlotBody[],
  ) {
    const [ox, oy, oz] = origin;
    const [tx, ty, tz] = TABLE.halfExtents;
    const table = world.createRigidBody(R.RigidBodyDesc.fixed().setTranslation(ox, oy, oz - tz));
    world.createCollider(R.ColliderDesc.cuboid(tx, ty, tz).setFriction(TABLE.friction).setCollisionGroups(groups(G_STATIC, G_OBJECT | G_HAND)), table);
    bodies.push({ name: 'table', body: table, description: { name: 'table', kind: 'static', parts: [{ geometry: { shape: 'box', halfExtents: [tx, ty, tz] }, offset: [0, 0, 0], rotation: IDENTITY, color: '#8a7a66' }] } });
  }

  /** The task's objects and fixture (built after the robot, so body order never changes). */
  addTaskBodies(task: TaskDefinition): void {
    const { R, world } = this;
    const [ox, oy, oz] = this.origin;
    objectsOf(task).forEach((spec, i) => {
      const body = world.createRigidBody(R.RigidBodyDesc.dynamic().setTranslation(ox, oy, oz + 0.1 + 0.2 * i).setCanSleep(false));
      const placed: PlacedPrimitive = { primitive: spec, offset: [0, 0, 0], rotation: IDENTITY };
      const { desc, visual } = primitiveCollider(R, placed, spec.color);
      world.createCollider(
        desc
          .setMass(spec.mass)
          .setFriction(spec.friction ?? 1.0)
          .setRestitution(0)
          .setCollisionGroups(groups(G_OBJECT, G_STATIC | G_OBJECT | G_HAND | G_ARM | G_PART)),
        body,
      );
      const name = i === 0 ? 'object' : `object${i + 1}`;
      this.bodies.push({ name, body, description: { name, kind: 'dynamic', parts: [visual] } });
      this.objects.push({ body, primitive: spec, query: this.query(placed, body, `object ${i}`) });
    });

    const fx = task.fixture;
    if (!fx) return;
    const base = world.createRigidBody(R.RigidBodyDesc.fixed().setTranslation(ox, oy, oz));
    const visuals = fx.parts.map((p, k) => {
      const placed = partPrimitive(p);
      const { desc, visual } = primitiveCollider(R, placed, p.color ?? fx.color);
      if (p.solid !== false) world.createCollider(desc.setFriction(fx.friction ?? 1.0).setCollisionGroups(groups(G_STATIC, G_OBJECT | G_HAND)), base);
      this.baseQuery.push(this.query(placed, base, `fixture part ${k}`));
      return visual;
    });
    this.fixture = base;
    this.bodies.push({ name: 'fixture', body: base, description: { name: 'fixture', kind: 'static', parts: visuals } });

    movingPartsOf(task).forEach((spec, j) => {
      // The part's body frame is the base frame at joint position 0 (see joints.ts).
      // Only a part with Coulomb friction may sleep: friction stops it within a few substeps, far
      // inside Rapier's 2 s below its sleep thresholds (0.4 m/s, 0.5 rad/s), so sleeping freezes
      // nothing that would have moved; a part with damping alone can still creep below them. The
      // hand or an object touching it wakes it. An idle drawer then costs the solver nothing.
      const desc = R.RigidBodyDesc.dynamic().setTranslation(ox, oy, oz).setCanSleep(!!spec.jointFriction);
      // A prismatic part on a fixed base never turns: locking its rotations is exact and spares the
      // solver three degrees of freedom.
      if (spec.joint === 'prismatic') desc.lockRotations();
      const body = world.createRigidBody(desc);
      const placed = spec.parts.map(partPrimitive);
      const volume = placed.reduce((v, p, k) => v + (spec.parts[k].solid === false ? 0 : volumeOf(p.primitive)), 0);
      const pv = placed.map((p, k) => {
        const { desc, visual } = primitiveCollider(R, p, spec.parts[k].color ?? spec.color ?? fx.color);
        if (spec.parts[k].solid === false) return visual;
        world.createCollider(
          desc
            .setDensity(spec.mass / volume)
            .setFriction(spec.friction ?? fx.friction ?? 1.0)
            .setRestitution(0)
            .setCollisionGroups(groups(G_PART, G_OBJECT | G_HAND)),
          body,
        );
        return visual;
      });
      const axis = unitAxis(spec);
      const joint = createJoint(R, world, base, body, spec, axis);
      const part = new MovingPart(j, spec, body, joint, axis);
      placed.forEach((p, k) => part.query.push(this.query(p, body, `moving part "${spec.name ?? j}" piece ${k}`)));
      this.parts.push(part);
      if (spec.jointFriction) this.frictionParts.push(part);
      const name = `fixture-${spec.name ?? `part${j}`}`;
      this.bodies.push({ name, body, description: { name, kind: 'dynamic', parts: pv } });
    });
  }

  private query(placed: PlacedPrimitive, body: RigidBody, what: string): QueryShape {
    const { shape, rotation } = primitiveShape(this.R, placed);
    return { shape, body, offset: placed.offset, rotation, radius: boundingRadius(placed.primitive), what };
  }

  /** Object i's centre (env frame) and yaw about z; its velocities are zeroed. */
  placeObject(i: number, pos: ArrayLike<number>, yaw: number): void {
    const body = this.objects[i].body;
    const [ox, oy, oz] = this.origin;
    const s = this.s;
    body.setTranslation(s.vec(ox + pos[0], oy + pos[1], oz + pos[2]), true);
    body.setRotation(s.quat(quatYaw(yaw)), true);
    body.setLinvel(s.vec(0, 0, 0), true);
    body.setAngvel(s.vec(0, 0, 0), true);
  }

  /** The fixture's origin (env frame) and yaw about z; moving parts follow via setJoint. */
  placeFixture(pos: ArrayLike<number>, yaw: number): void {
    if (!this.fixture) return;
    const [ox, oy, oz] = this.origin;
    for (let k = 0; k < 3; k++) this.fixtureOrigin[k] = pos[k];
    this.fixtureYaw = yaw;
    this.qMoved.fill(NaN);
    this.fixture.setTranslation(this.s.vec(ox + pos[0], oy + pos[1], oz + pos[2]), true);
    this.fixture.setRotation(this.s.quat(quatYaw(yaw)), true);
  }

  /** Joint positions at the previous observation (for their rate of change). */
  private readonly jointPrev = new Float64Array(MAX_JOINTS);

  /** Teleports moving part j to joint position q, moving at qdot, relative to the base as placed. */
  setJoint(j: number, q: number, qdot = 0): void {
    this.movePart(j, q, qdot, true);
    this.jointPrev[j] = q;
    // A part placed at rest that its friction holds would stay exactly put: postSubstep puts it to
    // sleep after the next substep if friction stopped it there (so its load, weight or spring, is
    // below its friction) instead of after Rapier's 2 s; the hand or an object touching it wakes
    // it. Not at once: a body put to sleep in the step it was moved in did not wake on contact later.
    this.sleepPending[j] = qdot === 0;
  }

  /**
   * Puts part j's body where joint position q puts it, with joint velocity qdot. `full` also resets
   * what the joint holds fixed (a prismatic part's rotation); without it a prismatic part is only
   * slid along its axis (cheaper: joint friction does this every substep).
   */
  private movePart(j: number, q: number, qdot: number, full: boolean): void {
    const part = this.parts[j];
    const { rot, trans } = partTransform(part.spec, part.axis, q);
    const t = rotateYaw(this.fixtureYaw, trans);
    const [ox, oy, oz] = this.origin;
    const f = this.fixtureOrigin;
    const s = this.s;
    const b = part.body;
    const x = ox + f[0] + t[0];
    const y = oy + f[1] + t[1];
    const z = oz + f[2] + t[2];
    b.setTranslation(s.vec(x, y, z), true);
    // Rapier keeps the translation in 32-bit floats: the joint position it will read back is the
    // one of the rounded point.
    this.qMoved[j] = part.spec.joint === 'prismatic' ? this.prismaticPosition(part, Math.fround(x), Math.fround(y), Math.fround(z)) : NaN;
    // Joint velocity qdot as body velocities (world frame).
    const a = rotateYaw(this.fixtureYaw, part.axis);
    if (part.spec.joint === 'prismatic') {
      b.setLinvel(s.vec(qdot * a[0], qdot * a[1], qdot * a[2]), true);
      if (full) {
        b.setRotation(s.quat(quatYaw(this.fixtureYaw)), true);
        b.setAngvel(s.vec(0, 0, 0), true);
      }
    } else {
      b.setRotation(s.quat(quatMul(quatYaw(this.fixtureYaw), rot)), true);
      // v = w x (com - anchor); com - anchor in the base frame is rot (com_local - anchor), as the
      // anchor does not move.
      const r = rotateYaw(this.fixtureYaw, rotate(rot, [part.com[0] - part.spec.anchor[0], part.com[1] - part.spec.anchor[1], part.com[2] - part.spec.anchor[2]]));
      const w: Vec3 = [qdot * a[0], qdot * a[1], qdot * a[2]];
      b.setLinvel(s.vec(w[1] * r[2] - w[2] * r[1], w[2] * r[0] - w[0] * r[2], w[0] * r[1] - w[1] * r[0]), true);
      b.setAngvel(s.vec(w[0], w[1], w[2]), true);
    }
  }

  /** Every moving part at its spec's starting joint position. */
  resetJoints(): void {
    for (const p of this.parts) this.setJoint(p.index, defaultJointPosition(p.spec));
  }

  /**
   * For the observation: moving part j's joint position, and its rate of change since the previous
   * observation (Rapier's body velocities after a step include its constraints' bias, e.g. a spring
   * at rest reads as moving; the change of position does not).
   */
  observeJoint(j: number, out: Float64Array | number[]): void {
    out[0] = this.jointPositionOf(j);
    const d = out[0] - this.jointPrev[j];
    out[1] = (this.parts[j].spec.joint === 'revolute' ? wrapAngle(d) : d) / CONTROL_DT;
    this.jointPrev[j] = out[0];
  }

  /** Moving part j's joint position, from its body's translation (prismatic) or rotation (revolute). */
  jointPositionOf(j: number): number {
    const part = this.parts[j];
    const inv = -this.fixtureYaw;
    if (part.spec.joint === 'prismatic') {
      const t = part.body.translation();
      return this.prismaticPosition(part, t.x, t.y, t.z);
    }
    const r = part.body.rotation();
    return jointPosition(part.spec, part.axis, ZERO, quatMul(quatYaw(inv), [r.x, r.y, r.z, r.w]));
  }

  /** A prismatic part's joint position with its body's origin at (x, y, z), world frame. */
  private prismaticPosition(part: MovingPart, x: number, y: number, z: number): number {
    const f = this.fixtureOrigin;
    const [ox, oy, oz] = this.origin;
    return jointPosition(part.spec, part.axis, rotateYaw(-this.fixtureYaw, [x - ox - f[0], y - oy - f[1], z - oz - f[2]]), IDENTITY);
  }

  /** Moving part j's joint velocity, from its body's linear (prismatic) or angular (revolute) velocity. */
  jointVelocityOf(j: number): number {
    const part = this.parts[j];
    const inv = -this.fixtureYaw;
    if (part.spec.joint === 'prismatic') {
      const v = part.body.linvel();
      return jointVelocity(part.spec, part.axis, rotateYaw(inv, [v.x, v.y, v.z]), ZERO);
    }
    const w = part.body.angvel();
    return jointVelocity(part.spec, part.axis, ZERO, rotateYaw(inv, [w.x, w.y, w.z]));
  }

  private readonly qBefore = new Float64Array(MAX_JOINTS);
  private readonly sleepPending: boolean[] = [];
  /**
   * Joint position each part was last moved to by movePart (prismatic parts), NaN once physics
   * may have moved it since: spares preSubstep reading back a body that friction just placed.
   */
  private readonly qMoved = new Float64Array(MAX_JOINTS).fill(NaN);

  /** Before each physics substep: where the joints with friction start it. */
  preSubstep(): void {
    for (const p of this.frictionParts) {
      const q = this.qMoved[p.index];
      this.qBefore[p.index] = Number.isNaN(q) ? this.jointPositionOf(p.index) : q;
    }
  }

  /** After each physics substep: Coulomb friction of the joints that have it (see joints.ts). */
  postSubstep(): void {
    for (const p of this.frictionParts) {
      this.qMoved[p.index] = NaN;
      const qdot = this.jointVelocityOf(p.index);
      const pending = this.sleepPending[p.index];
      this.sleepPending[p.index] = false;
      let stopped = qdot === 0;
      if (!stopped) {
        const q = this.jointPositionOf(p.index);
        const [q2, v2] = applyFriction(this.qBefore[p.index], q, qdot, p.spec.jointFriction!, p.inertia, PHYSICS_DT);
        const lo = p.spec.limits[0];
        const hi = p.spec.limits[1];
        this.movePart(p.index, q2 < lo ? lo : q2 > hi ? hi : q2, v2, false);
        stopped = v2 === 0;
      }
      // Placed at rest and still held after the first substep (nothing touched it): sleep.
      if (pending && stopped) p.body.sleep();
    }
  }

  /**
   * Problems with the placements of a reset: an object sunk into the table, or overlapping another
   * object or a fixture piece (base or moving part) by more than `tolerance` metres. Checked on the
   * shapes themselves at their poses, without stepping the world.
   */
  placementProblems(tolerance: number): string[] {
    const out: string[] = [];
    this.objects.forEach((o, i) => {
      const z = o.body.translation().z - this.origin[2];
      const sunk = halfHeightOf(o.primitive) - z;
      if (sunk > tolerance) out.push(`object ${i} reaches ${(sunk * 100).toFixed(1)} cm into the table (centre z = ${z.toFixed(3)} m, half height ${halfHeightOf(o.primitive)} m)`);
    });
    const fixtureShapes = [...this.baseQuery, ...this.parts.flatMap((p) => p.query)];
    for (let i = 0; i < this.objects.length; i++) {
      const a = this.objects[i].query;
      const others = [...this.objects.slice(i + 1).map((o) => o.query), ...fixtureShapes];
      for (const b of others) {
        const depth = this.penetration(a, b);
        if (depth > tolerance) out.push(`${a.what} overlaps ${b.what} by ${(depth * 1000).toFixed(1)} mm`);
      }
    }
    return out;
  }

  /** How deep two query shapes overlap at their bodies' current poses (0 if apart). */
  private penetration(a: QueryShape, b: QueryShape): number {
    const pa = this.worldPose(a);
    const pb = this.worldPose(b);
    const d = Math.hypot(pa.t[0] - pb.t[0], pa.t[1] - pb.t[1], pa.t[2] - pb.t[2]);
    if (d > a.radius + b.radius) return 0;
    const c = a.shape.contactShape(vec(pa.t), quat(pa.r), b.shape, vec(pb.t), quat(pb.r), 0);
    return c && c.distance < 0 ? -c.distance : 0;
  }

  private worldPose(q: QueryShape): { t: Vec3; r: Quat } {
    const bt = q.body.translation();
    const br = q.body.rotation();
    const r: Quat = [br.x, br.y, br.z, br.w];
    const o = rotate(r, q.offset);
    return { t: [bt.x + o[0], bt.y + o[1], bt.z + o[2]], r: quatMul(r, q.rotation) };
  }
}

const ZERO: Vec3 = [0, 0, 0];

function volumeOf(p: Primitive): number {
  if (p.shape === 'box') return 8 * p.halfExtents[0] * p.halfExtents[1] * p.halfExtents[2];
  if (p.shape === 'cylinder') return 2 * Math.PI * p.radius * p.radius * p.halfHeight;
  return (4 / 3) * Math.PI * p.radius ** 3;
}

const vec = (v: Vec3) => ({ x: v[0], y: v[1], z: v[2] });
const quat = (q: Quat) => ({ x: q[0], y: q[1], z: q[2], w: q[3] });
