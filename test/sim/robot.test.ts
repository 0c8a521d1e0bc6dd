// Physics of the robot in real Rapier worlds: the hand tracks its target with bounded speed, stays
// in the workspace, never goes through the table or crushes an object, and holds objects by
// contact and friction only.
import { describe, expect, it } from 'vitest';
import { ACTION_SCALE, CONTROL_DT, HAND, HAND_MAX_SPEED, WORKSPACE } from '../../sim/config.ts';
import { OBS, OBS_DIM } from '../../sim/layout.ts';
import { getTask } from '../../sim/registry.ts';
import { defineTask, type TaskDefinition } from '../../sim/task.ts';
import { VecEnv } from '../../sim/vec-env.ts';

const tcp = (o: Float32Array, i = 0) => Array.from(o.subarray(i * OBS_DIM + OBS.tcp, i * OBS_DIM + OBS.tcp + 3));
const obj = (o: Float32Array, i = 0) => Array.from(o.subarray(i * OBS_DIM + OBS.objectPos, i * OBS_DIM + OBS.objectPos + 3));

function bodyZ(env: VecEnv, name: string): number {
  const scene = env.describeScene();
  const k = scene.envs[0].bodies.findIndex((b) => b.name === name);
  return env.writeTransforms()[k * 7 + 2];
}

describe('hand', () => {
  it('tracks its target with bounded speed and settles on it', async () => {
    const env = await VecEnv.create({ tasks: ['reach'], numEnvs: 1, terminateOnSuccess: false });
    for (const dir of [
      [1, 0, 0],
      [0, -1, 0],
      [0, 0, 1],
      [0.6, 0.8, 0],
    ]) {
      let s = env.reset({ seed: 2 });
      const start = tcp(s.observation);
      let prev = start;
      for (let t = 0; t < 4; t++) {
        s = env.step([...dir, 0]);
        const p = tcp(s.observation);
        // never faster than HAND_MAX_SPEED
        expect(Math.hypot(p[0] - prev[0], p[1] - prev[1], p[2] - prev[2])).toBeLessThanOrEqual(HAND_MAX_SPEED * CONTROL_DT + 1e-4);
        prev = p;
      }
      const moved = Math.hypot(prev[0] - start[0], prev[1] - start[1], prev[2] - start[2]);
      // the target moved 4 x ACTION_SCALE; the hand lags it by at most a centimetre and a half
      expect(moved).toBeGreaterThan(4 * ACTION_SCALE - 0.015);
      for (let t = 0; t < 5; t++) s = env.step([0, 0, 0, 0]);
      const p = tcp(s.observation);
      for (let k = 0; k < 3; k++) expect(p[k]).toBeCloseTo(start[k] + 4 * ACTION_SCALE * dir[k], 2);
      // the observed velocity is the palm's
      expect(Math.hypot(...Array.from(s.observation.subarray(OBS.tcpVel, OBS.tcpVel + 3)))).toBeLessThan(0.02);
    }
  });

  it('stays inside the documented workspace bounds', async () => {
    const env = await VecEnv.create({ tasks: ['reach'], numEnvs: 1, terminateOnSuccess: false });
    let s = env.reset({ seed: 2 });
    for (const dir of [1, -1]) {
      for (let t = 0; t < 40; t++) s = env.step([dir, dir, dir, 0]);
      const p = tcp(s.observation);
      for (let k = 0; k < 3; k++) {
        expect(p[k]).toBeGreaterThanOrEqual(WORKSPACE.min[k] - 1e-6);
        expect(p[k]).toBeLessThanOrEqual(WORKSPACE.max[k] + 1e-6);
        expect(p[k]).toBeCloseTo(dir > 0 ? WORKSPACE.max[k] : WORKSPACE.min[k], 5);
      }
      // fingertips above the table top
      expect(bodyZ(env, 'finger-a') - HAND.fingerHalf[2]).toBeGreaterThan(-1e-3);
    }
  });

  it('does not crush an object it presses down on', async () => {
    const env = await VecEnv.create({ tasks: ['pick-place'], numEnvs: 1, terminateOnSuccess: false });
    let s = env.reset({ seed: 8 });
    // Close the fingers and hover over the block, then drive straight down for 2 s.
    for (let t = 0; t < 30; t++) {
      const p = tcp(s.observation);
      const b = obj(s.observation);
      s = env.step([(b[0] - p[0]) / ACTION_SCALE, (b[1] - p[1]) / ACTION_SCALE, (0.12 - p[2]) / ACTION_SCALE, 1]);
    }
    let lowestBlock = Infinity;
    let lowestTip = Infinity;
    for (let t = 0; t < 50; t++) {
      s = env.step([0, 0, -1, 1]);
      lowestBlock = Math.min(lowestBlock, obj(s.observation)[2]);
      lowestTip = Math.min(lowestTip, bodyZ(env, 'finger-a') - HAND.fingerHalf[2]);
    }
    // The block (half height 2 cm) does not sink into the table, and the fingers stop on its top.
    expect(lowestBlock).toBeGreaterThan(0.02 - 0.002);
    expect(lowestTip).toBeGreaterThan(0.04 - 0.003);
    expect(s.info[0].resetReason).toBe(null);
  });
});

describe('grasp', () => {
  async function carry(task: TaskDefinition, seed: number) {
    const env = await VecEnv.create({ tasks: [task], numEnvs: 1, terminateOnSuccess: false });
    let s = env.reset({ seed });
    const pp = getTask('pick-place');
    // The pick-place expert grasps; then we lift straight up.
    for (let t = 0; t < 40; t++) {
      const a = Array.from(pp.expert!(new (await import('../../sim/task.ts')).TaskStateView(s.observation.slice(), new Float32Array([0, 0, 0.3])), memory));
      s = env.step(a);
    }
    return { env, s };
  }
  const memory: Record<string, number> = {};

  it('lifts a block by friction and drops it when the fingers open', async () => {
    for (const k in memory) delete memory[k];
    const { env, s: s0 } = await carry(getTask('pick-place'), 21);
    let s = s0;
    expect(obj(s.observation)[2]).toBeGreaterThan(0.15);
    expect(s.observation[OBS.gripperGap]).toBeLessThan(0.041);
    for (let t = 0; t < 25; t++) s = env.step([0, 0, 0, -1]);
    expect(s.observation[OBS.gripperGap]).toBeGreaterThan(0.06);
    expect(obj(s.observation)[2]).toBeLessThan(0.025);
  });

  it('cannot lift a block heavier than the grip friction holds (no glue)', async () => {
    for (const k in memory) delete memory[k];
    const heavy = defineTask({ ...getTask('pick-place'), name: 'heavy', object: { shape: 'box', halfExtents: [0.02, 0.02, 0.02], mass: 5, friction: 1, color: '#ff0000' } });
    const { s } = await carry(heavy, 21);
    // 2 fingers x 10 N x friction 1 = 20 N < 49 N of weight: the block stays down.
    expect(obj(s.observation)[2]).toBeLessThan(0.03);
  });
});
