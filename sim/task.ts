// What a task is: a plain object with a scene (up to MAX_OBJECTS movable objects and one fixture
// whose moving parts sit on joints), hooks in the spirit of ManiSkill3 (initialise an episode,
// evaluate, dense reward) and of the goal-env contract (achieved goal, success from achieved and
// desired goals, which goal relabeling needs), a descriptor, and an optional scripted expert.
//
// A task file needs no runtime import from this project: hooks get everything through their
// arguments, so a user's own .ts file anywhere on disk can `export default { ... }` (typed with an
// `import type`, which is erased) and be run by path with no build step.
//
// A definition is kept as its author wrote it (the old single `object` field stays as it is);
// objectsOf / fixtureOf / movingPartsOf give the normalised view the simulator builds from.
import { z } from 'zod';
import type { Primitive, PlacedPrimitive } from './bodies.ts';
import { jointSchema, partTransform, unitAxis, type JointSpec } from './joints.ts';
import { MAX_JOINTS, MAX_OBJECTS, METADATA_DIM, OBJECT_SLOTS, OBS } from './layout.ts';
import { quatFromEuler, rotate, rotateYaw, type Quat } from './math.ts';
import type { Rng } from './rng.ts';
import type { SampleOptions } from './sample.ts';

export type Vec3 = [number, number, number];
export type { JointKind, JointSpec, PrismaticJointSpec, RevoluteJointSpec } from './joints.ts';
export type { SampleOptions } from './sample.ts';

export const OBJECT_KINDS = ['none', 'puck', 'block', 'peg', 'other'] as const;
export type ObjectKind = (typeof OBJECT_KINDS)[number];

export type ShapeSpec =
  | { shape: 'box'; halfExtents: Vec3 }
  | { shape: 'cylinder'; radius: number; halfHeight: number }
  | { shape: 'sphere'; radius: number };

/** A movable object. Cylinders stand upright (axis along z) at identity rotation. */
export type ObjectSpec = ShapeSpec & { mass: number; friction?: number; color: string };

/**
 * One piece of a fixture: a box (the default) or a cylinder (axis along local z), centred at
 * `offset` and turned by `rotation` = [roll, pitch, yaw] radians (about x, then y, then z), both in
 * the fixture's base frame. `color` defaults to the fixture's (or its moving part's) colour.
 */
export type FixturePartSpec = ({ shape?: 'box'; halfExtents: Vec3 } | { shape: 'cylinder'; radius: number; halfHeight: number }) & {
  offset: Vec3;
  rotation?: Vec3;
  color?: string;
  /**
   * false: drawn but given no collider, so nothing touches it (default true). For pieces that
   * only show, such as the inside of a drawer nothing is ever put in: each collider near the hand
   * costs simulation time. A moving part's mass is spread over its solid pieces.
   */
  solid?: boolean;
};

/**
 * A moving part of a fixture: a dynamic body on one joint to the fixture's base. Its pieces are
 * given in the base frame as they stand at joint position 0; joint fields are in joints.ts.
 */
export type MovingPartSpec = JointSpec & {
  /** Lower-case name (the viewer's body is `fixture-<name>`); default `part<j>`. */
  name?: string;
  parts: FixturePartSpec[];
  /** Total mass (kg), spread over the pieces by volume. */
  mass: number;
  /** Surface friction of its pieces (default: the fixture's). */
  friction?: number;
  color?: string;
};

/** One fixture: a static base moved as a whole at each reset, with up to MAX_JOINTS moving parts. */
export interface FixtureSpec {
  parts: FixturePartSpec[];
  color: string;
  /** Surface friction of the base's pieces (default 1). */
  friction?: number;
  moving?: MovingPartSpec[];
}

export interface TaskMetadata {
  objectKind: ObjectKind;
  needsGrasp: boolean;
  usesFixture: boolean;
  goalInAir: boolean;
}

/** One object's slot of the observation. */
export interface ObjectState {
  readonly pos: Float32Array;
  readonly quat: Float32Array;
  readonly linvel: Float32Array;
  readonly angvel: Float32Array;
  readonly relTcp: Float32Array;
}

/** Read-only view of one env's observation and desired goal (see layout.ts for the fields). */
export interface TaskState {
  readonly tcp: Float32Array;
  readonly tcpVel: Float32Array;
  readonly gripperGap: number;
  readonly gripperGapVel: number;
  /** Object 0 (aliases of objects[0]). */
  readonly objectPos: Float32Array;
  readonly objectQuat: Float32Array;
  readonly objectLinvel: Float32Array;
  readonly objectAngvel: Float32Array;
  readonly objectRelTcp: Float32Array;
  /** Every object slot (MAX_OBJECTS of them; slots past the task's objects read zero). */
  readonly objects: readonly ObjectState[];
  /** The fixture's origin, orientation (a yaw about z) and yaw in radians. */
  readonly fixturePos: Float32Array;
  readonly fixtureQuat: Float32Array;
  readonly fixtureYaw: number;
  /** Joint position and velocity of each moving part (MAX_JOINTS slots). */
  readonly jointPos: Float32Array;
  readonly jointVel: Float32Array;
  /**
   * Env-frame position of `local`, a point in the fixture's base frame (no part) or in moving part
   * `part`'s frame (its base-frame description at joint position 0) at its current joint position.
   * Computed from the observation and the task's spec alone, so it works on stored observations.
   */
  fixturePoint(local: ArrayLike<number>, part?: number): Vec3;
  /** The desired goal. */
  readonly goal: Float32Array;
  /** Control steps taken in this episode so far. */
  readonly step: number;
  /** The whole observation vector. */
  readonly observation: Float32Array;
}

/** What `initializeEpisode` may do; the hand has already been placed at a random start. */
export interface EpisodeContext {
  /** This env's own seeded generator: the only source of randomness a task may use. */
  readonly rng: Rng;
  /** Initial tool-centre-point position chosen by the env (the task may move it). */
  readonly tcp: Readonly<Vec3>;
  placeHand(tcp: Vec3): void;
  /** Object `index`'s centre position; yaw about z in radians (default 0). */
  placeObject(position: Vec3, yaw?: number, index?: number): void;
  /** The fixture's origin and its yaw about z (default 0); moving parts go to their start positions. */
  placeFixture(origin: Vec3, yaw?: number): void;
  /** Moving part `part`'s joint position for this episode (within its limits). */
  setJoint(part: number, position: number): void;
  setGoal(goal: Vec3): void;
  /** A random point (from `rng`) satisfying `opts`; throws, naming the constraint, if none is found. */
  samplePosition(opts: SampleOptions): Vec3;
  /**
   * Env-frame position of a fixture point, as TaskState.fixturePoint, for the fixture as placed:
   * `jointPosition` (default: the part's current one) lets a task compute e.g. a goal where the
   * drawer is open. Call placeFixture first.
   */
  fixturePoint(local: Vec3, part?: number, jointPosition?: number): Vec3;
}

export type Action = [number, number, number, number];

export interface TaskDefinition {
  /** Registry name: lower-case letters, digits and dashes. */
  name: string;
  /** What the task is, what is randomised (with ranges), what counts as success. */
  description: string;
  /** Time limit in control steps (25 per simulated second). */
  maxSteps: number;
  metadata: TaskMetadata;
  /** The task's one movable object (same as `objects: [object]`). */
  object?: ObjectSpec;
  /** Up to MAX_OBJECTS movable objects; give this or `object`, not both. */
  objects?: ObjectSpec[];
  fixture?: FixtureSpec;
  /** Colour of the goal marker in the viewer. */
  goalColor?: string;
  initializeEpisode(ctx: EpisodeContext): void;
  /** The achieved goal, comparable with the desired goal (3 finite numbers). */
  achievedGoal(s: TaskState): ArrayLike<number>;
  /** Success from achieved and desired goals alone, so relabeled goals can be scored (HER). */
  isSuccess(achieved: ArrayLike<number>, desired: ArrayLike<number>): boolean;
  /** Shaped reward ("dense-v1") in [0, 1]; staged, and 1 on success. */
  denseReward(s: TaskState, achieved: ArrayLike<number>, success: boolean): number;
  /** Optional scripted expert: an action (4 finite numbers, clipped to [-1, 1]). `memory` is cleared at each reset. */
  expert?(s: TaskState, memory: Record<string, number>): ArrayLike<number>;
}

const finite = z.number().finite();
const vec3 = z.tuple([finite, finite, finite]);
const positive = finite.positive();
const color = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'expected a colour like "#ff8800"');
const partName = z.string().regex(/^[a-z][a-z0-9-]*$/, 'expected lower-case letters, digits and dashes, starting with a letter');

const objectSchema = z.discriminatedUnion('shape', [
  z.object({ shape: z.literal('box'), halfExtents: z.tuple([positive, positive, positive]), mass: positive, friction: positive.optional(), color }).strict(),
  z.object({ shape: z.literal('cylinder'), radius: positive, halfHeight: positive, mass: positive, friction: positive.optional(), color }).strict(),
  z.object({ shape: z.literal('sphere'), radius: positive, mass: positive, friction: positive.optional(), color }).strict(),
]);

const pieceCommon = { offset: vec3, rotation: vec3.optional(), color: color.optional(), solid: z.boolean().optional() };
// A piece without `shape` is a box (the original fixture format).
const partSchema = z.preprocess(
  (p) => (p && typeof p === 'object' && !Array.isArray(p) && !('shape' in p) ? { ...p, shape: 'box' } : p),
  z.discriminatedUnion('shape', [
    z.object({ shape: z.literal('box'), halfExtents: z.tuple([positive, positive, positive]), ...pieceCommon }).strict(),
    z.object({ shape: z.literal('cylinder'), radius: positive, halfHeight: positive, ...pieceCommon }).strict(),
  ]),
);

const movingSchema = jointSchema({
  name: partName.optional(),
  // At least one solid piece: the part's mass is spread over those.
  parts: z.array(partSchema).min(1).refine((ps) => ps.some((p) => (p as { solid?: boolean }).solid !== false), { message: 'needs at least one solid piece (its mass is spread over them)' }),
  mass: positive,
  friction: positive.optional(),
  color: color.optional(),
});

const taskSchema = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9-]*$/, 'expected lower-case letters, digits and dashes, starting with a letter'),
    description: z.string().min(1),
    maxSteps: z.number().int().positive().max(100_000),
    metadata: z
      .object({
        objectKind: z.enum(OBJECT_KINDS),
        needsGrasp: z.boolean(),
        usesFixture: z.boolean(),
        goalInAir: z.boolean(),
      })
      .strict(),
    object: objectSchema.optional(),
    objects: z.array(objectSchema).min(1).max(MAX_OBJECTS).optional(),
    fixture: z
      .object({
        parts: z.array(partSchema).min(1),
        color,
        friction: positive.optional(),
        moving: z.array(movingSchema).min(1).max(MAX_JOINTS).optional(),
      })
      .strict()
      .optional(),
    goalColor: color.optional(),
    initializeEpisode: z.function(),
    achievedGoal: z.function(),
    isSuccess: z.function(),
    denseReward: z.function(),
    expert: z.function().optional(),
  })
  .strict();

export class TaskDefinitionError extends Error {
  override name = 'TaskDefinitionError';
}

/** Where each validated definition came from (a file path), for error messages. */
const sources = new WeakMap<object, string>();

/** The file a task was loaded from, if known. */
export function taskSource(task: TaskDefinition): string | undefined {
  return sources.get(task);
}

/** `task "name"` or `task "name" (from file)`: how messages name a task. */
export function describeTask(task: TaskDefinition): string {
  const src = sources.get(task);
  return `task "${task.name}"${src ? ` (from ${src})` : ''}`;
}

/**
 * Checks a task definition and returns it. A missing or ill-typed field is refused with a message
 * naming the field, e.g. `task "lift": field "maxSteps": expected int, received number`. `source`
 * (the file it came from) is remembered for later error messages.
 */
export function defineTask(def: TaskDefinition, source?: string): TaskDefinition;
export function defineTask(def: unknown, source?: string): TaskDefinition;
export function defineTask(def: unknown, source?: string): TaskDefinition {
  const src = source ?? (typeof def === 'object' && def !== null ? sources.get(def) : undefined);
  const where = src ? ` (from ${src})` : '';
  if (typeof def !== 'object' || def === null) {
    throw new TaskDefinitionError(`task definition${where} must be an object, got ${def === null ? 'null' : typeof def}`);
  }
  const name = typeof (def as { name?: unknown }).name === 'string' ? (def as { name: string }).name : '?';
  const invalid = (msg: string) => new TaskDefinitionError(`task "${name}"${where} is invalid: ${msg}`);
  const parsed = taskSchema.safeParse(def);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const field = i.path.length ? i.path.join('.') : ((i as { keys?: string[] }).keys?.join(', ') ?? '(root)');
      return `field "${field}": ${i.message}`;
    });
    throw invalid(lines.join('; '));
  }
  const d = def as TaskDefinition;
  if (d.object && d.objects) {
    throw invalid('fields "object" and "objects" are both given: keep "objects" (put the single object in it as its first entry) and remove "object"');
  }
  if (d.metadata.objectKind !== 'none' && !d.object && !d.objects) {
    throw invalid(`field "objects" (or "object") is required when metadata.objectKind is "${d.metadata.objectKind}"`);
  }
  if (d.metadata.usesFixture !== Boolean(d.fixture)) {
    throw invalid('field "fixture" must be given exactly when metadata.usesFixture is true');
  }
  const names = new Set<string>();
  (d.fixture?.moving ?? []).forEach((m, j) => {
    const n = m.name ?? `part${j}`;
    if (names.has(n)) throw invalid(`field "fixture.moving.${j}.name": "${n}" names two moving parts`);
    names.add(n);
  });
  // Keep the caller's object (hooks may close over `this`-free state); zod's parse would copy it.
  const task = Object.freeze({ ...d });
  if (src) sources.set(task, src);
  return task;
}

/** The task's movable objects, in observation-slot order (the old `object` field is one). */
export function objectsOf(task: TaskDefinition): readonly ObjectSpec[] {
  return task.objects ?? (task.object ? [task.object] : []);
}

export function movingPartsOf(task: TaskDefinition): readonly MovingPartSpec[] {
  return task.fixture?.moving ?? [];
}

/** A fixture piece as a primitive placed in its body's frame. */
export function partPrimitive(p: FixturePartSpec): PlacedPrimitive {
  const primitive: Primitive = p.shape === 'cylinder' ? { shape: 'cylinder', radius: p.radius, halfHeight: p.halfHeight } : { shape: 'box', halfExtents: p.halfExtents };
  const rotation: Quat = p.rotation ? quatFromEuler(p.rotation[0], p.rotation[1], p.rotation[2]) : [0, 0, 0, 1];
  return { primitive, offset: p.offset, rotation };
}

/**
 * Metadata part of the descriptor: object kind one-hot (5), needsGrasp, usesFixture, goalInAir,
 * then three fields derived from the definition (so task files need no change): two objects, a
 * prismatic moving part, a revolute moving part.
 */
export function metadataVector(task: Pick<TaskDefinition, 'metadata' | 'object' | 'objects' | 'fixture'>): Float32Array {
  const m = task.metadata;
  const v = new Float32Array(METADATA_DIM);
  v[OBJECT_KINDS.indexOf(m.objectKind)] = 1;
  v[5] = m.needsGrasp ? 1 : 0;
  v[6] = m.usesFixture ? 1 : 0;
  v[7] = m.goalInAir ? 1 : 0;
  const moving = task.fixture?.moving ?? [];
  v[8] = (task.objects?.length ?? 0) >= 2 ? 1 : 0;
  v[9] = moving.some((p) => p.joint === 'prismatic') ? 1 : 0;
  v[10] = moving.some((p) => p.joint === 'revolute') ? 1 : 0;
  return v;
}

/**
 * Env-frame position of `local` (fixture base frame, or moving part `part`'s frame at joint
 * position q) for a fixture at `origin` with `yaw`. The one formula behind both fixturePoint
 * members; the scene places the bodies with the same transforms.
 */
export function fixturePointAt(task: TaskDefinition, origin: ArrayLike<number>, yaw: number, local: ArrayLike<number>, part: number | undefined, q: number): Vec3 {
  let p: Vec3 = [local[0], local[1], local[2]];
  if (part !== undefined) {
    const spec = movingPartOrThrow(task, part);
    const { rot, trans } = partTransform(spec, unitAxis(spec), q);
    const r = rotate(rot, p);
    p = [r[0] + trans[0], r[1] + trans[1], r[2] + trans[2]];
  }
  const w = rotateYaw(yaw, p);
  return [origin[0] + w[0], origin[1] + w[1], origin[2] + w[2]];
}

export function movingPartOrThrow(task: TaskDefinition, part: number): MovingPartSpec {
  const parts = movingPartsOf(task);
  if (!task.fixture) throw new RangeError(`${describeTask(task)} has no fixture`);
  if (!Number.isInteger(part) || part < 0 || part >= parts.length) {
    throw new RangeError(`${describeTask(task)}: moving part ${part} does not exist (its fixture has ${parts.length} moving part${parts.length === 1 ? '' : 's'})`);
  }
  return parts[part];
}

/** A TaskState over one env's rows of the observation and desired-goal buffers (no copies). */
export class TaskStateView implements TaskState {
  readonly tcp: Float32Array;
  readonly tcpVel: Float32Array;
  readonly objectPos: Float32Array;
  readonly objectQuat: Float32Array;
  readonly objectLinvel: Float32Array;
  readonly objectAngvel: Float32Array;
  readonly objectRelTcp: Float32Array;
  readonly objects: readonly ObjectState[];
  readonly fixturePos: Float32Array;
  readonly fixtureQuat: Float32Array;
  readonly jointPos: Float32Array;
  readonly jointVel: Float32Array;
  readonly goal: Float32Array;
  step = 0;

  /** `task` is needed by fixturePoint only (it reads the fixture's spec). */
  constructor(
    readonly observation: Float32Array,
    goal: Float32Array,
    readonly task?: TaskDefinition,
  ) {
    const o = observation;
    const at = (offset: number, n: number) => o.subarray(offset, offset + n);
    this.tcp = at(OBS.tcp, 3);
    this.tcpVel = at(OBS.tcpVel, 3);
    this.objects = OBJECT_SLOTS.map((s) => ({ pos: at(s.pos, 3), quat: at(s.quat, 4), linvel: at(s.linvel, 3), angvel: at(s.angvel, 3), relTcp: at(s.relTcp, 3) }));
    const first = this.objects[0];
    this.objectPos = first.pos;
    this.objectQuat = first.quat;
    this.objectLinvel = first.linvel;
    this.objectAngvel = first.angvel;
    this.objectRelTcp = first.relTcp;
    this.fixturePos = at(OBS.fixturePos, 3);
    this.fixtureQuat = at(OBS.fixtureQuat, 4);
    this.jointPos = at(OBS.jointPos, MAX_JOINTS);
    this.jointVel = at(OBS.jointVel, MAX_JOINTS);
    this.goal = goal;
  }

  get gripperGap(): number {
    return this.observation[OBS.gripperGap];
  }

  get gripperGapVel(): number {
    return this.observation[OBS.gripperGapVel];
  }

  get fixtureYaw(): number {
    return 2 * Math.atan2(this.fixtureQuat[2], this.fixtureQuat[3]);
  }

  fixturePoint(local: ArrayLike<number>, part?: number): Vec3 {
    if (!this.task) throw new Error('fixturePoint needs the task: build the TaskStateView with it (new TaskStateView(observation, goal, task))');
    const q = part === undefined ? 0 : this.jointPos[part];
    return fixturePointAt(this.task, this.fixturePos, this.fixtureYaw, local, part, q);
  }
}
