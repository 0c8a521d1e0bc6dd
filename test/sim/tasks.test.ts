// Each built-in task: resets sample inside the documented ranges and differ from one reset to the
// next; the success predicate and both rewards behave at their documented tolerances.
import { describe, expect, it } from 'vitest';
import { OBS, OBS_DIM } from '../../sim/layout.ts';
import { dist3, rotateYaw } from '../../sim/math.ts';
import { getTask } from '../../sim/registry.ts';
import { TaskStateView, type TaskDefinition } from '../../sim/task.ts';
import { DRAWER } from '../../sim/tasks/drawer-open.ts';
import { STACK } from '../../sim/tasks/stack.ts';
import { computeSparseReward, VecEnv } from '../../sim/vec-env.ts';

async function resets(task: string, n: number) {
  const env = await VecEnv.create({ tasks: [task], numEnvs: n });
  const r = env.reset({ seed: 11 });
  env.close();
  return r;
}

const row = (a: Float32Array, i: number, d: number) => Array.from(a.subarray(i * d, (i + 1) * d));

function state(obs: Partial<Record<keyof typeof OBS, number[]>>, goal: number[], gap = 0.09, task?: TaskDefinition): TaskStateView {
  const o = new Float32Array(OBS_DIM);
  for (const [k, v] of Object.entries(obs)) o.set(v!, OBS[k as keyof typeof OBS]);
  o[OBS.gripperGap] = gap;
  if (obs.objectPos && obs.tcp) for (let k = 0; k < 3; k++) o[OBS.objectRelTcp + k] = obs.objectPos[k] - obs.tcp[k];
  if (obs.object2Pos && obs.tcp) for (let k = 0; k < 3; k++) o[OBS.object2RelTcp + k] = obs.object2Pos[k] - obs.tcp[k];
  return new TaskStateView(o, new Float32Array(goal), task);
}

describe('reach', () => {
  it('samples goals in range, at least 10 cm from the start, fresh every reset', async () => {
    const r = await resets('reach', 64);
    const goals = new Set<string>();
    for (let i = 0; i < 64; i++) {
      const [x, y, z] = row(r.desiredGoal, i, 3);
      expect(Math.abs(x)).toBeLessThanOrEqual(0.25);
      expect(Math.abs(y)).toBeLessThanOrEqual(0.25);
      expect(z).toBeGreaterThanOrEqual(0.05);
      expect(z).toBeLessThanOrEqual(0.3);
      const tcp = row(r.observation, i, OBS_DIM).slice(0, 3);
      expect(Math.hypot(x - tcp[0], y - tcp[1], z - tcp[2])).toBeGreaterThanOrEqual(0.1 - 1e-6);
      goals.add(`${x},${y},${z}`);
      // Object slots stay zero for a task without an object.
      expect(row(r.observation, i, OBS_DIM).slice(OBS.objectPos, OBS.fixturePos + 3).every((v) => v === 0)).toBe(true);
    }
    expect(goals.size).toBe(64);
  });

  it('succeeds within 5 cm; dense reward rises as the hand nears and is 1 on success', () => {
    const t = getTask('reach');
    expect(t.isSuccess([0, 0, 0.1], [0.049, 0, 0.1])).toBe(true);
    expect(t.isSuccess([0, 0, 0.1], [0.051, 0, 0.1])).toBe(false);
    const far = state({ tcp: [0, 0, 0.1] }, [0.3, 0, 0.1]);
    const near = state({ tcp: [0.2, 0, 0.1] }, [0.3, 0, 0.1]);
    const rf = t.denseReward(far, far.tcp, false);
    const rn = t.denseReward(near, near.tcp, false);
    expect(rn).toBeGreaterThan(rf);
    expect(rf).toBeGreaterThanOrEqual(0);
    expect(t.denseReward(near, near.tcp, true)).toBe(1);
  });
});

describe('push', () => {
  it('places the puck and an on-table goal in range, at least 10 cm apart', async () => {
    const r = await resets('push', 32);
    for (let i = 0; i < 32; i++) {
      const o = row(r.observation, i, OBS_DIM);
      const [px, py, pz] = o.slice(OBS.objectPos, OBS.objectPos + 3);
      const [gx, gy, gz] = row(r.desiredGoal, i, 3);
      expect(Math.abs(px)).toBeLessThanOrEqual(0.15);
      expect(Math.abs(py)).toBeLessThanOrEqual(0.15);
      expect(pz).toBeCloseTo(0.015, 3);
      expect(gz).toBeCloseTo(0.015, 6);
      expect(Math.max(Math.abs(gx), Math.abs(gy))).toBeLessThanOrEqual(0.2);
      expect(Math.hypot(gx - px, gy - py)).toBeGreaterThanOrEqual(0.1 - 1e-6);
      // achieved goal = puck position
      expect(row(r.achievedGoal, i, 3)).toEqual([px, py, pz]);
    }
  });

  it('counts success in the table plane within 5 cm', () => {
    const t = getTask('push');
    expect(t.isSuccess([0.1, 0, 0.015], [0.1, 0.049, 0.015])).toBe(true);
    expect(t.isSuccess([0.1, 0, 0.015], [0.1, 0.051, 0.015])).toBe(false);
    // height does not matter for a puck goal
    expect(t.isSuccess([0.1, 0, 0.05], [0.1, 0.0, 0.015])).toBe(true);
  });

  it('stages the dense reward: placing the puck is worth more than reaching it', () => {
    const t = getTask('push');
    const reached = state({ tcp: [0, -0.05, 0.03], objectPos: [0, 0, 0.015] }, [0, 0.2, 0.015]);
    const moved = state({ tcp: [0, 0.05, 0.03], objectPos: [0, 0.1, 0.015] }, [0, 0.2, 0.015]);
    const away = state({ tcp: [0.2, -0.2, 0.2], objectPos: [0, 0, 0.015] }, [0, 0.2, 0.015]);
    const r = (s: TaskStateView) => t.denseReward(s, s.objectPos, false);
    expect(r(moved)).toBeGreaterThan(r(reached));
    expect(r(reached)).toBeGreaterThan(r(away));
    expect(r(moved)).toBeLessThan(1);
  });
});

describe('pick-place', () => {
  it('puts half the goals in the air and keeps them 10 cm from the block', async () => {
    const r = await resets('pick-place', 64);
    let air = 0;
    for (let i = 0; i < 64; i++) {
      const o = row(r.observation, i, OBS_DIM);
      const b = o.slice(OBS.objectPos, OBS.objectPos + 3);
      const g = row(r.desiredGoal, i, 3);
      expect(Math.abs(b[0])).toBeLessThanOrEqual(0.15);
      expect(b[2]).toBeCloseTo(0.02, 3);
      if (g[2] > 0.03) {
        air++;
        expect(g[2]).toBeGreaterThanOrEqual(0.06);
        expect(g[2]).toBeLessThanOrEqual(0.25);
      } else expect(g[2]).toBeCloseTo(0.02, 6);
      expect(Math.hypot(g[0] - b[0], g[1] - b[1], g[2] - b[2])).toBeGreaterThanOrEqual(0.1 - 1e-3);
    }
    expect(air).toBeGreaterThan(16);
    expect(air).toBeLessThan(48);
  });

  it('gives the grasp stage its own reward', () => {
    const t = getTask('pick-place');
    const open = state({ tcp: [0, 0, 0.03], objectPos: [0, 0, 0.02] }, [0.1, 0.1, 0.2], 0.09);
    const closed = state({ tcp: [0, 0, 0.03], objectPos: [0, 0, 0.02] }, [0.1, 0.1, 0.2], 0.039);
    expect(t.denseReward(closed, closed.objectPos, false)).toBeGreaterThan(t.denseReward(open, open.objectPos, false) + 0.2);
    expect(t.isSuccess([0.1, 0.1, 0.2], [0.1, 0.1, 0.249])).toBe(true);
    expect(t.isSuccess([0.1, 0.1, 0.2], [0.1, 0.1, 0.251])).toBe(false);
  });
});

describe('peg-insert', () => {
  it('moves the fixture at every reset and puts the goal at the full-insertion pose', async () => {
    const r = await resets('peg-insert', 32);
    const spots = new Set<string>();
    for (let i = 0; i < 32; i++) {
      const o = row(r.observation, i, OBS_DIM);
      const f = o.slice(OBS.fixturePos, OBS.fixturePos + 3);
      const p = o.slice(OBS.objectPos, OBS.objectPos + 3);
      const g = row(r.desiredGoal, i, 3);
      expect(Math.max(Math.abs(f[0]), Math.abs(f[1]))).toBeLessThanOrEqual(0.18 + 1e-6);
      expect(Math.hypot(f[0] - p[0], f[1] - p[1])).toBeGreaterThanOrEqual(0.12 - 1e-3);
      expect(g[0]).toBeCloseTo(f[0], 6);
      expect(g[1]).toBeCloseTo(f[1], 6);
      expect(g[2]).toBeCloseTo(0.04, 6);
      expect(p[2]).toBeCloseTo(0.04, 3);
      spots.add(f.join(','));
    }
    expect(spots.size).toBe(32);
  });

  it('counts a peg only when inserted at least 3 cm and centred within 1 cm', () => {
    const t = getTask('peg-insert');
    const goal = [0.1, 0.1, 0.04];
    expect(t.isSuccess([0.1, 0.1, 0.045], goal)).toBe(true); // 3.5 cm deep
    expect(t.isSuccess([0.1, 0.1, 0.051], goal)).toBe(false); // 2.9 cm deep
    expect(t.isSuccess([0.111, 0.1, 0.04], goal)).toBe(false); // off axis
    expect(t.isSuccess([0.1, 0.1, 0.2], goal)).toBe(false); // above the hole
  });
});

describe('drawer-open', () => {
  const task = getTask('drawer-open');
  /** A state of the drawer task: cabinet at `origin` with `yaw`, drawer open by q. */
  const drawer = (origin: number[], yaw: number, q: number, tcp: number[], goal: number[]) =>
    state({ fixturePos: origin, fixtureQuat: [0, 0, Math.sin(yaw / 2), Math.cos(yaw / 2)], jointPos: [q, 0], tcp }, goal, 0, task);

  it('places the cabinet in range with a fresh yaw, drawer closed, goal the handle opened 12 cm', async () => {
    const r = await resets('drawer-open', 32);
    const yaws = new Set<number>();
    for (let i = 0; i < 32; i++) {
      const o = row(r.observation, i, OBS_DIM);
      const v = new TaskStateView(Float32Array.from(o), r.desiredGoal.subarray(i * 3, i * 3 + 3), task);
      const [x, y, z] = v.fixturePos;
      expect(x).toBeGreaterThanOrEqual(0.05);
      expect(x).toBeLessThanOrEqual(0.15);
      expect(Math.abs(y)).toBeLessThanOrEqual(0.1);
      expect(z).toBe(0);
      expect(Math.abs(v.fixtureYaw)).toBeLessThanOrEqual(0.35 + 1e-6);
      yaws.add(v.fixtureYaw);
      expect(v.jointPos[0]).toBeCloseTo(0, 4);
      // Object slots are zero: the drawer task has no movable object.
      expect(o.slice(OBS.objectPos, OBS.objectRelTcp + 3).every((c) => c === 0)).toBe(true);
      // Achieved goal: the handle; desired: the handle with the drawer open by 12 cm along -x (turned by the yaw).
      const ach = row(r.achievedGoal, i, 3);
      const des = row(r.desiredGoal, i, 3);
      const handle = rotateYaw(v.fixtureYaw, DRAWER.HANDLE).map((c, k) => c + v.fixturePos[k]);
      ach.forEach((c, k) => expect(c).toBeCloseTo(handle[k], 4));
      const open = rotateYaw(v.fixtureYaw, [-DRAWER.OPEN, 0, 0]);
      des.forEach((c, k) => expect(c).toBeCloseTo(handle[k] + open[k], 4));
      expect(task.isSuccess(ach, des)).toBe(false);
    }
    expect(yaws.size).toBe(32);
  });

  it('counts success when the handle is within 3 cm of the goal, i.e. the drawer open 9 cm or more', () => {
    const origin = [0.1, 0.05, 0];
    const yaw = 0.3;
    const goal = drawer(origin, yaw, DRAWER.OPEN, [0, 0, 0.2], [0, 0, 0]).fixturePoint(DRAWER.HANDLE, 0);
    const at = (q: number) => drawer(origin, yaw, q, [0, 0, 0.2], goal).fixturePoint(DRAWER.HANDLE, 0);
    expect(task.isSuccess(at(0.0905), goal)).toBe(true);
    expect(task.isSuccess(at(0.14), goal)).toBe(true); // fully open
    expect(task.isSuccess(at(0.0895), goal)).toBe(false);
    expect(task.isSuccess(at(0), goal)).toBe(false);
  });

  it('stages the dense reward: hooking the handle, then opening, 1 only on success', () => {
    const origin = [0.1, -0.05, 0];
    const yaw = -0.2;
    const goal = drawer(origin, yaw, DRAWER.OPEN, [0, 0, 0.2], [0, 0, 0]).fixturePoint(DRAWER.HANDLE, 0);
    const dense = (q: number, tcp: number[]) => {
      const s = drawer(origin, yaw, q, tcp, goal);
      return task.denseReward(s, s.fixturePoint(DRAWER.HANDLE, 0), false);
    };
    const hook = (q: number) => drawer(origin, yaw, q, [0, 0, 0], goal).fixturePoint(DRAWER.HOOK, 0);
    const away = dense(0, [-0.2, 0.2, 0.3]);
    const hooked = dense(0, hook(0));
    const halfOpen = dense(0.06, hook(0.06));
    const nearlyOpen = dense(0.085, hook(0.085));
    expect(away).toBeGreaterThanOrEqual(0);
    expect(hooked).toBeGreaterThan(away);
    expect(halfOpen).toBeGreaterThan(hooked);
    expect(nearlyOpen).toBeGreaterThan(halfOpen);
    expect(nearlyOpen).toBeLessThan(1);
    const s = drawer(origin, yaw, 0.1, hook(0.1), goal);
    expect(task.denseReward(s, s.fixturePoint(DRAWER.HANDLE, 0), true)).toBe(1);
  });
});

describe('stack', () => {
  const task = getTask('stack');

  it('places both blocks in range at least 10 cm apart, goal on top of the base block', async () => {
    const r = await resets('stack', 32);
    for (let i = 0; i < 32; i++) {
      const o = row(r.observation, i, OBS_DIM);
      const top = o.slice(OBS.objectPos, OBS.objectPos + 3);
      const base = o.slice(OBS.object2Pos, OBS.object2Pos + 3);
      const goal = row(r.desiredGoal, i, 3);
      expect(Math.max(Math.abs(top[0]), Math.abs(top[1]))).toBeLessThanOrEqual(0.15);
      expect(Math.max(Math.abs(base[0]), Math.abs(base[1]))).toBeLessThanOrEqual(0.12);
      expect(top[2]).toBeCloseTo(STACK.TOP, 3);
      expect(base[2]).toBeCloseTo(STACK.BASE, 3);
      expect(Math.hypot(top[0] - base[0], top[1] - base[1])).toBeGreaterThanOrEqual(0.1 - 1e-3);
      expect(goal[0]).toBeCloseTo(base[0], 3);
      expect(goal[1]).toBeCloseTo(base[1], 3);
      expect(goal[2]).toBeCloseTo(STACK.STACKED_Z, 6);
      expect(row(r.achievedGoal, i, 3)).toEqual(Array.from(top));
      // Each block has its own slot: quaternions of a block resting on the table, yawed.
      for (const q of [o.slice(OBS.objectQuat, OBS.objectQuat + 4), o.slice(OBS.object2Quat, OBS.object2Quat + 4)]) {
        expect(Math.hypot(...q)).toBeCloseTo(1, 5);
        expect(Math.abs(2 * Math.atan2(q[2], q[3]))).toBeLessThanOrEqual(0.3 + 1e-3);
      }
    }
  });

  it('counts success only on top of the base block: within 2.5 cm across and 6 mm in height', () => {
    const d = [0.05, -0.02, STACK.STACKED_Z];
    expect(task.isSuccess([0.05, -0.02, STACK.STACKED_Z + 0.002], d)).toBe(true);
    expect(task.isSuccess([0.05 + 0.024, -0.02, STACK.STACKED_Z], d)).toBe(true);
    expect(task.isSuccess([0.05 + 0.026, -0.02, STACK.STACKED_Z], d)).toBe(false);
    expect(task.isSuccess([0.05, -0.02, STACK.STACKED_Z + 0.007], d)).toBe(false); // held above it
    expect(task.isSuccess([0.05, -0.02, STACK.TOP], d)).toBe(false); // on the table where the base was
  });

  it('stages the dense reward: reach, grasp, carry; 1 only on success', () => {
    const goal = [0.1, 0.1, STACK.STACKED_Z];
    const base = [0.1, 0.1, STACK.BASE];
    const r = (tcp: number[], top: number[], gap: number) => {
      const s = state({ tcp, objectPos: top, object2Pos: base }, goal, gap, task);
      return task.denseReward(s, s.objectPos, task.isSuccess(s.objectPos, goal));
    };
    const away = r([-0.2, -0.2, 0.3], [-0.05, 0, STACK.TOP], 0.09);
    const reached = r([-0.05, 0, 0.03], [-0.05, 0, STACK.TOP], 0.09);
    const grasped = r([-0.05, 0, 0.03], [-0.05, 0, STACK.TOP], 0.039);
    const carried = r([0.08, 0.09, 0.1], [0.08, 0.09, 0.09], 0.039);
    expect(reached).toBeGreaterThan(away);
    expect(grasped).toBeGreaterThan(reached + 0.2);
    expect(carried).toBeGreaterThan(grasped);
    expect(carried).toBeLessThan(1);
    expect(r([0.1, 0.1, 0.08], [0.1, 0.1, STACK.STACKED_Z], 0.039)).toBe(1);
  });
});

describe('sparse reward on batches (goal relabeling)', () => {
  it('scores relabeled goal pairs with the task predicate', () => {
    const t = getTask('push');
    const ach = new Float32Array([0, 0, 0.015, 0.1, 0.1, 0.015, 0.3, 0.3, 0.015]);
    const des = new Float32Array([0.01, 0, 0.015, 0.1, 0.2, 0.015, 0.3, 0.3, 0.015]);
    expect(Array.from(computeSparseReward(t, ach, des, new Float32Array(3)))).toEqual([0, -1, 0]);
  });
});

describe('relabeling with a fixture point as the achieved goal', () => {
  it('scores stored drawer observations from the observation and the spec alone', async () => {
    const env = await VecEnv.create({ tasks: ['drawer-open'], numEnvs: 2, terminateOnSuccess: false });
    let s = env.reset({ seed: 8 });
    const task = env.tasks[0];
    for (let t = 0; t < 40; t++) s = env.step(env.expertActions(s.observation));
    for (let i = 0; i < 2; i++) {
      // A view rebuilt from a copy of the stored observation gives the env's own achieved goal.
      const stored = s.observation.slice(i * OBS_DIM, (i + 1) * OBS_DIM);
      const view = new TaskStateView(stored, new Float32Array(3), task);
      view.fixturePoint(DRAWER.HANDLE, 0).forEach((c, k) => expect(c).toBeCloseTo(s.achievedGoal[i * 3 + k], 5));
      expect(dist3(s.achievedGoal.subarray(i * 3, i * 3 + 3), s.desiredGoal.subarray(i * 3, i * 3 + 3))).toBeLessThan(DRAWER.TOLERANCE);
    }
    expect(Array.from(env.computeReward(0, s.achievedGoal, s.desiredGoal))).toEqual([0, 0]);
  });
});
