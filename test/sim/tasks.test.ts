// Each built-in task: resets sample inside the documented ranges and differ from one reset to the
// next; the success predicate and both rewards behave at their documented tolerances.
import { describe, expect, it } from 'vitest';
import { OBS, OBS_DIM } from '../../sim/layout.ts';
import { getTask } from '../../sim/registry.ts';
import { TaskStateView } from '../../sim/task.ts';
import { computeSparseReward, VecEnv } from '../../sim/vec-env.ts';

async function resets(task: string, n: number) {
  const env = await VecEnv.create({ tasks: [task], numEnvs: n });
  const r = env.reset({ seed: 11 });
  env.close();
  return r;
}

const row = (a: Float32Array, i: number, d: number) => Array.from(a.subarray(i * d, (i + 1) * d));

function state(obs: Partial<Record<keyof typeof OBS, number[]>>, goal: number[], gap = 0.09): TaskStateView {
  const o = new Float32Array(OBS_DIM);
  for (const [k, v] of Object.entries(obs)) o.set(v!, OBS[k as keyof typeof OBS]);
  o[OBS.gripperGap] = gap;
  if (obs.objectPos && obs.tcp) for (let k = 0; k < 3; k++) o[OBS.objectRelTcp + k] = obs.objectPos[k] - obs.tcp[k];
  return new TaskStateView(o, new Float32Array(goal));
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

describe('sparse reward on batches (goal relabeling)', () => {
  it('scores relabeled goal pairs with the task predicate', () => {
    const t = getTask('push');
    const ach = new Float32Array([0, 0, 0.015, 0.1, 0.1, 0.015, 0.3, 0.3, 0.015]);
    const des = new Float32Array([0.01, 0, 0.015, 0.1, 0.2, 0.015, 0.3, 0.3, 0.015]);
    expect(Array.from(computeSparseReward(t, ach, des, new Float32Array(3)))).toEqual([0, -1, 0]);
  });
});
