// What a task is: a plain object with a scene (at most one movable object and one fixture), hooks
// in the spirit of ManiSkill3 (initialise an episode, evaluate, dense reward) and of the goal-env
// contract (achieved goal, success from achieved and desired goals, which goal relabeling needs),
// a descriptor, and an optional scripted expert.
//
// A task file needs no runtime import from this project: hooks get everything through their
// arguments, so a user's own .ts file anywhere on disk can `export default { ... }` (typed with an
// `import type`, which is erased) and be run by path with no build step.
import { z } from 'zod';
import type { Rng } from './rng.ts';
import { METADATA_DIM, OBS } from './layout.ts';

export type Vec3 = [number, number, number];

export const OBJECT_KINDS = ['none', 'puck', 'block', 'peg', 'other'] as const;
export type ObjectKind = (typeof OBJECT_KINDS)[number];

export type ShapeSpec =
  | { shape: 'box'; halfExtents: Vec3 }
  | { shape: 'cylinder'; radius: number; halfHeight: number }
  | { shape: 'sphere'; radius: number };

/** The task's one movable object. Cylinders stand upright (axis along z) at identity rotation. */
export type ObjectSpec = ShapeSpec & { mass: number; friction?: number; color: string };

/** A static fixture made of boxes, moved as a whole at each reset; offsets are from its origin. */
export interface FixtureSpec {
  parts: { halfExtents: Vec3; offset: Vec3 }[];
  color: string;
  friction?: number;
}

export interface TaskMetadata {
  objectKind: ObjectKind;
  needsGrasp: boolean;
  usesFixture: boolean;
  goalInAir: boolean;
}

/** Read-only view of one env's observation and desired goal (see layout.ts for the fields). */
export interface TaskState {
  readonly tcp: Float32Array;
  readonly tcpVel: Float32Array;
  readonly gripperGap: number;
  readonly objectPos: Float32Array;
  readonly objectQuat: Float32Array;
  readonly objectLinvel: Float32Array;
  readonly objectRelTcp: Float32Array;
  readonly fixturePos: Float32Array;
  /** The desired goal. */
  readonly goal: Float32Array;
  /** Control steps taken in this episode so far. */
  readonly step: number;
  /** The whole observation vector. */
  readonly observation: Float32Array;
}

/** What `initializeEpisode` may do; the hand has already been placed at a random start. */
export interface EpisodeContext {
  /** This env's own seeded generator. */
  readonly rng: Rng;
  /** Initial tool-centre-point position chosen by the env (the task may move it). */
  readonly tcp: Readonly<Vec3>;
  placeHand(tcp: Vec3): void;
  /** Object centre position; yaw about z in radians (default 0). */
  placeObject(position: Vec3, yaw?: number): void;
  placeFixture(origin: Vec3): void;
  setGoal(goal: Vec3): void;
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
  object?: ObjectSpec;
  fixture?: FixtureSpec;
  /** Colour of the goal marker in the viewer. */
  goalColor?: string;
  initializeEpisode(ctx: EpisodeContext): void;
  /** The achieved goal, comparable with the desired goal (3 numbers). */
  achievedGoal(s: TaskState): ArrayLike<number>;
  /** Success from achieved and desired goals alone, so relabeled goals can be scored (HER). */
  isSuccess(achieved: ArrayLike<number>, desired: ArrayLike<number>): boolean;
  /** Shaped reward ("dense-v1"); staged, and at its maximum on success. */
  denseReward(s: TaskState, achieved: ArrayLike<number>, success: boolean): number;
  /** Optional scripted expert: an action in [-1, 1]^4. `memory` is cleared at each reset. */
  expert?(s: TaskState, memory: Record<string, number>): ArrayLike<number>;
}

const vec3 = z.tuple([z.number(), z.number(), z.number()]);
const positive = z.number().positive().finite();
const color = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'expected a colour like "#ff8800"');

const objectSchema = z.discriminatedUnion('shape', [
  z.object({ shape: z.literal('box'), halfExtents: z.tuple([positive, positive, positive]), mass: positive, friction: positive.optional(), color }).strict(),
  z.object({ shape: z.literal('cylinder'), radius: positive, halfHeight: positive, mass: positive, friction: positive.optional(), color }).strict(),
  z.object({ shape: z.literal('sphere'), radius: positive, mass: positive, friction: positive.optional(), color }).strict(),
]);

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
    fixture: z
      .object({
        parts: z.array(z.object({ halfExtents: z.tuple([positive, positive, positive]), offset: vec3 }).strict()).min(1),
        color,
        friction: positive.optional(),
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

/**
 * Checks a task definition and returns it. A missing or ill-typed field is refused with a message
 * naming the field, e.g. `task "lift": field "maxSteps": expected int, received number`.
 */
export function defineTask(def: TaskDefinition): TaskDefinition;
export function defineTask(def: unknown, source?: string): TaskDefinition;
export function defineTask(def: unknown, source?: string): TaskDefinition {
  const where = source ? ` (from ${source})` : '';
  if (typeof def !== 'object' || def === null) {
    throw new TaskDefinitionError(`task definition${where} must be an object, got ${def === null ? 'null' : typeof def}`);
  }
  const name = typeof (def as { name?: unknown }).name === 'string' ? (def as { name: string }).name : '?';
  const parsed = taskSchema.safeParse(def);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const field = i.path.length ? i.path.join('.') : (i as { keys?: string[] }).keys?.join(', ') ?? '(root)';
      return `field "${field}": ${i.message}`;
    });
    throw new TaskDefinitionError(`task "${name}"${where} is invalid: ${lines.join('; ')}`);
  }
  const d = def as TaskDefinition;
  if (d.metadata.objectKind !== 'none' && !d.object) {
    throw new TaskDefinitionError(`task "${name}"${where} is invalid: field "object" is required when metadata.objectKind is "${d.metadata.objectKind}"`);
  }
  if (d.metadata.usesFixture !== Boolean(d.fixture)) {
    throw new TaskDefinitionError(`task "${name}"${where} is invalid: field "fixture" must be given exactly when metadata.usesFixture is true`);
  }
  // Keep the caller's object (hooks may close over `this`-free state); zod's parse would copy it.
  return Object.freeze({ ...d });
}

/** Metadata part of the descriptor: object kind one-hot (5), needsGrasp, usesFixture, goalInAir. */
export function metadataVector(m: TaskMetadata): Float32Array {
  const v = new Float32Array(METADATA_DIM);
  v[OBJECT_KINDS.indexOf(m.objectKind)] = 1;
  v[5] = m.needsGrasp ? 1 : 0;
  v[6] = m.usesFixture ? 1 : 0;
  v[7] = m.goalInAir ? 1 : 0;
  return v;
}

/** A TaskState over one env's rows of the observation and desired-goal buffers (no copies). */
export class TaskStateView implements TaskState {
  readonly tcp: Float32Array;
  readonly tcpVel: Float32Array;
  readonly objectPos: Float32Array;
  readonly objectQuat: Float32Array;
  readonly objectLinvel: Float32Array;
  readonly objectRelTcp: Float32Array;
  readonly fixturePos: Float32Array;
  readonly goal: Float32Array;
  step = 0;

  constructor(
    readonly observation: Float32Array,
    goal: Float32Array,
  ) {
    const o = observation;
    this.tcp = o.subarray(OBS.tcp, OBS.tcp + 3);
    this.tcpVel = o.subarray(OBS.tcpVel, OBS.tcpVel + 3);
    this.objectPos = o.subarray(OBS.objectPos, OBS.objectPos + 3);
    this.objectQuat = o.subarray(OBS.objectQuat, OBS.objectQuat + 4);
    this.objectLinvel = o.subarray(OBS.objectLinvel, OBS.objectLinvel + 3);
    this.objectRelTcp = o.subarray(OBS.objectRelTcp, OBS.objectRelTcp + 3);
    this.fixturePos = o.subarray(OBS.fixturePos, OBS.fixturePos + 3);
    this.goal = goal;
  }

  get gripperGap(): number {
    return this.observation[OBS.gripperGap];
  }
}
