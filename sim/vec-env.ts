// A vector of envs in one Rapier world, with Gymnasium's contract in TypeScript: flat typed arrays
// of numEnvs x dim, same-step autoreset (the ended episode's last observation and info come back
// as finalObservation / finalInfo), termination kept apart from time-limit truncation, and
// goal-conditioned fields beside the observation.
//
// Reproducibility: reset({ seed }) rebuilds the world from nothing, so no contact cache or solver
// warm-start survives from an earlier run; every slot then draws its resets from its own generator
// seeded with (seed, slot). Same seed, same flavour, same machine: bit-identical trajectories.
import type { EventQueue, World } from '@dimforge/rapier3d-simd-compat';
import { CONTACT_NATURAL_FREQUENCY, GRAVITY, PHYSICS_DT, PLACEMENT_BOUNDS, PLACEMENT_TOLERANCE, SLOT_SPACING, SOLVER_ITERATIONS, SUBSTEPS, WORKSPACE } from './config.ts';
import { callHook, checkDense, checkSuccess, checkVector, hookError, TaskUsageError, type HookSite } from './hooks.ts';
import { defaultJointPosition } from './joints.ts';
import { LANGUAGE_DIM, taskLanguageVector } from './language.ts';
import { ACTION_DIM, GOAL_DIM, METADATA_DIM, OBS_DIM } from './layout.ts';
import { loadRapier, type Flavour, type Rapier } from './rapier.ts';
import { resolveTasks } from './registry.ts';
import { Rng } from './rng.ts';
import { samplePosition } from './sample.ts';
import { Slot, type BodyDescription } from './slot.ts';
import { TaskStateView, fixturePointAt, metadataVector, movingPartOrThrow, type EpisodeContext, type TaskDefinition, type Vec3 } from './task.ts';

export const REWARD_NAMES = ['sparse', 'dense-v1'] as const;
export type RewardName = (typeof REWARD_NAMES)[number];
export type ResetReason = 'timeLimit' | 'success' | 'invalidState';

export interface VecEnvOptions {
  /** Task names from the registry, paths of task files (`./my-task.ts`), or definitions. */
  tasks: (string | TaskDefinition)[];
  numEnvs: number;
  /** Which task each env runs (indices into `tasks`); default round-robin. */
  taskOfEnv?: number[];
  /** `sparse`: 0 on success, -1 otherwise. `dense-v1`: each task's shaped reward. Default sparse. */
  reward?: RewardName;
  /** End the episode (terminated) as soon as the task succeeds. Default true. */
  terminateOnSuccess?: boolean;
  /** Rapier flavour; default from RRL_RAPIER or `simd-compat`. */
  flavour?: Flavour;
}

export interface EnvInfo {
  task: string;
  success: boolean;
  /** Control steps taken in the episode this info belongs to. */
  episodeStep: number;
  /** Sum of rewards over that episode so far. */
  episodeReturn: number;
  /** Why the episode ended at this step; null while it goes on. */
  resetReason: ResetReason | null;
}

export interface ResetResult {
  observation: Float32Array;
  achievedGoal: Float32Array;
  desiredGoal: Float32Array;
  info: EnvInfo[];
}

export interface StepResult extends ResetResult {
  reward: Float32Array;
  /** The task ended (success with terminateOnSuccess): do not bootstrap. */
  terminated: Uint8Array;
  /** Cut short (time limit or invalid state): bootstrap from finalObservation. */
  truncated: Uint8Array;
  /** For envs that ended at this step: their last observation (the row in `observation` is the new episode's first). */
  finalObservation: (Float32Array | null)[];
  finalAchievedGoal: (Float32Array | null)[];
  finalDesiredGoal: (Float32Array | null)[];
  finalInfo: (EnvInfo | null)[];
}

export class ActionError extends Error {
  override name = 'ActionError';
}

export interface SceneDescription {
  numEnvs: number;
  envs: { index: number; task: string; origin: Vec3; bodies: BodyDescription[] }[];
  /** Floats per transform: position (3) + quaternion x, y, z, w (4). */
  floatsPerBody: 7;
  totalBodies: number;
}

/** Per-slot bookkeeping that is not physics. */
interface SlotState {
  slot: Slot;
  taskIndex: number;
  rng: Rng;
  view: TaskStateView;
  step: number;
  episodeReturn: number;
  memory: Record<string, number>;
}

export class VecEnv {
  readonly numEnvs: number;
  readonly tasks: readonly TaskDefinition[];
  readonly taskOfEnv: readonly number[];
  readonly reward: RewardName;
  readonly terminateOnSuccess: boolean;
  readonly obsDim = OBS_DIM;
  readonly goalDim = GOAL_DIM;
  readonly actionDim = ACTION_DIM;
  /** Descriptor: one-hot over this env's task list, then the task's metadata vector. */
  readonly descriptorDim: number;
  /** numEnvs x descriptorDim, fixed for the env's lifetime. */
  readonly descriptor: Float32Array;
  /** Width of a language descriptor (sim/language.ts). */
  readonly languageDim = LANGUAGE_DIM;
  private language: Float32Array | null = null;

  private world: World | null = null;
  private events: EventQueue | null = null;
  private slots: SlotState[] = [];
  private readonly obs: Float32Array;
  private readonly desired: Float32Array;
  private readonly achieved: Float32Array;
  private readonly rewards: Float32Array;
  private closed = false;

  private constructor(
    private readonly R: Rapier,
    opts: VecEnvOptions,
    tasks: TaskDefinition[],
  ) {
    this.numEnvs = opts.numEnvs;
    this.tasks = tasks;
    this.reward = opts.reward ?? 'sparse';
    this.terminateOnSuccess = opts.terminateOnSuccess ?? true;
    this.taskOfEnv = opts.taskOfEnv ?? Array.from({ length: opts.numEnvs }, (_, i) => i % tasks.length);
    this.descriptorDim = tasks.length + METADATA_DIM;
    this.descriptor = new Float32Array(this.numEnvs * this.descriptorDim);
    for (let i = 0; i < this.numEnvs; i++) {
      const t = this.taskOfEnv[i];
      this.descriptor[i * this.descriptorDim + t] = 1;
      this.descriptor.set(metadataVector(tasks[t]), i * this.descriptorDim + tasks.length);
    }
    this.obs = new Float32Array(this.numEnvs * OBS_DIM);
    this.desired = new Float32Array(this.numEnvs * GOAL_DIM);
    this.achieved = new Float32Array(this.numEnvs * GOAL_DIM);
    this.rewards = new Float32Array(this.numEnvs);
  }

  static async create(opts: VecEnvOptions): Promise<VecEnv> {
    if (!Number.isInteger(opts.numEnvs) || opts.numEnvs < 1) {
      throw new RangeError(`numEnvs must be a positive integer, got ${opts.numEnvs}`);
    }
    if (!Array.isArray(opts.tasks) || opts.tasks.length === 0) throw new RangeError('tasks must list at least one task');
    if (opts.reward !== undefined && !REWARD_NAMES.includes(opts.reward)) {
      throw new RangeError(`unknown reward "${opts.reward}"; known: ${REWARD_NAMES.join(', ')}`);
    }
    const tasks = await resolveTasks(opts.tasks);
    const names = new Set<string>();
    for (const t of tasks) {
      if (names.has(t.name)) throw new RangeError(`task "${t.name}" is listed twice`);
      names.add(t.name);
    }
    if (opts.taskOfEnv) {
      if (opts.taskOfEnv.length !== opts.numEnvs) throw new RangeError(`taskOfEnv has ${opts.taskOfEnv.length} entries for ${opts.numEnvs} envs`);
      for (const t of opts.taskOfEnv) {
        if (!Number.isInteger(t) || t < 0 || t >= tasks.length) throw new RangeError(`taskOfEnv entry ${t} is not an index into the ${tasks.length} tasks`);
      }
    }
    const R = await loadRapier(opts.flavour);
    return new VecEnv(R, opts, tasks);
  }

  /** Rebuilds the world and starts a fresh episode in every env. */
  reset(opts: { seed?: number } = {}): ResetResult {
    this.assertOpen();
    const seed = opts.seed ?? Math.floor(Math.random() * 2 ** 31);
    if (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 32 - 1) {
      throw new RangeError(`seed must be an integer in [0, 2^32), got ${opts.seed}`);
    }
    this.freeWorld();
    const R = this.R;
    const world = new R.World({ x: 0, y: 0, z: GRAVITY });
    world.timestep = PHYSICS_DT;
    world.integrationParameters.numSolverIterations = SOLVER_ITERATIONS;
    world.integrationParameters.contact_natural_frequency = CONTACT_NATURAL_FREQUENCY;
    this.world = world;
    this.events = new R.EventQueue(false);
    const cols = Math.ceil(Math.sqrt(this.numEnvs));
    this.slots = [];
    for (let i = 0; i < this.numEnvs; i++) {
      const origin: Vec3 = [SLOT_SPACING * (i % cols), SLOT_SPACING * Math.floor(i / cols), 0];
      const taskIndex = this.taskOfEnv[i];
      const slot = new Slot(R, world, origin, this.tasks[taskIndex]);
      const view = new TaskStateView(
        this.obs.subarray(i * OBS_DIM, (i + 1) * OBS_DIM),
        this.desired.subarray(i * GOAL_DIM, (i + 1) * GOAL_DIM),
        this.tasks[taskIndex],
      );
      this.slots.push({ slot, taskIndex, rng: new Rng(seed, i), view, step: 0, episodeReturn: 0, memory: {} });
    }
    const info: EnvInfo[] = [];
    for (let i = 0; i < this.numEnvs; i++) info.push(this.resetSlot(i));
    // One physics update with zero motion so the broad phase knows the new poses (joint friction
    // acts in it too, so a part held by friction does not sag in it).
    for (const st of this.slots) st.slot.scene.preSubstep();
    world.step(this.events);
    for (const st of this.slots) st.slot.scene.postSubstep();
    this.events.clear();
    for (let i = 0; i < this.numEnvs; i++) this.observe(i);
    return {
      observation: this.obs.slice(),
      achievedGoal: this.achieved.slice(),
      desiredGoal: this.desired.slice(),
      info,
    };
  }

  /**
   * Applies one action per env (flat numEnvs x 4, each in [-1, 1]; larger values are clipped),
   * advances one control step, and resets envs whose episode ended. An action array of the wrong
   * length or holding NaN / infinity is refused before any env is touched.
   */
  step(actions: ArrayLike<number>): StepResult {
    this.assertOpen();
    if (!this.world || !this.events) throw new Error('call reset() before step()');
    this.validateActions(actions);
    const world = this.world;
    const events = this.events;
    const n = this.numEnvs;
    for (let i = 0; i < n; i++) {
      const a = this.clippedAction(actions, i);
      this.slots[i].slot.robot.applyAction(a, 0);
    }
    for (let s = 0; s < SUBSTEPS; s++) {
      for (let i = 0; i < n; i++) this.slots[i].slot.substep();
      world.step(events);
      for (let i = 0; i < n; i++) this.slots[i].slot.postSubstep();
    }

    const terminated = new Uint8Array(n);
    const truncated = new Uint8Array(n);
    const finalObservation: (Float32Array | null)[] = new Array(n).fill(null);
    const finalAchievedGoal: (Float32Array | null)[] = new Array(n).fill(null);
    const finalDesiredGoal: (Float32Array | null)[] = new Array(n).fill(null);
    const finalInfo: (EnvInfo | null)[] = new Array(n).fill(null);
    const info: EnvInfo[] = new Array(n);
    const reward = this.rewards;
    const resetList: number[] = [];
    for (let i = 0; i < n; i++) {
      const st = this.slots[i];
      st.step++;
      const valid = this.observe(i);
      const task = this.tasks[st.taskIndex];
      const ach = this.achieved.subarray(i * GOAL_DIM, (i + 1) * GOAL_DIM);
      const des = this.desired.subarray(i * GOAL_DIM, (i + 1) * GOAL_DIM);
      let success = false;
      let r = 0;
      if (valid) {
        const site = { env: i, step: st.step };
        success = checkSuccess(task, site, callHook(task, 'isSuccess', site, () => task.isSuccess(ach, des)));
        if (this.reward === 'sparse') r = sparseReward(success);
        else {
          const succeeded = success;
          r = checkDense(task, site, callHook(task, 'denseReward', site, () => task.denseReward(st.view, ach, succeeded)));
        }
      } else {
        r = this.reward === 'sparse' ? -1 : 0;
      }
      reward[i] = r;
      st.episodeReturn += r;
      let reason: ResetReason | null = null;
      if (!valid) reason = 'invalidState';
      else if (success && this.terminateOnSuccess) reason = 'success';
      else if (st.step >= task.maxSteps) reason = 'timeLimit';
      const inf: EnvInfo = { task: task.name, success, episodeStep: st.step, episodeReturn: st.episodeReturn, resetReason: reason };
      if (reason === null) {
        info[i] = inf;
        continue;
      }
      if (reason === 'success') terminated[i] = 1;
      else truncated[i] = 1;
      finalObservation[i] = this.obs.slice(i * OBS_DIM, (i + 1) * OBS_DIM);
      finalAchievedGoal[i] = ach.slice();
      finalDesiredGoal[i] = des.slice();
      finalInfo[i] = inf;
      info[i] = this.resetSlot(i);
      resetList.push(i);
    }
    // Reset envs get their first observation without advancing physics: the poses just set are
    // the state (finger gap and object pose are exact after a teleport).
    for (const i of resetList) this.observe(i);
    return {
      observation: this.obs.slice(),
      achievedGoal: this.achieved.slice(),
      desiredGoal: this.desired.slice(),
      reward: reward.slice(),
      terminated,
      truncated,
      info,
      finalObservation,
      finalAchievedGoal,
      finalDesiredGoal,
      finalInfo,
    };
  }

  /**
   * Sparse reward of the given task for a batch of (achieved, desired) goal pairs, e.g. relabeled
   * ones: 0 where the task counts it a success, -1 elsewhere.
   */
  computeReward(taskIndex: number, achieved: Float32Array, desired: Float32Array, out = new Float32Array(achieved.length / GOAL_DIM)): Float32Array {
    if (!Number.isInteger(taskIndex) || taskIndex < 0 || taskIndex >= this.tasks.length) {
      throw new RangeError(`computeReward: task index ${taskIndex} is not one of this env's ${this.tasks.length} tasks (0-${this.tasks.length - 1}: ${this.tasks.map((t) => t.name).join(', ')})`);
    }
    return computeSparseReward(this.tasks[taskIndex], achieved, desired, out);
  }

  /** The scripted expert's action for every env (throws if a task has none). */
  expertActions(observation: Float32Array, out = new Float32Array(this.numEnvs * ACTION_DIM)): Float32Array {
    for (let i = 0; i < this.numEnvs; i++) {
      const st = this.slots[i];
      const task = this.tasks[st.taskIndex];
      const expert = task.expert;
      if (!expert) throw new Error(`task "${task.name}" has no scripted expert`);
      // The view reads the env's current observation; the caller passes the same buffer it got.
      const view = viewOver(st.view, observation, i, task);
      const site = { env: i, step: st.step };
      const a = checkVector(task, 'expert', site, callHook(task, 'expert', site, () => expert(view, st.memory)), ACTION_DIM, 'an action');
      for (let k = 0; k < ACTION_DIM; k++) out[i * ACTION_DIM + k] = Math.max(-1, Math.min(1, a[k]));
    }
    return out;
  }

  /**
   * numEnvs x languageDim: each env's task description embedded with pretrained word vectors
   * (sim/language.ts; unit rows, the same for envs of the same task), fixed for the env's lifetime.
   * Computed at first use: reading the word-vector table takes tens of milliseconds (building it,
   * once per install, about 10 s). Words of a description that the table does not know are
   * reported once per task on stderr.
   */
  get languageDescriptor(): Float32Array {
    if (!this.language) {
      const rows = this.tasks.map((t) => taskLanguageVector(t));
      const out = new Float32Array(this.numEnvs * LANGUAGE_DIM);
      for (let i = 0; i < this.numEnvs; i++) out.set(rows[this.taskOfEnv[i]], i * LANGUAGE_DIM);
      this.language = out;
    }
    return this.language;
  }

  describeScene(): SceneDescription {
    this.assertOpen();
    if (!this.world) throw new Error('call reset() before describeScene()');
    let total = 0;
    const envs = this.slots.map((s, index) => {
      total += s.slot.bodies.length;
      return { index, task: s.slot.task.name, origin: s.slot.origin, bodies: s.slot.bodies.map((b) => b.description) };
    });
    return { numEnvs: this.numEnvs, envs, floatsPerBody: 7, totalBodies: total };
  }

  /** Transforms of every body of every env, in describeScene() order (7 floats each). */
  writeTransforms(out?: Float32Array): Float32Array {
    this.assertOpen();
    let total = 0;
    for (const s of this.slots) total += s.slot.bodies.length;
    const buf = out && out.length >= total * 7 ? out : new Float32Array(total * 7);
    let k = 0;
    for (const s of this.slots) k = s.slot.writeTransforms(buf, k);
    return buf;
  }

  /**
   * Debugging and fault injection: overwrite env i's object state, e.g. to check that a blow-up
   * (non-finite or out-of-workspace pose) resets that env alone with resetReason "invalidState".
   */
  setObjectState(i: number, position: Vec3, linvel: Vec3 = [0, 0, 0], object = 0): void {
    const obj = this.slots[i]?.slot.scene.objects[object]?.body;
    if (!obj) throw new RangeError(`env ${i} has no object ${object}`);
    const o = this.slots[i].slot.origin;
    obj.setTranslation({ x: o[0] + position[0], y: o[1] + position[1], z: o[2] + position[2] }, true);
    obj.setLinvel({ x: linvel[0], y: linvel[1], z: linvel[2] }, true);
  }

  /**
   * Debugging and fault injection: teleport moving part `part` of env i's fixture to joint position
   * `position` with joint velocity `velocity`, e.g. to check that limits, springs and damping act.
   */
  setJointState(i: number, part: number, position: number, velocity = 0): void {
    const scene = this.slots[i]?.slot.scene;
    if (!scene) throw new RangeError(`env ${i} does not exist (${this.numEnvs} envs)`);
    if (!scene.parts[part]) throw new RangeError(`env ${i}'s fixture has no moving part ${part}`);
    if (!Number.isFinite(position) || !Number.isFinite(velocity)) throw new RangeError(`joint position and velocity must be finite, got ${position}, ${velocity}`);
    scene.setJoint(part, position, velocity);
  }

  /** Frees the WebAssembly world. The env cannot be used afterwards. */
  close(): void {
    this.freeWorld();
    this.closed = true;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('this VecEnv is closed');
  }

  private freeWorld(): void {
    this.events?.free();
    this.world?.free();
    this.events = null;
    this.world = null;
  }

  private validateActions(actions: ArrayLike<number>): void {
    if (actions === null || typeof actions !== 'object' || typeof (actions as ArrayLike<number>).length !== 'number') {
      throw new ActionError(`actions must be an array of ${this.numEnvs} x ${ACTION_DIM} numbers`);
    }
    const want = this.numEnvs * ACTION_DIM;
    if (actions.length !== want) {
      throw new ActionError(`actions has length ${actions.length}, expected ${want} (${this.numEnvs} envs x ${ACTION_DIM})`);
    }
    for (let k = 0; k < want; k++) {
      const v = actions[k];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        const env = Math.floor(k / ACTION_DIM);
        throw new ActionError(`action of env ${env}, component ${k % ACTION_DIM} is ${String(v)}: every action must be a finite number`);
      }
    }
  }

  private readonly actionScratch = new Float64Array(ACTION_DIM);
  private clippedAction(actions: ArrayLike<number>, i: number): Float64Array {
    const a = this.actionScratch;
    for (let k = 0; k < ACTION_DIM; k++) {
      const v = actions[i * ACTION_DIM + k];
      a[k] = v < -1 ? -1 : v > 1 ? 1 : v;
    }
    return a;
  }

  /** Starts a new episode in slot i; returns the info of the new episode. */
  private resetSlot(i: number): EnvInfo {
    const st = this.slots[i];
    const { slot, rng } = st;
    const { scene, robot } = slot;
    const task = this.tasks[st.taskIndex];
    st.step = 0;
    st.episodeReturn = 0;
    st.memory = {};
    const site: HookSite = { env: i, step: 0 };
    // Default hand start: above the table centre region, fingers open.
    const tcp: Vec3 = [rng.uniform(-0.1, 0.1), rng.uniform(-0.1, 0.1), rng.uniform(0.15, 0.25)];
    const objectPlaced = scene.objects.map(() => false);
    let fixturePlaced = !scene.fixture;
    let goalSet = false;
    const jointNow = scene.parts.map((p) => defaultJointPosition(p.spec));
    const usage = (msg: string) => new TaskUsageError(msg);
    const vec = (v: unknown, method: string, what: string): Vec3 => {
      if (!Array.isArray(v) && !ArrayBuffer.isView(v)) throw usage(`${method} got ${what} that is not an array of 3 numbers`);
      const a = v as ArrayLike<number>;
      if (a.length !== 3 || ![0, 1, 2].every((k) => Number.isFinite(a[k]))) {
        throw usage(`${method} got ${what} [${Array.from(a).join(', ')}], expected 3 finite numbers`);
      }
      return [a[0], a[1], a[2]];
    };
    const inBounds = (p: Vec3, method: string, what: string): Vec3 => {
      const { min, max } = PLACEMENT_BOUNDS;
      if (![0, 1, 2].every((k) => p[k] >= min[k] && p[k] <= max[k])) {
        const r = (v: number) => Math.round(v * 1e4) / 1e4;
        throw usage(
          `${method} put ${what} at [${p.map(r).join(', ')}], outside the workspace (x in [${min[0]}, ${max[0]}] m, y in [${min[1]}, ${max[1]}] m, z in [${min[2]}, ${max[2]}] m, env frame)`,
        );
      }
      return p;
    };
    const angle = (a: unknown, method: string, what: string): number => {
      if (typeof a !== 'number' || !Number.isFinite(a)) throw usage(`${method} got ${what} ${String(a)}, expected a finite number of radians`);
      return a;
    };
    const partSpec = (j: number, method: string) => {
      try {
        return movingPartOrThrow(task, j);
      } catch (e) {
        throw usage(`${method}: ${(e as Error).message}`);
      }
    };
    const ctx: EpisodeContext = {
      rng,
      tcp,
      placeHand: (p) => {
        const v = vec(p, 'placeHand', 'a hand position');
        for (let k = 0; k < 3; k++) tcp[k] = Math.min(Math.max(v[k], WORKSPACE.min[k]), WORKSPACE.max[k]);
      },
      placeObject: (p, yaw = 0, index = 0) => {
        const n = scene.objects.length;
        if (!Number.isInteger(index) || index < 0 || index >= n) {
          throw usage(n ? `placeObject got object index ${String(index)}; the task has ${n} object${n === 1 ? '' : 's'} (0-${n - 1})` : 'placeObject was called but the task has no object');
        }
        const v = inBounds(vec(p, 'placeObject', `object ${index}'s position`), 'placeObject', `object ${index}`);
        scene.placeObject(index, v, angle(yaw, 'placeObject', 'a yaw'));
        objectPlaced[index] = true;
      },
      placeFixture: (p, yaw = 0) => {
        if (!scene.fixture) throw usage('placeFixture was called but the task has no fixture');
        const v = inBounds(vec(p, 'placeFixture', 'a fixture origin'), 'placeFixture', 'the fixture');
        scene.placeFixture(v, angle(yaw, 'placeFixture', 'a yaw'));
        scene.resetJoints();
        scene.parts.forEach((p, j) => (jointNow[j] = defaultJointPosition(p.spec)));
        fixturePlaced = true;
      },
      setJoint: (j, q) => {
        const spec = partSpec(j, 'setJoint');
        if (!fixturePlaced) throw usage('setJoint was called before placeFixture: place the fixture first');
        const [lo, hi] = spec.limits;
        if (typeof q !== 'number' || !(q >= lo && q <= hi)) throw usage(`setJoint got position ${String(q)} for moving part ${j}, outside its limits [${lo}, ${hi}]`);
        scene.setJoint(j, q);
        jointNow[j] = q;
      },
      setGoal: (g) => {
        slot.goal.set(inBounds(vec(g, 'setGoal', 'a goal'), 'setGoal', 'the goal'));
        goalSet = true;
      },
      samplePosition: (opts) => samplePosition(rng, opts),
      fixturePoint: (local, part, q) => {
        if (!scene.fixture) throw usage('fixturePoint was called but the task has no fixture');
        if (!fixturePlaced) throw usage('fixturePoint was called before placeFixture: place the fixture first');
        const l = vec(local, 'fixturePoint', 'a local point');
        if (part !== undefined) partSpec(part, 'fixturePoint');
        const at = part === undefined ? 0 : (q ?? jointNow[part]);
        if (typeof at !== 'number' || !Number.isFinite(at)) throw usage(`fixturePoint got joint position ${String(q)}, expected a finite number`);
        return fixturePointAt(task, scene.fixtureOrigin, scene.fixtureYaw, l, part, at);
      },
    };
    callHook(task, 'initializeEpisode', site, () => task.initializeEpisode(ctx));
    const fail = (problem: string) => hookError(task, 'initializeEpisode', site, problem);
    if (!goalSet) throw fail('initializeEpisode must call setGoal');
    const missing = objectPlaced.findIndex((p) => !p);
    if (missing >= 0) throw fail(`initializeEpisode must call placeObject for every object; object ${missing} was not placed`);
    if (!fixturePlaced) throw fail('initializeEpisode must call placeFixture');
    if (scene.objects.length > 0) {
      const problems = scene.placementProblems(PLACEMENT_TOLERANCE);
      if (problems.length) throw fail(`placed objects inside other bodies: ${problems.join('; ')}`);
    }
    robot.placeHand(tcp);
    this.desired.set(slot.goal, i * GOAL_DIM);
    return { task: task.name, success: false, episodeStep: 0, episodeReturn: 0, resetReason: null };
  }

  /** Reads slot i's observation and achieved goal; false if its state is invalid. */
  private observe(i: number): boolean {
    const st = this.slots[i];
    const task = this.tasks[st.taskIndex];
    st.view.step = st.step;
    const ok = st.slot.readObservation(this.obs, i, st.step / task.maxSteps);
    const site = { env: i, step: st.step };
    // A blown-up state may give a non-finite achieved goal (an invalid state, reset); from a
    // valid state, a non-finite one is the task's fault.
    const ach = checkVector(task, 'achievedGoal', site, callHook(task, 'achievedGoal', site, () => task.achievedGoal(st.view)), GOAL_DIM, 'the achieved goal', !ok);
    let finite = true;
    for (let k = 0; k < GOAL_DIM; k++) {
      const v = ach[k];
      this.achieved[i * GOAL_DIM + k] = v;
      if (!Number.isFinite(v)) finite = false;
    }
    return ok && finite;
  }
}

/** The `sparse` reward: 0 where the task succeeds, -1 elsewhere (the goal-env convention HER uses). */
export const sparseReward = (success: boolean): number => (success ? 0 : -1);

/** Sparse reward from a task's success predicate, over a batch of goal pairs. */
export function computeSparseReward(task: TaskDefinition, achieved: Float32Array, desired: Float32Array, out: Float32Array): Float32Array {
  const n = achieved.length / GOAL_DIM;
  for (let i = 0; i < n; i++) {
    const a = achieved.subarray(i * GOAL_DIM, i * GOAL_DIM + 3);
    const d = desired.subarray(i * GOAL_DIM, i * GOAL_DIM + 3);
    const site = { row: i };
    out[i] = sparseReward(checkSuccess(task, site, callHook(task, 'isSuccess', site, () => task.isSuccess(a, d))));
  }
  return out;
}

/** A TaskState over row i of a caller's observation buffer, sharing the env's desired goal. */
function viewOver(own: TaskStateView, observation: Float32Array, i: number, task: TaskDefinition): TaskStateView {
  if (observation.length < (i + 1) * OBS_DIM) throw new RangeError('observation buffer is too short');
  const v = new TaskStateView(observation.subarray(i * OBS_DIM, (i + 1) * OBS_DIM), own.goal, task);
  v.step = own.step;
  return v;
}

