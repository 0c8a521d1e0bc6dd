// drawer-close, window-open, window-close and lever-pull, in real Rapier worlds: resets sample the
// fixture's pose, the starting joint position and the goal inside the documented ranges, fresh every
// reset; the success predicates on hand-made goal pairs; the dense rewards' range and stages; the
// lever stays where it is left; and goal relabeling from stored observations scores as the env does.
import { describe, expect, it } from 'vitest';
import { OBS, OBS_DIM, GOAL_DIM } from '../../sim/layout.ts';
import { dist3, rotateYaw } from '../../sim/math.ts';
import { getTask } from '../../sim/registry.ts';
import { expertPolicy } from '../../sim/rollout.ts';
import { TaskStateView, type TaskDefinition, type Vec3 } from '../../sim/task.ts';
import { DRAWER_CLOSE } from '../../sim/tasks/drawer-close.ts';
import { LEVER } from '../../sim/tasks/lever-pull.ts';
import { WINDOW_CLOSE } from '../../sim/tasks/window-close.ts';
import { WINDOW_OPEN } from '../../sim/tasks/window-open.ts';
import { computeSparseReward, VecEnv } from '../../sim/vec-env.ts';
import { resets, row } from './helpers.ts';

const EPS = 1e-5;

/** A hand-made state: fixture at `origin` with `yaw`, joint at q, hand at `tcp` with finger gap `gap`. */
function fixtureState(task: TaskDefinition, origin: number[], yaw: number, q: number, tcp: number[], goal: ArrayLike<number>, gap = 0) {
  const o = new Float32Array(OBS_DIM);
  o.set(tcp, OBS.tcp);
  o[OBS.gripperGap] = gap;
  o.set(origin, OBS.fixturePos);
  o.set([0, 0, Math.sin(yaw / 2), Math.cos(yaw / 2)], OBS.fixtureQuat);
  o[OBS.jointPos] = q;
  return new TaskStateView(o, Float32Array.from(goal), task);
}

/** Distance in the table plane from p to the segment from a to b. */
function distToSegment2(p: ArrayLike<number>, a: ArrayLike<number>, b: ArrayLike<number>): number {
  const ux = b[0] - a[0];
  const uy = b[1] - a[1];
  const t = Math.max(0, Math.min(1, ((p[0] - a[0]) * ux + (p[1] - a[1]) * uy) / (ux * ux + uy * uy)));
  return Math.hypot(p[0] - a[0] - t * ux, p[1] - a[1] - t * uy);
}

/** Every reset lands inside the workspace the hand can reach (goals and the handle alike). */
function expectReachable(p: ArrayLike<number>) {
  expect(Math.abs(p[0])).toBeLessThanOrEqual(0.3);
  expect(Math.abs(p[1])).toBeLessThanOrEqual(0.3);
  expect(p[2]).toBeGreaterThanOrEqual(0.03);
  expect(p[2]).toBeLessThanOrEqual(0.35);
}

describe('drawer-close', () => {
  const task = getTask('drawer-close');
  const handleAt = (origin: number[], yaw: number, q: number) => fixtureState(task, origin, yaw, q, [0, 0, 0.2], [0, 0, 0]).fixturePoint(DRAWER_CLOSE.HANDLE, 0);

  it('places the cabinet in range with a fresh yaw, the drawer open 7-14 cm, goal the handle closed', async () => {
    const rs = await resets('drawer-close', 64);
    const yaws = new Set<number>();
    const openings: number[] = [];
    for (const { view: v, achieved, desired } of rs) {
      const [x, y, z] = v.fixturePos;
      expect(x).toBeGreaterThanOrEqual(0.05);
      expect(x).toBeLessThanOrEqual(0.15);
      expect(Math.abs(y)).toBeLessThanOrEqual(0.1);
      expect(z).toBe(0);
      expect(Math.abs(v.fixtureYaw)).toBeLessThanOrEqual(0.35 + EPS);
      yaws.add(v.fixtureYaw);
      const q = v.jointPos[0];
      expect(q).toBeGreaterThanOrEqual(0.07 - EPS);
      expect(q).toBeLessThanOrEqual(0.14 + EPS);
      openings.push(q);
      // Achieved: the handle where it is; desired: the handle pushed back along the axis by q.
      const handle = rotateYaw(v.fixtureYaw, DRAWER_CLOSE.HANDLE).map((c, k) => c + v.fixturePos[k]);
      const back = rotateYaw(v.fixtureYaw, [-q, 0, 0]);
      achieved.forEach((c, k) => expect(c).toBeCloseTo(handle[k] + back[k], 4));
      desired.forEach((c, k) => expect(c).toBeCloseTo(handle[k], 4));
      expectReachable(desired);
      expectReachable(achieved);
      expect(task.isSuccess(achieved, desired)).toBe(false);
    }
    expect(yaws.size).toBe(64);
    expect(Math.min(...openings)).toBeLessThan(0.08);
    expect(Math.max(...openings)).toBeGreaterThan(0.13);
  });

  it('counts success when the handle is within 2 cm of closed, i.e. the drawer open less than 2 cm', () => {
    const origin = [0.12, -0.04, 0];
    const goal = handleAt(origin, -0.3, 0);
    expect(task.isSuccess(handleAt(origin, -0.3, 0), goal)).toBe(true);
    expect(task.isSuccess(handleAt(origin, -0.3, 0.0195), goal)).toBe(true);
    expect(task.isSuccess(handleAt(origin, -0.3, 0.0205), goal)).toBe(false);
    expect(task.isSuccess(handleAt(origin, -0.3, 0.14), goal)).toBe(false);
  });

  it('stages the dense reward: reaching the front of the bar, then closing; 1 only on success', () => {
    const origin = [0.1, 0.05, 0];
    const yaw = 0.25;
    const goal = handleAt(origin, yaw, 0);
    const pushSpot = (q: number) => fixtureState(task, origin, yaw, q, [0, 0, 0], goal).fixturePoint(DRAWER_CLOSE.PUSH, 0);
    const dense = (q: number, tcp: number[]) => {
      const s = fixtureState(task, origin, yaw, q, tcp, goal);
      const a = s.fixturePoint(DRAWER_CLOSE.HANDLE, 0);
      return task.denseReward(s, a, task.isSuccess(a, goal));
    };
    const away = dense(0.12, [-0.25, 0.25, 0.3]);
    const reached = dense(0.12, pushSpot(0.12));
    const half = dense(0.07, pushSpot(0.07));
    const nearly = dense(0.025, pushSpot(0.025));
    expect(away).toBeGreaterThanOrEqual(0);
    expect(reached).toBeGreaterThan(away);
    expect(half).toBeGreaterThan(reached);
    expect(nearly).toBeGreaterThan(half);
    expect(nearly).toBeLessThan(1);
    expect(dense(0.01, pushSpot(0.01))).toBe(1);
  });
});

describe('window-open and window-close', () => {
  const open = getTask('window-open');
  const close = getTask('window-close');
  const handleAt = (task: TaskDefinition, origin: number[], yaw: number, q: number) =>
    fixtureState(task, origin, yaw, q, [0, 0, 0.2], [0, 0, 0]).fixturePoint(WINDOW_OPEN.HANDLE, 0);

  for (const [name, startRange] of [
    ['window-open', [0, 0]],
    ['window-close', WINDOW_CLOSE.START],
  ] as const) {
    it(`${name}: places the window in range with a fresh yaw, the sash at its start, goal the handle slid along the frame`, async () => {
      const task = getTask(name);
      const rs = await resets(name, 64);
      const yaws = new Set<number>();
      for (const { view: v, achieved, desired } of rs) {
        const [x, y, z] = v.fixturePos;
        expect(x).toBeGreaterThanOrEqual(0.16);
        expect(x).toBeLessThanOrEqual(0.22);
        expect(Math.abs(y)).toBeLessThanOrEqual(0.1);
        expect(z).toBe(0);
        expect(Math.abs(v.fixtureYaw)).toBeLessThanOrEqual(0.25 + EPS);
        yaws.add(v.fixtureYaw);
        const q = v.jointPos[0];
        expect(q).toBeGreaterThanOrEqual(startRange[0] - EPS);
        expect(q).toBeLessThanOrEqual(startRange[1] + EPS);
        // The sash slides along the frame's own y axis, turned by the yaw: achieved and desired
        // goals differ by (goal q - q) along it.
        const goalQ = name === 'window-open' ? WINDOW_OPEN.TRAVEL : 0;
        const along = rotateYaw(v.fixtureYaw, [0, goalQ - q, 0]);
        desired.forEach((c, k) => expect(c).toBeCloseTo(achieved[k] + along[k], 4));
        const handle = rotateYaw(v.fixtureYaw, [WINDOW_OPEN.HANDLE[0], WINDOW_OPEN.HANDLE[1] + q, WINDOW_OPEN.HANDLE[2]]).map((c, k) => c + v.fixturePos[k]);
        achieved.forEach((c, k) => expect(c).toBeCloseTo(handle[k], 4));
        expectReachable(desired);
        expectReachable(achieved);
        expect(task.isSuccess(achieved, desired)).toBe(false);
      }
      expect(yaws.size).toBe(64);
    });
  }

  it('counts success within 3 cm: open 9 cm or more to open it, less than 3 cm to close it', () => {
    const origin = [0.2, -0.05, 0];
    const yaw = 0.2;
    const opened = handleAt(open, origin, yaw, WINDOW_OPEN.TRAVEL);
    const closed = handleAt(close, origin, yaw, 0);
    expect(open.isSuccess(handleAt(open, origin, yaw, 0.0905), opened)).toBe(true);
    expect(open.isSuccess(handleAt(open, origin, yaw, 0.0895), opened)).toBe(false);
    expect(open.isSuccess(handleAt(open, origin, yaw, 0), opened)).toBe(false);
    expect(close.isSuccess(handleAt(close, origin, yaw, 0.0295), closed)).toBe(true);
    expect(close.isSuccess(handleAt(close, origin, yaw, 0.0305), closed)).toBe(false);
    expect(close.isSuccess(handleAt(close, origin, yaw, WINDOW_OPEN.TRAVEL), closed)).toBe(false);
  });

  it('stages the dense reward: reaching the spot beside the handle, then sliding; 1 only on success', () => {
    const origin = [0.18, 0.02, 0];
    const yaw = -0.2;
    for (const [task, from, to, side] of [
      [open, 0, WINDOW_OPEN.TRAVEL, -1],
      [close, 0.11, 0, 1],
    ] as const) {
      const goal = handleAt(task, origin, yaw, to);
      // The paddle's spot: 3 cm beside the handle along the slide axis, on the side it pushes from.
      const spot = (q: number) => {
        const h = handleAt(task, origin, yaw, q);
        const a = rotateYaw(yaw, [0, 0.03 * side, 0]);
        return [h[0] + a[0], h[1] + a[1], h[2]];
      };
      const dense = (q: number, tcp: number[]) => {
        const s = fixtureState(task, origin, yaw, q, tcp, goal);
        const a = s.fixturePoint(WINDOW_OPEN.HANDLE, 0);
        return task.denseReward(s, a, task.isSuccess(a, goal));
      };
      const mid = (from + to) / 2;
      const away = dense(from, [-0.25, -0.25, 0.3]);
      const reached = dense(from, spot(from));
      const half = dense(mid, spot(mid));
      const nearly = dense(to + (from - to) * 0.3, spot(to + (from - to) * 0.3));
      expect(away).toBeGreaterThanOrEqual(0);
      expect(reached).toBeGreaterThan(away + 0.2);
      expect(half).toBeGreaterThan(reached);
      expect(nearly).toBeGreaterThan(half);
      expect(nearly).toBeLessThan(1);
      expect(dense(to, spot(to))).toBe(1);
    }
  });
});

describe('lever-pull', () => {
  const task = getTask('lever-pull');
  /** The lever angle at which the knob is at p: inverse of LEVER.knobAt, searched on a fine grid and refined. */
  const angleOf = (origin: ArrayLike<number>, yaw: number, p: ArrayLike<number>) => {
    let best = 0;
    for (let q = -LEVER.LIMIT; q <= LEVER.LIMIT; q += 1e-4) if (dist3(LEVER.knobAt(origin, yaw, q), p) < dist3(LEVER.knobAt(origin, yaw, best), p)) best = q;
    return best;
  };

  it('places the post in range, the lever at a start angle in range, and a target at least 0.45 rad away, up or down', async () => {
    const rs = await resets('lever-pull', 64);
    const yaws = new Set<number>();
    let up = 0;
    let down = 0;
    let over = 0;
    for (const { view: v, achieved, desired } of rs) {
      const [x, y, z] = v.fixturePos;
      expect(x).toBeGreaterThanOrEqual(0.15);
      expect(x).toBeLessThanOrEqual(0.22);
      expect(Math.abs(y)).toBeLessThanOrEqual(0.12);
      expect(z).toBe(0);
      expect(Math.abs(v.fixtureYaw)).toBeLessThanOrEqual(0.3 + EPS);
      yaws.add(v.fixtureYaw);
      const q = v.jointPos[0];
      expect(Math.abs(q)).toBeLessThanOrEqual(LEVER.START + EPS);
      // Achieved: the knob at the lever's angle; desired: the knob at the target angle, on the knob's arc.
      LEVER.knobAt(v.fixturePos, v.fixtureYaw, q).forEach((c, k) => expect(achieved[k]).toBeCloseTo(c, 4));
      const target = angleOf(v.fixturePos, v.fixtureYaw, desired);
      expect(dist3(LEVER.knobAt(v.fixturePos, v.fixtureYaw, target), desired)).toBeLessThan(1e-4);
      expect(Math.abs(target)).toBeLessThanOrEqual(LEVER.TARGET + 1e-3);
      expect(Math.abs(target - q)).toBeGreaterThanOrEqual(LEVER.MIN_TURN - 1e-3);
      if (target > q) up++;
      else down++;
      expectReachable(desired);
      expectReachable(achieved);
      expect(task.isSuccess(achieved, desired)).toBe(false);
      // The hand never starts inside the lever: over it (within 9 cm of the arm in the table
      // plane), its fingertips start at least 3 cm above the knob's top.
      const hinge = rotateYaw(v.fixtureYaw, LEVER.ANCHOR).map((c, k) => c + v.fixturePos[k]);
      if (distToSegment2(v.tcp, achieved, hinge) < 0.09) {
        over++;
        expect(v.tcp[2] - 0.025).toBeGreaterThan(achieved[2] + 0.018 + 0.03);
      }
    }
    expect(yaws.size).toBe(64);
    expect(up).toBeGreaterThan(12);
    expect(down).toBeGreaterThan(12);
    expect(over).toBeGreaterThan(0);
  });

  it('keeps the lever where it is when nothing touches it (counterweighted: gravity does not turn it)', async () => {
    const env = await VecEnv.create({ tasks: ['lever-pull'], numEnvs: 16 });
    const s0 = env.reset({ seed: 5 });
    let s = s0;
    for (let t = 0; t < 50; t++) s = env.step(new Float32Array(16 * 4));
    for (let i = 0; i < 16; i++) expect(Math.abs(s.observation[i * OBS_DIM + OBS.jointPos] - s0.observation[i * OBS_DIM + OBS.jointPos])).toBeLessThan(1e-4);
    env.close();
  });

  it('counts success when the knob is within 2 cm of the target position (about 8.5 degrees)', () => {
    const origin = [0.18, 0.05, 0];
    const yaw = 0.2;
    const goal = LEVER.knobAt(origin, yaw, 0.5);
    const dq = 2 * Math.asin(0.02 / 2 / dist3(LEVER.KNOB, LEVER.ANCHOR)); // angle whose chord is 2 cm
    expect(task.isSuccess(LEVER.knobAt(origin, yaw, 0.5 + dq * 0.98), goal)).toBe(true);
    expect(task.isSuccess(LEVER.knobAt(origin, yaw, 0.5 - dq * 0.98), goal)).toBe(true);
    expect(task.isSuccess(LEVER.knobAt(origin, yaw, 0.5 + dq * 1.02), goal)).toBe(false);
    expect(task.isSuccess(LEVER.knobAt(origin, yaw, -0.2), goal)).toBe(false);
    expect(dq).toBeGreaterThan(0.14);
    expect(dq).toBeLessThan(0.16);
  });

  it('stages the dense reward: reach, grasp, swing; 1 only on success', () => {
    const origin = [0.18, -0.05, 0];
    const yaw = -0.25;
    const goal = LEVER.knobAt(origin, yaw, 0.5);
    const dense = (q: number, tcp: Vec3 | null, gap: number) => {
      const knob = LEVER.knobAt(origin, yaw, q);
      const s = fixtureState(task, origin, yaw, q, tcp ?? knob, goal, gap);
      const a = s.fixturePoint(LEVER.KNOB, 0);
      a.forEach((c, k) => expect(c).toBeCloseTo(knob[k], 6));
      return task.denseReward(s, a, task.isSuccess(a, goal));
    };
    const away = dense(-0.2, [-0.25, 0.25, 0.3], 0.09);
    const reached = dense(-0.2, null, 0.09);
    const grasped = dense(-0.2, null, 0.022);
    const half = dense(0.15, null, 0.022);
    const nearly = dense(0.3, null, 0.022);
    for (const r of [away, reached, grasped, half, nearly]) {
      expect(r).toBeGreaterThanOrEqual(0);
      expect(r).toBeLessThan(1);
    }
    expect(reached).toBeGreaterThan(away);
    expect(grasped).toBeGreaterThan(reached + 0.2);
    expect(half).toBeGreaterThan(grasped);
    expect(nearly).toBeGreaterThan(half);
    expect(dense(0.5, null, 0.022)).toBe(1);
  });
});

describe('relabeling from stored observations (drawer-close, window-open, window-close, lever-pull)', () => {
  it("gives the env's own achieved goals and rewards, and scores relabeled goals with the task's predicate", async () => {
    const names = ['drawer-close', 'window-open', 'window-close', 'lever-pull'];
    const env = await VecEnv.create({ tasks: names, numEnvs: 8, terminateOnSuccess: false });
    let s = env.reset({ seed: 21 });
    const points: Record<string, ArrayLike<number>> = {
      'drawer-close': DRAWER_CLOSE.HANDLE,
      'window-open': WINDOW_OPEN.HANDLE,
      'window-close': WINDOW_OPEN.HANDLE,
      'lever-pull': LEVER.KNOB,
    };
    const stored: { obs: Float32Array; desired: Float32Array; reward: number; env: number }[] = [];
    let successes = 0;
    for (let t = 0; t < 60; t++) {
      const r = env.step(expertPolicy.act(env, s));
      for (let i = 0; i < 8; i++) {
        stored.push({ obs: row(r.observation, i, OBS_DIM), desired: row(r.desiredGoal, i, GOAL_DIM), reward: r.reward[i], env: i });
        if (r.reward[i] === 0) successes++;
      }
      s = r;
    }
    expect(successes).toBeGreaterThan(0);
    for (const { obs, desired, reward, env: i } of stored) {
      const k = env.taskOfEnv[i];
      const task = env.tasks[k];
      // The achieved goal from a copy of the stored observation and the task's spec alone.
      const achieved = Float32Array.from(new TaskStateView(obs, desired, task).fixturePoint(points[task.name], 0));
      expect(Array.from(env.computeReward(k, achieved, desired))).toEqual([reward]);
      // A relabeled goal: the achieved goal itself is a success, a goal 10 cm off is not.
      expect(Array.from(computeSparseReward(task, achieved, achieved, new Float32Array(1)))).toEqual([0]);
      expect(Array.from(computeSparseReward(task, achieved, Float32Array.from([achieved[0], achieved[1], achieved[2] + 0.1]), new Float32Array(1)))).toEqual([-1]);
    }
    env.close();
  });
});
