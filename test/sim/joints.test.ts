// Fixtures with moving parts, in real Rapier worlds: joint limits hold under a push, a spring
// returns a displaced part to rest, damping slows it, friction holds a part against a load below
// it, and the fixture's yaw places parts where TaskState.fixturePoint says they are (also after
// they moved); a part its friction holds sleeps and the hand wakes it. The joint kinematics (joints.ts)
// are checked on their own first.
import { describe, expect, it } from 'vitest';
import { ACTION_SCALE, CONTROL_DT } from '../../sim/config.ts';
import { applyFriction, jointPosition, partTransform, unitAxis, type JointSpec } from '../../sim/joints.ts';
import { OBS, OBS_DIM } from '../../sim/layout.ts';
import { quatConj, quatMul, rotate, rotateYaw, type Quat, type Vec3 } from '../../sim/math.ts';
import { Rng } from '../../sim/rng.ts';
import { defineTask, TaskStateView, type MovingPartSpec, type TaskDefinition } from '../../sim/task.ts';
import { VecEnv } from '../../sim/vec-env.ts';

/** A task whose fixture is a post plus one moving part, placed at `origin` with `yaw`; no objects. */
function jointTask(name: string, part: MovingPartSpec, origin: Vec3 = [0.1, 0, 0], yaw = 0): TaskDefinition {
  return defineTask({
    name,
    description: 'a fixture with one moving part, for tests',
    maxSteps: 1000,
    metadata: { objectKind: 'none', needsGrasp: false, usesFixture: true, goalInAir: false },
    fixture: { color: '#4c566a', parts: [{ halfExtents: [0.01, 0.01, 0.01], offset: [0.2, 0.2, 0.01] }], moving: [part] },
    initializeEpisode(ctx) {
      ctx.placeHand([-0.2, -0.2, 0.3]); // out of the way
      ctx.placeFixture(origin, yaw);
      ctx.setGoal([0, 0, 0.1]);
    },
    achievedGoal: (s) => s.tcp,
    isSuccess: () => false,
    denseReward: () => 0,
  });
}

const slider = (extra: Partial<MovingPartSpec> = {}): MovingPartSpec =>
  ({
    name: 'slider',
    joint: 'prismatic',
    axis: [1, 0, 0],
    limits: [-0.05, 0.1],
    mass: 0.4,
    parts: [{ halfExtents: [0.03, 0.03, 0.02], offset: [0, 0, 0.05] }],
    ...extra,
  }) as MovingPartSpec;

const flap = (extra: Partial<MovingPartSpec> = {}): MovingPartSpec =>
  ({
    name: 'flap',
    joint: 'revolute',
    anchor: [0, 0, 0.1],
    axis: [0, -1, 0],
    limits: [-0.3, 0.9],
    mass: 0.1,
    parts: [{ halfExtents: [0.06, 0.015, 0.005], offset: [-0.06, 0, 0.1] }],
    ...extra,
  }) as MovingPartSpec;

const zeros = (n = 1) => new Float32Array(4 * n);
const jointPos = (o: Float32Array, j = 0) => o[OBS.jointPos + j];

async function run(task: TaskDefinition, seed = 1) {
  const env = await VecEnv.create({ tasks: [task], numEnvs: 1 });
  const first = env.reset({ seed });
  return { env, first };
}

/** Env 0's first moving part's Rapier body (VecEnv keeps its slots private), to ask if it sleeps. */
const firstPartBody = (env: VecEnv) =>
  (env as unknown as { slots: { slot: { scene: { parts: { body: { isSleeping(): boolean } }[] } } }[] }).slots[0].slot.scene.parts[0].body;

/** World pose of a described body (position, quaternion), from the env's transform buffer. */
function bodyPose(env: VecEnv, name: string): { p: Vec3; q: Quat } {
  const scene = env.describeScene();
  const k = scene.envs[0].bodies.findIndex((b) => b.name === name);
  if (k < 0) throw new Error(`no body ${name}`);
  const t = env.writeTransforms();
  const o = scene.envs[0].origin;
  return { p: [t[k * 7] - o[0], t[k * 7 + 1] - o[1], t[k * 7 + 2] - o[2]], q: [t[k * 7 + 3], t[k * 7 + 4], t[k * 7 + 5], t[k * 7 + 6]] };
}

describe('joint kinematics', () => {
  const specs: JointSpec[] = [
    { joint: 'prismatic', axis: [1, 2, -0.5], limits: [-1, 1] },
    { joint: 'revolute', anchor: [0.1, -0.2, 0.3], axis: [0.3, -1, 0.2], limits: [-3, 3] },
  ];
  for (const spec of specs) {
    it(`reads back the joint position it was placed at (${spec.joint})`, () => {
      const axis = unitAxis(spec);
      const rng = new Rng(3);
      for (let k = 0; k < 50; k++) {
        const q = rng.uniform(-3, 3) * (spec.joint === 'prismatic' ? 0.1 : 1);
        const { rot, trans } = partTransform(spec, axis, q);
        expect(jointPosition(spec, axis, trans, rot)).toBeCloseTo(q, 10);
        if (spec.joint === 'revolute') {
          // Points on the hinge line do not move.
          const on = [spec.anchor[0] + 0.5 * axis[0], spec.anchor[1] + 0.5 * axis[1], spec.anchor[2] + 0.5 * axis[2]];
          const moved = rotate(rot, on).map((v, i) => v + trans[i]);
          moved.forEach((v, i) => expect(v).toBeCloseTo(on[i], 12));
        }
      }
    });
  }

  it('applies Coulomb friction: stops a slow part where it was, slows a fast one by F dt / m', () => {
    expect(applyFriction(0.1, 0.10003, 0.01, 5, 1, 0.004)).toEqual([0.1, 0]);
    const [q, v] = applyFriction(0.1, 0.096, -1, 5, 0.5, 0.004);
    expect(v).toBeCloseTo(-1 + 0.04, 12);
    expect(q).toBeCloseTo(0.1 - 0.004 * 0.96, 12);
    expect(applyFriction(0.1, 0.2, 0, 5, 1, 0.004)).toEqual([0.2, 0]);
  });
});

describe('joint limits', () => {
  it('hold a prismatic part thrown at them', async () => {
    const { env } = await run(jointTask('slider-limits', slider()));
    for (const [v, lo, hi] of [
      [3, -0.05, 0.1],
      [-3, -0.05, 0.1],
    ]) {
      env.setJointState(0, 0, 0, v);
      let extreme = 0;
      for (let t = 0; t < 25; t++) {
        const q = jointPos(env.step(zeros()).observation);
        expect(q).toBeGreaterThanOrEqual(lo - 0.002);
        expect(q).toBeLessThanOrEqual(hi + 0.002);
        extreme = v > 0 ? Math.max(extreme, q) : Math.min(extreme, q);
      }
      expect(extreme).toBeCloseTo(v > 0 ? hi : lo, 2);
    }
  });

  it('hold the drawer while the hand pulls on its handle with full force', async () => {
    const env = await VecEnv.create({ tasks: ['drawer-open'], numEnvs: 1, terminateOnSuccess: false });
    let s = env.reset({ seed: 4 });
    // The expert hooks the handle and pulls; then keep pulling along the drawer's axis at full speed.
    for (let t = 0; t < 60 && jointPos(s.observation) < 0.05; t++) s = env.step(env.expertActions(s.observation));
    expect(jointPos(s.observation)).toBeGreaterThan(0.05);
    const yaw = new TaskStateView(s.observation, s.desiredGoal).fixtureYaw;
    let most = 0;
    for (let t = 0; t < 40; t++) {
      s = env.step([-Math.cos(yaw), -Math.sin(yaw), 0, 1]);
      most = Math.max(most, jointPos(s.observation));
    }
    // Its upper limit is 14 cm.
    expect(most).toBeGreaterThan(0.139);
    expect(most).toBeLessThan(0.142);
    expect(s.info[0].resetReason).toBe(null);
  });

  it('hold a revolute part pressed down by the hand', async () => {
    const task = jointTask('flap-press', flap({ limits: [-0.3, 0.5], initial: 0, spring: { rest: 0, stiffness: 1 }, damping: 0.02 }), [0.05, 0, 0]);
    const { env, first } = await run(task);
    // Press straight down, with the fingers closed, on a point of the flap 7 cm from its hinge.
    const [px, py] = new TaskStateView(first.observation, first.desiredGoal, task).fixturePoint([-0.07, 0, 0.1], 0);
    let s = first;
    let most = 0;
    const late: number[] = [];
    for (let t = 0; t < 60; t++) {
      const [tx, ty, tz] = s.observation.subarray(OBS.tcp, OBS.tcp + 3);
      const z = Math.hypot(tx - px, ty - py) < 0.005 ? 0.03 : 0.2;
      s = env.step([(px - tx) / ACTION_SCALE, (py - ty) / ACTION_SCALE, (z - tz) / ACTION_SCALE, 1]);
      most = Math.max(most, jointPos(s.observation));
      if (t >= 45) late.push(jointPos(s.observation));
    }
    // The hand pushes the flap onto its upper limit (0.5 rad) with its full force (25 N, about
    // 1.75 N m about the hinge) and the limit holds; Rapier's limit gives a little on impact only.
    // (The closed fingers rest on the inclined flap's edge and slide a little, so it rocks.)
    expect(Math.max(...late)).toBeGreaterThan(0.495);
    for (const q of late) expect(q).toBeLessThan(0.5 + 0.01);
    expect(most).toBeLessThan(0.5 + 0.03);
  });
});

describe('springs, damping and friction', () => {
  it('a spring returns a displaced part to its rest position', async () => {
    for (const part of [
      slider({ spring: { rest: 0.02, stiffness: 40 }, damping: 4 }),
      flap({ spring: { rest: 0.1, stiffness: 2 }, damping: 0.05 }),
    ]) {
      const { env } = await run(jointTask(`spring-${part.joint}`, part));
      // Where it settles undisturbed (a horizontal flap sags a little under its weight).
      let rest = 0;
      for (let t = 0; t < 50; t++) rest = jointPos(env.step(zeros()).observation);
      expect(Math.abs(rest - part.spring!.rest)).toBeLessThan(part.joint === 'revolute' ? 0.06 : 0.002);
      env.setJointState(0, 0, part.limits[1] - 0.01);
      let q = 0;
      for (let t = 0; t < 75; t++) q = jointPos(env.step(zeros()).observation);
      expect(Math.abs(q - rest)).toBeLessThan(0.005);
    }
  });

  it('damping slows a moving part as exp(-c t / m)', async () => {
    const v0 = 0.3;
    const speedAfter = async (damping: number, steps: number) => {
      const { env } = await run(jointTask(`damp-${damping}`, slider({ damping, limits: [-0.5, 0.5] })));
      env.setJointState(0, 0, -0.4, v0);
      let o = env.step(zeros()).observation;
      for (let t = 1; t < steps; t++) o = env.step(zeros()).observation;
      return o[OBS.jointVel];
    };
    // 5 control steps = 0.2 s = one time constant of 2 N s/m on 0.4 kg.
    const free = await speedAfter(0, 5);
    const damped = await speedAfter(2, 5);
    expect(free).toBeCloseTo(v0, 2);
    expect(damped / v0).toBeGreaterThan(Math.exp(-1) * 0.85);
    expect(damped / v0).toBeLessThan(Math.exp(-1) * 1.15);
  });

  it('friction holds a vertical slider against its weight only when it exceeds it', async () => {
    // 0.2 kg on a vertical joint: 1.96 N of weight.
    const vertical = (f: number) => slider({ axis: [0, 0, 1], limits: [0, 0.1], initial: 0.05, mass: 0.2, jointFriction: f });
    const held = await run(jointTask('friction-holds', vertical(3)));
    let q = 0;
    for (let t = 0; t < 50; t++) q = jointPos(held.env.step(zeros()).observation);
    expect(Math.abs(q - 0.05)).toBeLessThan(1e-4);
    const slips = await run(jointTask('friction-slips', vertical(1)));
    for (let t = 0; t < 25; t++) q = jointPos(slips.env.step(zeros()).observation);
    expect(q).toBeLessThan(0.002);
    // Thrown up at 0.5 m/s against friction and weight (3 + 1.96 N on 0.2 kg): it stops after
    // v^2 / 2a = 5 mm, and stays there.
    held.env.setJointState(0, 0, 0.05, 0.5);
    for (let t = 0; t < 5; t++) q = jointPos(held.env.step(zeros()).observation);
    expect(q - 0.05).toBeGreaterThan(0.004);
    expect(q - 0.05).toBeLessThan(0.006);
    for (let t = 0; t < 20; t++) expect(jointPos(held.env.step(zeros()).observation)).toBeCloseTo(q, 6);
  });

  it('a part placed at rest that its friction holds sleeps, and the hand wakes it and pulls it open', async () => {
    // Friction would hold the closed drawer exactly where it is, so it sleeps from the first
    // substep on (it costs the solver nothing) until the hand touches it.
    const env = await VecEnv.create({ tasks: ['drawer-open'], numEnvs: 1, terminateOnSuccess: false });
    let s = env.reset({ seed: 5 });
    const drawer = firstPartBody(env);
    s = env.step(zeros());
    expect(drawer.isSleeping()).toBe(true);
    for (let t = 0; t < 30; t++) s = env.step(zeros());
    expect(drawer.isSleeping()).toBe(true);
    expect(Math.abs(jointPos(s.observation))).toBeLessThan(1e-6);
    let most = 0;
    for (let t = 0; t < 40; t++) {
      s = env.step(env.expertActions(s.observation));
      most = Math.max(most, jointPos(s.observation));
    }
    expect(drawer.isSleeping()).toBe(false);
    expect(most).toBeGreaterThan(0.09);
  });

  it('a part placed where its friction cannot hold it does not sleep', async () => {
    // 0.2 kg on a vertical joint (1.96 N of weight) against 1 N of friction: it must slide down, so
    // the first substep must not find it stopped.
    const task = jointTask('friction-slips-awake', slider({ axis: [0, 0, 1], limits: [0, 0.1], initial: 0.05, mass: 0.2, jointFriction: 1 }));
    const { env } = await run(task);
    const body = firstPartBody(env);
    env.step(zeros());
    expect(body.isSleeping()).toBe(false);
  });

  it('observes joint velocity as the change of joint position over the control step', async () => {
    const { env } = await run(jointTask('velocity', slider({ limits: [-0.5, 0.5] })));
    env.setJointState(0, 0, 0, 0.2);
    const a = env.step(zeros()).observation;
    const b = env.step(zeros()).observation;
    expect(b[OBS.jointVel]).toBeCloseTo((b[OBS.jointPos] - a[OBS.jointPos]) / CONTROL_DT, 4);
    expect(b[OBS.jointVel]).toBeCloseTo(0.2, 2);
  });
});

describe('fixture pieces', () => {
  /** A static fixture of one plank (turned by `rotation`) and a cylinder, with a block placed at `block`. */
  const plank = (rotation: Vec3 | undefined, block: Vec3): TaskDefinition =>
    defineTask({
      name: 'plank',
      description: 'a rotated plank and a cylinder, for tests',
      maxSteps: 100,
      metadata: { objectKind: 'block', needsGrasp: false, usesFixture: true, goalInAir: false },
      object: { shape: 'box', halfExtents: [0.02, 0.02, 0.02], mass: 0.05, color: '#ebcb8b' },
      fixture: {
        color: '#4c566a',
        parts: [
          { halfExtents: [0.1, 0.01, 0.03], offset: [0, 0, 0.03], rotation },
          { shape: 'cylinder', radius: 0.03, halfHeight: 0.05, offset: [0.2, 0, 0.05], rotation: [Math.PI / 2, 0, 0], color: '#bf616a' },
        ],
      },
      initializeEpisode(ctx) {
        ctx.placeFixture([0, 0, 0], 0.3);
        ctx.placeObject(block);
        ctx.setGoal([0, 0, 0.1]);
      },
      achievedGoal: (s) => s.objectPos,
      isSuccess: () => false,
      denseReward: () => 0,
    });

  it('are turned by their rotation, in the collider as in the viewer', async () => {
    // Turned 90 degrees about z, the plank runs along the fixture's y: a block 6 cm out along the
    // fixture's y axis overlaps it; unturned, it would not.
    const out: Vec3 = [-0.06 * Math.sin(0.3), 0.06 * Math.cos(0.3), 0.02];
    const unturned = await VecEnv.create({ tasks: [plank(undefined, out)], numEnvs: 1 });
    expect(() => unturned.reset({ seed: 1 })).not.toThrow();
    const turned = await VecEnv.create({ tasks: [plank([0, 0, Math.PI / 2], out)], numEnvs: 1 });
    expect(() => turned.reset({ seed: 1 })).toThrow(/object 0 overlaps fixture part 0 by/);
    const parts = unturned.describeScene().envs[0].bodies.find((b) => b.name === 'fixture')!.parts;
    // A cylinder lies along local +Y in the viewer: Rapier's axis, then the piece's roll of 90 degrees.
    expect(parts[1].geometry).toEqual({ shape: 'cylinder', radius: 0.03, halfHeight: 0.05 });
    const axis = rotate(parts[1].rotation, [0, 1, 0]);
    axis.forEach((x, k) => expect(x).toBeCloseTo([0, -1, 0][k], 9));
    expect(parts[1].color).toBe('#bf616a');
    expect(parts[0].color).toBe('#4c566a');
  });

  it('stop objects as solid shapes: a block dropped on the lying cylinder rests on top of it', async () => {
    // The cylinder (r 3 cm) lies along the fixture's y at x = 0.2 (fixture yaw 0.3): its top is at 8 cm.
    const top = rotateYaw(0.3, [0.2, 0, 0]);
    const env = await VecEnv.create({ tasks: [plank(undefined, [top[0], top[1], 0.15])], numEnvs: 1 });
    let s = env.reset({ seed: 1 });
    for (let t = 0; t < 25; t++) s = env.step(zeros());
    expect(s.observation[OBS.objectPos + 2]).toBeGreaterThan(0.08 + 0.02 - 0.004);
  });
});

describe('fixture pose and fixturePoint', () => {
  const cases: [string, MovingPartSpec, number][] = [
    ['prismatic', slider({ axis: [1, 1, 0] }), 0.8],
    ['revolute', flap({ axis: [0, -1, 0.2] }), -1.1],
  ];
  for (const [kind, part, yaw] of cases) {
    it(`places a ${kind} part with the fixture's yaw where fixturePoint says, before and after it moves`, async () => {
      const origin: Vec3 = [0.12, -0.05, 0.02];
      const task = jointTask(`pose-${kind}`, { ...part, initial: part.limits[0] + 0.02 } as MovingPartSpec, origin, yaw);
      const { env, first } = await run(task);
      const check = (obs: Float32Array) => {
        const v = new TaskStateView(obs.subarray(0, OBS_DIM), new Float32Array(3), task);
        expect(v.fixtureYaw).toBeCloseTo(yaw, 5);
        Array.from(v.fixturePos).forEach((x, k) => expect(x).toBeCloseTo(origin[k], 6));
        const base = bodyPose(env, 'fixture');
        const body = bodyPose(env, `fixture-${part.name}`);
        for (const local of [
          [0, 0, 0],
          [-0.06, 0.01, 0.1],
          [0.03, -0.02, 0.05],
        ] as Vec3[]) {
          const onBase = rotate(base.q, local).map((x, k) => x + base.p[k]);
          v.fixturePoint(local).forEach((x, k) => expect(x).toBeCloseTo(onBase[k], 5));
          const onPart = rotate(body.q, local).map((x, k) => x + body.p[k]);
          v.fixturePoint(local, 0).forEach((x, k) => expect(x).toBeCloseTo(onPart[k], 5));
        }
        // The joint position in the observation is the part's pose relative to the base.
        const rel = quatMul(quatConj(base.q), body.q);
        const relPos = rotate(quatConj(base.q), body.p.map((x, k) => x - base.p[k]));
        expect(jointPosition(part, unitAxis(part), relPos, rel)).toBeCloseTo(v.jointPos[0], 5);
        return v.jointPos[0];
      };
      // (A free flap falls a little under its weight in the physics step a reset ends with.)
      expect(check(first.observation)).toBeCloseTo(part.limits[0] + 0.02, 2);
      env.setJointState(0, 0, part.limits[0] + 0.05, 0.4);
      let s = env.step(zeros());
      for (let t = 0; t < 3; t++) s = env.step(zeros());
      expect(check(s.observation)).toBeGreaterThan(part.limits[0] + 0.05);
    });
  }

  it('reads zero fixture slots for tasks without a fixture and fills them for the drawer', async () => {
    const env = await VecEnv.create({ tasks: ['reach', 'drawer-open'], numEnvs: 2 });
    const s = env.reset({ seed: 9 });
    const row = (i: number) => s.observation.subarray(i * OBS_DIM, (i + 1) * OBS_DIM);
    expect(Array.from(row(0).subarray(OBS.fixtureQuat, OBS.jointVel + 2)).every((x) => x === 0)).toBe(true);
    const q = row(1).subarray(OBS.fixtureQuat, OBS.fixtureQuat + 4);
    expect(Math.hypot(...q)).toBeCloseTo(1, 6);
    expect(q[0]).toBe(0);
    expect(q[1]).toBe(0);
    expect(row(1)[OBS.jointPos]).toBeCloseTo(0, 6); // the drawer starts closed
    expect(row(1)[OBS.jointPos + 1]).toBe(0); // no second moving part
  });
});

describe('pieces that only show (solid: false)', () => {
  /** The hand pressed down for 40 steps onto a 2 cm slab whose top is 10 cm up; the tcp's lowest height. */
  async function pressOnSlab(solid: boolean): Promise<number> {
    const task = defineTask({
      name: `slab-${solid}`,
      description: 'a slab under the hand, for tests',
      maxSteps: 1000,
      metadata: { objectKind: 'none', needsGrasp: false, usesFixture: true, goalInAir: false },
      fixture: { color: '#4c566a', parts: [{ halfExtents: [0.08, 0.08, 0.01], offset: [0, 0, 0.09], solid }] },
      initializeEpisode(ctx) {
        ctx.placeHand([0, 0, 0.2]);
        ctx.placeFixture([0, 0, 0], 0);
        ctx.setGoal([0.2, 0.2, 0.1]);
      },
      achievedGoal: (s) => s.tcp,
      isSuccess: () => false,
      denseReward: () => 0,
    });
    const env = await VecEnv.create({ tasks: [task], numEnvs: 1 });
    let s = env.reset({ seed: 1 });
    let lowest = Infinity;
    for (let k = 0; k < 40; k++) {
      s = env.step(Float32Array.from([0, 0, -1, -1]));
      lowest = Math.min(lowest, s.observation[OBS.tcp + 2]);
    }
    env.close();
    return lowest;
  }

  it('a solid piece stops the hand; the same piece with solid: false is drawn but lets it through', async () => {
    expect(await pressOnSlab(true)).toBeGreaterThan(0.1);
    expect(await pressOnSlab(false)).toBeLessThan(0.08);
  });

  it('a moving part needs a solid piece to carry its mass, and says so', () => {
    expect(() => jointTask('all-shown', slider({ parts: [{ halfExtents: [0.03, 0.03, 0.02], offset: [0, 0, 0.05], solid: false }] }))).toThrow(/needs at least one solid piece/);
  });
});
