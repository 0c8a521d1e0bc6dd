// sweep-into, button-press, door-open and door-close in real Rapier worlds: resets sample the
// fixture's pose, the puck, the door's angle and the goal inside the documented ranges, fresh every
// reset; the success predicates on hand-made goal pairs; the dense rewards' range and stages; the
// button's spring returns it when the hand lets go; the door's hinge holds at both limits and the
// door stays where it is left; goal relabeling from stored observations scores as the env does.
import { describe, expect, it } from 'vitest';
import { ACTION_DIM, GOAL_DIM, OBS, OBS_DIM } from '../../sim/layout.ts';
import { dist2, dist3, rotateYaw } from '../../sim/math.ts';
import { getTask } from '../../sim/registry.ts';
import { expertPolicy } from '../../sim/rollout.ts';
import { TaskStateView, type TaskDefinition } from '../../sim/task.ts';
import { BUTTON } from '../../sim/tasks/button-press.ts';
import { DOOR_CLOSE } from '../../sim/tasks/door-close.ts';
import { DOOR_OPEN } from '../../sim/tasks/door-open.ts';
import { doorExpert, doorPointAt, HINGE, HOOK, MAX_ANGLE } from '../../sim/tasks/door.ts';
import { SWEEP } from '../../sim/tasks/sweep-into.ts';
import { computeSparseReward, VecEnv } from '../../sim/vec-env.ts';
import { resets, row } from './helpers.ts';

const EPS = 1e-5;

/** A hand-made state: fixture at `origin` with `yaw`, joint at q, hand at `tcp`, object 0 at `object`. */
function state(task: TaskDefinition, origin: number[], yaw: number, q: number, tcp: ArrayLike<number>, goal: ArrayLike<number>, object: number[] = [0, 0, 0]) {
  const o = new Float32Array(OBS_DIM);
  o.set(Array.from(tcp), OBS.tcp);
  o.set(object, OBS.objectPos);
  o.set(origin, OBS.fixturePos);
  o.set([0, 0, Math.sin(yaw / 2), Math.cos(yaw / 2)], OBS.fixtureQuat);
  o[OBS.jointPos] = q;
  return new TaskStateView(o, Float32Array.from(goal), task);
}

/** Every reset lands inside the workspace the hand can reach. */
function expectReachable(p: ArrayLike<number>) {
  expect(Math.abs(p[0])).toBeLessThanOrEqual(0.3);
  expect(Math.abs(p[1])).toBeLessThanOrEqual(0.3);
  expect(p[2]).toBeGreaterThanOrEqual(0);
  expect(p[2]).toBeLessThanOrEqual(0.35);
}

/** Dense rewards of many random states are in [0, 1], and 1 exactly when successful. */
function expectDenseInRange(task: TaskDefinition, make: (u: () => number) => TaskStateView, achievedOf: (s: TaskStateView) => ArrayLike<number>) {
  let seed = 7;
  const u = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let k = 0; k < 500; k++) {
    const s = make(u);
    const a = achievedOf(s);
    const success = task.isSuccess(a, s.goal);
    const r = task.denseReward(s, a, success);
    expect(r).toBeGreaterThanOrEqual(0);
    expect(r).toBeLessThanOrEqual(1);
    if (success) expect(r).toBe(1);
    else expect(r).toBeLessThan(1);
  }
}

describe('sweep-into', () => {
  const task = getTask('sweep-into');

  it('places the frame in range with a fresh yaw and the puck in range at least 15 cm away; goal the middle of the frame', async () => {
    const rs = await resets('sweep-into', 64);
    const yaws = new Set<number>();
    for (const { view: v, achieved, desired } of rs) {
      const [fx, fy, fz] = v.fixturePos;
      expect(fx).toBeGreaterThanOrEqual(0.22);
      expect(fx).toBeLessThanOrEqual(0.27);
      expect(Math.abs(fy)).toBeLessThanOrEqual(0.15);
      expect(fz).toBe(0);
      expect(Math.abs(v.fixtureYaw)).toBeLessThanOrEqual(0.3 + EPS);
      yaws.add(v.fixtureYaw);
      const [px, py] = v.objectPos;
      expect(px).toBeGreaterThanOrEqual(-0.12);
      expect(px).toBeLessThanOrEqual(0.08);
      expect(Math.abs(py)).toBeLessThanOrEqual(0.15);
      expect(dist2(v.objectPos, desired)).toBeGreaterThanOrEqual(0.15 - EPS);
      achieved.forEach((c, k) => expect(c).toBeCloseTo(v.objectPos[k], 6));
      expect(desired[0]).toBeCloseTo(fx, 5);
      expect(desired[1]).toBeCloseTo(fy, 5);
      expect(task.isSuccess(achieved, desired)).toBe(false);
    }
    expect(yaws.size).toBe(64);
  });

  it('counts success when the puck centre is inside the frame: within 4 cm of its middle, the mouth 4 cm in front', () => {
    const goal = [0.25, 0.05, 0.015];
    const yaw = 0.3;
    // A point given in the frame's axes (along its axis from the middle, across).
    const at = (along: number, across: number) => {
      const w = rotateYaw(yaw, [along, across, 0]);
      return [goal[0] + w[0], goal[1] + w[1], 0.015];
    };
    const free = SWEEP.MOUTH_HALF - SWEEP.RADIUS; // how far across the walls let the centre go
    expect(task.isSuccess(at(0, 0), goal)).toBe(true);
    expect(task.isSuccess(at(SWEEP.DEPTH / 2 - SWEEP.RADIUS, 0), goal)).toBe(true); // against the back wall
    expect(task.isSuccess(at(0, free), goal)).toBe(true); // against a side wall
    expect(task.isSuccess(at(0, -free), goal)).toBe(true);
    expect(task.isSuccess(at(-SWEEP.DEPTH / 2 + 0.001, 0), goal)).toBe(true); // just inside the mouth
    expect(task.isSuccess(at(-SWEEP.DEPTH / 2 - 0.002, 0), goal)).toBe(false); // just outside it
    expect(task.isSuccess(at(-0.15, 0), goal)).toBe(false);
  });

  it('keeps the dense reward in [0, 1] and stages it: reach the puck, then bring it to the frame', () => {
    const goal = [0.25, 0, 0.015];
    expectDenseInRange(
      task,
      (u) => state(task, [0.25, 0, 0], 0, 0, [u() * 0.6 - 0.3, u() * 0.6 - 0.3, 0.03 + u() * 0.3], goal, [u() * 0.5 - 0.2, u() * 0.5 - 0.25, 0.015]),
      (s) => s.objectPos,
    );
    const dense = (tcp: number[], puck: number[]) => {
      const s = state(task, [0.25, 0, 0], 0, 0, tcp, goal, puck);
      return task.denseReward(s, s.objectPos, task.isSuccess(s.objectPos, goal));
    };
    const away = dense([-0.2, 0.2, 0.3], [-0.05, 0, 0.015]);
    const reached = dense([-0.09, 0, 0.03], [-0.05, 0, 0.015]);
    const half = dense([0.05, 0, 0.03], [0.09, 0, 0.015]);
    expect(reached).toBeGreaterThan(away);
    expect(half).toBeGreaterThan(reached);
    expect(half).toBeLessThan(1);
    expect(dense([0.2, 0, 0.03], [0.24, 0, 0.015])).toBe(1);
  });
});

describe('button-press', () => {
  const task = getTask('button-press');
  const topAt = (origin: number[], yaw: number, q: number) => state(task, origin, yaw, q, [0, 0, 0.2], [0, 0, 0]).fixturePoint(BUTTON.TOP, 0);

  it('places the box in range with a fresh yaw, the button up; goal the top pressed 2 cm straight down', async () => {
    const rs = await resets('button-press', 64);
    const yaws = new Set<number>();
    for (const { view: v, achieved, desired } of rs) {
      const [x, y, z] = v.fixturePos;
      expect(x).toBeGreaterThanOrEqual(-0.05);
      expect(x).toBeLessThanOrEqual(0.2);
      expect(Math.abs(y)).toBeLessThanOrEqual(0.15);
      expect(z).toBe(0);
      expect(Math.abs(v.fixtureYaw)).toBeLessThanOrEqual(0.5 + EPS);
      yaws.add(v.fixtureYaw);
      expect(Math.abs(v.jointPos[0])).toBeLessThan(1e-3);
      expect(achieved[0]).toBeCloseTo(x, 4);
      expect(achieved[1]).toBeCloseTo(y, 4);
      expect(achieved[2]).toBeCloseTo(BUTTON.TOP[2] - v.jointPos[0], 4);
      expect(desired[0]).toBeCloseTo(x, 4);
      expect(desired[1]).toBeCloseTo(y, 4);
      expect(desired[2]).toBeCloseTo(BUTTON.TOP[2] - BUTTON.TRAVEL, 4);
      expectReachable(desired);
      expect(task.isSuccess(achieved, desired)).toBe(false);
    }
    expect(yaws.size).toBe(64);
  });

  it('counts success when pressed 1.4 cm or more of its 2 cm', () => {
    const origin = [0.1, -0.05, 0];
    const goal = topAt(origin, 0.4, BUTTON.TRAVEL);
    expect(task.isSuccess(topAt(origin, 0.4, BUTTON.TRAVEL), goal)).toBe(true);
    expect(task.isSuccess(topAt(origin, 0.4, 0.0141), goal)).toBe(true);
    expect(task.isSuccess(topAt(origin, 0.4, 0.0139), goal)).toBe(false);
    expect(task.isSuccess(topAt(origin, 0.4, 0), goal)).toBe(false);
  });

  it('keeps the dense reward in [0, 1] and stages it: over the button, then pressing', () => {
    const origin = [0.1, 0.05, 0];
    const goal = topAt(origin, 0, BUTTON.TRAVEL);
    expectDenseInRange(
      task,
      (u) => state(task, origin, 0, u() * BUTTON.TRAVEL, [u() * 0.6 - 0.3, u() * 0.6 - 0.3, 0.03 + u() * 0.3], goal),
      (s) => s.fixturePoint(BUTTON.TOP, 0),
    );
    const dense = (q: number, tcp: number[]) => {
      const s = state(task, origin, 0, q, tcp, goal);
      const a = s.fixturePoint(BUTTON.TOP, 0);
      return task.denseReward(s, a, task.isSuccess(a, goal));
    };
    const onTop = (q: number) => [origin[0], origin[1], BUTTON.TOP[2] - q + 0.025];
    const away = dense(0, [-0.2, -0.2, 0.3]);
    const reached = dense(0, onTop(0));
    const half = dense(0.01, onTop(0.01));
    expect(reached).toBeGreaterThan(away + 0.2);
    expect(half).toBeGreaterThan(reached);
    expect(half).toBeLessThan(1);
    expect(dense(0.016, onTop(0.016))).toBe(1);
  });

  it('stays up untouched, goes down under the hand, and springs back up when the hand lifts', async () => {
    const n = 4;
    const env = await VecEnv.create({ tasks: ['button-press'], numEnvs: n, terminateOnSuccess: false });
    let s = env.reset({ seed: 3 });
    const q = (i: number) => s.observation[i * OBS_DIM + OBS.jointPos];
    // Untouched (the hand starts 4 cm or more above the button): gravity sags it by m g / k only.
    for (let t = 0; t < 10; t++) s = env.step(new Float32Array(n * ACTION_DIM));
    for (let i = 0; i < n; i++) expect(q(i)).toBeLessThan(1e-3);
    // The expert presses every button down (the joint's limit stops it at 2 cm).
    const deepest = new Array(n).fill(0);
    for (let t = 0; t < 40; t++) {
      s = env.step(expertPolicy.act(env, s));
      for (let i = 0; i < n; i++) deepest[i] = Math.max(deepest[i], q(i));
    }
    for (let i = 0; i < n; i++) {
      expect(deepest[i]).toBeGreaterThan(0.015);
      expect(deepest[i]).toBeLessThan(BUTTON.TRAVEL + 0.004); // the limit gives a little under the hand's 25 N
    }
    // Straight up: the spring brings the button back.
    const up = new Float32Array(n * ACTION_DIM);
    for (let i = 0; i < n; i++) {
      up[i * ACTION_DIM + 2] = 1;
      up[i * ACTION_DIM + 3] = 1;
    }
    for (let t = 0; t < 15; t++) s = env.step(up);
    for (let i = 0; i < n; i++) expect(q(i)).toBeLessThan(1e-3);
    env.close();
  });
});

describe('door-open and door-close', () => {
  const open = getTask('door-open');
  const close = getTask('door-close');
  const handleAt = (origin: number[], yaw: number, q: number) => doorPointAt(origin, yaw, DOOR_OPEN.HANDLE, q);
  /** The angle whose chord on the handle's circle is 3 cm: the success tolerance in door angle. */
  const dq = 2 * Math.asin(0.03 / 2 / Math.hypot(DOOR_OPEN.HANDLE[0] - HINGE[0], DOOR_OPEN.HANDLE[1] - HINGE[1]));

  it('doorPointAt agrees with TaskState.fixturePoint (the scene places the door with the same transform)', () => {
    for (const [yaw, q] of [
      [0, 0],
      [0.3, 1.2],
      [-0.2, 0.7],
    ]) {
      const s = state(open, [0.15, -0.05, 0], yaw, q, [0, 0, 0.2], [0, 0, 0]);
      s.fixturePoint(HOOK, 0).forEach((c, k) => expect(c).toBeCloseTo(doorPointAt([0.15, -0.05, 0], yaw, HOOK, q)[k], 6));
    }
    // Opening swings the handle toward the robot (-x at yaw 0).
    expect(handleAt([0.15, 0, 0], 0, 1)[0]).toBeLessThan(handleAt([0.15, 0, 0], 0, 0)[0] - 0.05);
  });

  for (const name of ['door-open', 'door-close'] as const) {
    it(`${name}: places the door in range with a fresh yaw, at its start angle, goal the handle at the target angle`, async () => {
      const task = getTask(name);
      const rs = await resets(name, 64);
      const yaws = new Set<number>();
      for (const { view: v, achieved, desired } of rs) {
        const [x, y, z] = v.fixturePos;
        expect(x).toBeGreaterThanOrEqual(0.1);
        expect(x).toBeLessThanOrEqual(0.2);
        expect(Math.abs(y)).toBeLessThanOrEqual(0.1);
        expect(z).toBe(0);
        expect(Math.abs(v.fixtureYaw)).toBeLessThanOrEqual(0.3 + EPS);
        yaws.add(v.fixtureYaw);
        const q = v.jointPos[0];
        handleAt(Array.from(v.fixturePos), v.fixtureYaw, q).forEach((c, k) => expect(achieved[k]).toBeCloseTo(c, 4));
        if (name === 'door-open') {
          expect(Math.abs(q)).toBeLessThan(1e-4);
          const target = DOOR_OPEN.angleOf(v, desired);
          expect(target).toBeGreaterThanOrEqual(DOOR_OPEN.TARGET[0] - 1e-3);
          expect(target).toBeLessThanOrEqual(DOOR_OPEN.TARGET[1] + 1e-3);
          handleAt(Array.from(v.fixturePos), v.fixtureYaw, target).forEach((c, k) => expect(desired[k]).toBeCloseTo(c, 4));
        } else {
          expect(q).toBeGreaterThanOrEqual(DOOR_CLOSE.START[0] - 1e-3);
          expect(q).toBeLessThanOrEqual(DOOR_CLOSE.START[1] + 1e-3);
          handleAt(Array.from(v.fixturePos), v.fixtureYaw, 0).forEach((c, k) => expect(desired[k]).toBeCloseTo(c, 4));
        }
        expectReachable(desired);
        expectReachable(achieved);
        expect(task.isSuccess(achieved, desired)).toBe(false);
      }
      expect(yaws.size).toBe(64);
    });
  }

  it('counts success within 3 cm of the handle: about 0.22 rad of door angle', () => {
    const origin = [0.15, 0.05, 0];
    const yaw = -0.2;
    expect(dq).toBeGreaterThan(0.21);
    expect(dq).toBeLessThan(0.23);
    const opened = handleAt(origin, yaw, 1.2);
    expect(open.isSuccess(handleAt(origin, yaw, 1.2 + 0.98 * dq), opened)).toBe(true);
    expect(open.isSuccess(handleAt(origin, yaw, 1.2 - 0.98 * dq), opened)).toBe(true);
    expect(open.isSuccess(handleAt(origin, yaw, 1.2 - 1.02 * dq), opened)).toBe(false);
    expect(open.isSuccess(handleAt(origin, yaw, 0), opened)).toBe(false);
    const closed = handleAt(origin, yaw, 0);
    expect(close.isSuccess(handleAt(origin, yaw, 0.98 * dq), closed)).toBe(true);
    expect(close.isSuccess(handleAt(origin, yaw, 1.02 * dq), closed)).toBe(false);
  });

  it('keeps the dense rewards in [0, 1] and stages them: reach the handle, then swing', () => {
    const origin = [0.15, 0, 0];
    const yaw = 0.2;
    for (const [task, from, to, point] of [
      [open, 0, 1.2, HOOK],
      [close, 1.3, 0, DOOR_CLOSE.PUSH],
    ] as const) {
      const goal = handleAt(origin, yaw, to);
      expectDenseInRange(
        task,
        (u) => state(task, origin, yaw, u() * MAX_ANGLE, [u() * 0.6 - 0.3, u() * 0.6 - 0.3, 0.03 + u() * 0.3], goal),
        (s) => s.fixturePoint(DOOR_OPEN.HANDLE, 0),
      );
      const dense = (q: number, tcp: ArrayLike<number>) => {
        const s = state(task, origin, yaw, q, tcp, goal);
        const a = s.fixturePoint(DOOR_OPEN.HANDLE, 0);
        return task.denseReward(s, a, task.isSuccess(a, goal));
      };
      const spot = (q: number) => doorPointAt(origin, yaw, point, q);
      const mid = (from + to) / 2;
      const away = dense(from, [-0.25, -0.25, 0.3]);
      const reached = dense(from, spot(from));
      const half = dense(mid, spot(mid));
      const nearly = dense(to + (from - to) * 0.25, spot(to + (from - to) * 0.25));
      expect(reached).toBeGreaterThan(away + 0.2);
      expect(half).toBeGreaterThan(reached);
      expect(nearly).toBeGreaterThan(half);
      expect(nearly).toBeLessThan(1);
      expect(dense(to, spot(to))).toBe(1);
    }
  });

  it('holds the door at both hinge limits under the hand, and leaves it where it is when untouched', async () => {
    const n = 8;
    // Untouched, an open door stays open (damped, the hinge vertical: gravity does not turn it).
    const env = await VecEnv.create({ tasks: ['door-close', 'door-open'], numEnvs: n, terminateOnSuccess: false });
    let s = env.reset({ seed: 4 });
    const q = (i: number) => s.observation[i * OBS_DIM + OBS.jointPos];
    const q0 = Array.from({ length: n }, (_, i) => q(i));
    for (let t = 0; t < 30; t++) s = env.step(new Float32Array(n * ACTION_DIM));
    for (let i = 0; i < n; i++) expect(Math.abs(q(i) - q0[i])).toBeLessThan(1e-3);
    // door-close's expert pushes on past closed (it aims a quarter radian beyond); door-open's
    // hand pulls on past the upper limit. The limits hold both within about 0.03 rad.
    const pullPast = doorExpert(HOOK, () => MAX_ANGLE + 1);
    const memories = Array.from({ length: n }, () => ({}));
    const lo = new Array(n).fill(Infinity);
    const hi = new Array(n).fill(-Infinity);
    for (let t = 0; t < 90; t++) {
      const a = expertPolicy.act(env, s);
      for (let i = 0; i < n; i++) {
        if (env.tasks[env.taskOfEnv[i]].name !== 'door-open') continue;
        const v = new TaskStateView(row(s.observation, i, OBS_DIM), row(s.desiredGoal, i, GOAL_DIM), open);
        a.set(Array.from(pullPast(v, memories[i]), (x) => Math.max(-1, Math.min(1, x))), i * ACTION_DIM);
      }
      s = env.step(a);
      for (let i = 0; i < n; i++) {
        lo[i] = Math.min(lo[i], q(i));
        hi[i] = Math.max(hi[i], q(i));
      }
    }
    for (let i = 0; i < n; i++) {
      expect(lo[i]).toBeGreaterThan(-0.03);
      expect(hi[i]).toBeLessThan(MAX_ANGLE + 0.03);
      if (env.tasks[env.taskOfEnv[i]].name === 'door-open') expect(hi[i]).toBeGreaterThan(MAX_ANGLE - 0.1);
      else expect(lo[i]).toBeLessThan(0.05);
    }
    env.close();
  });
});

describe('relabeling from stored observations (sweep-into, button-press, door-open, door-close)', () => {
  it("gives the env's own achieved goals and rewards, and scores relabeled goals with the task's predicate", async () => {
    const names = ['sweep-into', 'button-press', 'door-open', 'door-close'];
    const env = await VecEnv.create({ tasks: names, numEnvs: 8, terminateOnSuccess: false });
    let s = env.reset({ seed: 21 });
    const achievedOf: Record<string, (v: TaskStateView) => ArrayLike<number>> = {
      'sweep-into': (v) => v.objectPos,
      'button-press': (v) => v.fixturePoint(BUTTON.TOP, 0),
      'door-open': (v) => v.fixturePoint(DOOR_OPEN.HANDLE, 0),
      'door-close': (v) => v.fixturePoint(DOOR_CLOSE.HANDLE, 0),
    };
    const successes = new Set<string>();
    for (let t = 0; t < 60; t++) {
      const r = env.step(expertPolicy.act(env, s));
      for (let i = 0; i < 8; i++) {
        const k = env.taskOfEnv[i];
        const task = env.tasks[k];
        // An episode that ended at this step (button-press's 60-step limit) is reset inside the
        // step: its last state is in the final* fields, the row is the next episode's first.
        const ended = r.finalInfo[i] !== null;
        const obs = ended ? r.finalObservation[i]! : row(r.observation, i, OBS_DIM);
        const desired = ended ? r.finalDesiredGoal[i]! : row(r.desiredGoal, i, GOAL_DIM);
        const envAchieved = ended ? r.finalAchievedGoal[i]! : row(r.achievedGoal, i, GOAL_DIM);
        if (r.reward[i] === 0) successes.add(task.name);
        // The achieved goal from a copy of the stored observation and the task's spec alone.
        const achieved = Float32Array.from(achievedOf[task.name](new TaskStateView(obs, desired, task)));
        expect(dist3(achieved, envAchieved)).toBeLessThan(1e-6);
        expect(Array.from(env.computeReward(k, achieved, desired))).toEqual([r.reward[i]]);
        expect(Array.from(computeSparseReward(task, achieved, achieved, new Float32Array(1)))).toEqual([0]);
        expect(Array.from(computeSparseReward(task, achieved, Float32Array.from([achieved[0] + 0.1, achieved[1], achieved[2]]), new Float32Array(1)))).toEqual([-1]);
      }
      s = r;
    }
    expect([...successes].sort()).toEqual([...names].sort());
    env.close();
  });
});
