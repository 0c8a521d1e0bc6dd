// The vector-env contract: same-step autoreset with final observation/info, terminated vs
// truncated, info fields, descriptors, determinism, bad input and bad states.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GOAL_DIM, METADATA_DIM, OBS, OBS_DIM } from '../../sim/layout.ts';
import { expertPolicy, randomPolicy } from '../../sim/rollout.ts';
import { ActionError, VecEnv, type StepResult } from '../../sim/vec-env.ts';

const zeros = (n: number) => new Float32Array(n * 4);

describe('autoreset', () => {
  it('truncates at the time limit, returns the final observation and starts a new episode in the same step', async () => {
    const env = await VecEnv.create({ tasks: ['reach'], numEnvs: 2 });
    const first = env.reset({ seed: 5 });
    expect(first.info[0]).toMatchObject({ task: 'reach', episodeStep: 0, resetReason: null });
    let r = env.step(zeros(2));
    for (let t = 1; t < 49; t++) r = env.step(zeros(2));
    expect(r.truncated[0]).toBe(0);
    expect(r.info[0].episodeStep).toBe(49);
    const last = env.step(zeros(2));
    for (const i of [0, 1]) {
      expect(last.truncated[i]).toBe(1);
      expect(last.terminated[i]).toBe(0);
      expect(last.finalInfo[i]).toMatchObject({ resetReason: 'timeLimit', episodeStep: 50, success: false });
      expect(last.finalInfo[i]!.episodeReturn).toBe(-50);
      const fin = last.finalObservation[i]!;
      expect(fin[OBS.timeFraction]).toBe(1);
      // The row in `observation` is the new episode's first one.
      expect(last.observation[i * OBS_DIM + OBS.timeFraction]).toBe(0);
      expect(last.info[i]).toMatchObject({ episodeStep: 0, episodeReturn: 0, resetReason: null });
      // A new goal was sampled; the final desired goal is the old one.
      expect(Array.from(last.finalDesiredGoal[i]!)).toEqual(Array.from(r.desiredGoal.subarray(i * 3, i * 3 + 3)));
      expect(Array.from(last.desiredGoal.subarray(i * 3, i * 3 + 3))).not.toEqual(Array.from(last.finalDesiredGoal[i]!));
    }
    env.close();
  });

  it('terminates on success with resetReason "success" and info.success, or runs on when asked', async () => {
    for (const terminateOnSuccess of [true, false]) {
      const env = await VecEnv.create({ tasks: ['reach'], numEnvs: 4, terminateOnSuccess });
      let s = env.reset({ seed: 1 });
      let ended = 0;
      let successSteps = 0;
      for (let t = 0; t < 50; t++) {
        const r = env.step(env.expertActions(s.observation));
        for (let i = 0; i < 4; i++) {
          if (r.finalInfo[i]) {
            ended++;
            if (terminateOnSuccess) {
              expect(r.terminated[i]).toBe(1);
              expect(r.truncated[i]).toBe(0);
              expect(r.finalInfo[i]).toMatchObject({ success: true, resetReason: 'success' });
              expect(r.reward[i]).toBe(0);
            } else expect(r.finalInfo[i]!.resetReason).toBe('timeLimit');
          }
          if ((r.finalInfo[i] ?? r.info[i]).success) successSteps++;
        }
        s = r;
      }
      expect(ended).toBeGreaterThanOrEqual(4);
      expect(successSteps).toBeGreaterThan(0);
      env.close();
    }
  });

  it('mixes tasks in one world with one-hot + metadata descriptors', async () => {
    const env = await VecEnv.create({ tasks: ['reach', 'push', 'pick-place', 'peg-insert'], numEnvs: 8 });
    expect(env.descriptorDim).toBe(4 + METADATA_DIM);
    const s = env.reset({ seed: 2 });
    for (let i = 0; i < 8; i++) {
      const d = env.descriptor.subarray(i * env.descriptorDim, (i + 1) * env.descriptorDim);
      expect(Array.from(d.subarray(0, 4))).toEqual([0, 1, 2, 3].map((k) => (k === i % 4 ? 1 : 0)));
      expect(s.info[i].task).toBe(env.tasks[i % 4].name);
    }
    // peg-insert uses a fixture, reach none; objects differ
    const meta = (i: number) => Array.from(env.descriptor.subarray(i * env.descriptorDim + 4, (i + 1) * env.descriptorDim));
    expect(meta(3)[6]).toBe(1);
    expect(meta(0)[0]).toBe(1);
    expect(meta(1)).not.toEqual(meta(2));
    // The fields derived from the definitions (two objects, prismatic, revolute) are 0 for these four.
    for (let i = 0; i < 4; i++) expect(meta(i).slice(8)).toEqual([0, 0, 0]);
    expect(s.observation.length).toBe(8 * OBS_DIM);
    expect(s.achievedGoal.length).toBe(8 * GOAL_DIM);
    env.close();
  });

  it('derives the last three descriptor fields from the definition: two objects, prismatic, revolute', async () => {
    expect(METADATA_DIM).toBe(11);
    const env = await VecEnv.create({ tasks: ['stack', 'drawer-open', 'push'], numEnvs: 3 });
    const meta = (i: number) => Array.from(env.descriptor.subarray(i * env.descriptorDim + 3, (i + 1) * env.descriptorDim));
    expect(meta(0)).toEqual([0, 0, 1, 0, 0, 1, 0, 1, 1, 0, 0]); // block, grasp, goal in the air, two objects
    expect(meta(1)).toEqual([1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0]); // no object, fixture, prismatic part
    expect(meta(2)).toEqual([0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // puck
  });

  it('takes task files by path, as the CLIs do', async () => {
    const env = await VecEnv.create({ tasks: ['reach', './sim/tasks/push.ts'], numEnvs: 2 });
    expect(env.tasks.map((t) => t.name)).toEqual(['reach', 'push']);
    await expect(VecEnv.create({ tasks: ['./no/such-task.ts'], numEnvs: 1 })).rejects.toThrow('task file ./no/such-task.ts does not exist');
  });

  it('refuses bad options', async () => {
    await expect(VecEnv.create({ tasks: ['nope'], numEnvs: 1 })).rejects.toThrow(/unknown task "nope"; known tasks: reach, push, pick-place, peg-insert/);
    await expect(VecEnv.create({ tasks: ['reach'], numEnvs: 0 })).rejects.toThrow(/numEnvs/);
    await expect(VecEnv.create({ tasks: ['reach'], numEnvs: 1, reward: 'dense' as never })).rejects.toThrow(/unknown reward/);
    await expect(VecEnv.create({ tasks: ['reach', 'reach'], numEnvs: 2 })).rejects.toThrow(/twice/);
    const env = await VecEnv.create({ tasks: ['reach'], numEnvs: 1 });
    expect(() => env.step(zeros(1))).toThrow(/reset/);
    expect(() => env.reset({ seed: -1 })).toThrow(/seed/);
    expect(() => env.reset({ seed: 1.5 })).toThrow(/seed/);
  });
});

/** Runs random (or expert) actions and hashes every observation, reward, flag and reset. */
async function trajectoryHash(numEnvs: number, seed: number, steps: number, expert = false, tasks = ['reach', 'push', 'pick-place', 'peg-insert', 'drawer-open', 'stack']): Promise<string> {
  // Let the worker's event loop run between long synchronous runs (vitest's RPC times out at 60 s).
  await new Promise((r) => setImmediate(r));
  const env = await VecEnv.create({ tasks, numEnvs, reward: 'dense-v1' });
  const h = createHash('sha256');
  const policy = expert ? expertPolicy : randomPolicy(seed);
  let s = env.reset({ seed });
  h.update(s.observation);
  h.update(s.desiredGoal);
  let resets = 0;
  for (let t = 0; t < steps; t++) {
    const r = env.step(policy.act(env, s));
    h.update(r.observation);
    h.update(r.achievedGoal);
    h.update(r.desiredGoal);
    h.update(r.reward);
    h.update(r.terminated);
    h.update(r.truncated);
    for (const f of r.finalObservation) if (f) {
      h.update(f);
      resets++;
    }
    s = r;
  }
  env.close();
  expect(resets).toBeGreaterThan(0);
  return h.digest('hex');
}

describe('determinism', () => {
  // With 1 env only reach runs; with 16, every task (the drawer's joint and two-object stack too).
  for (const n of [1, 16]) {
    it(`gives bit-identical trajectories for the same seed over 1000 steps, N = ${n}`, async () => {
      const a = await trajectoryHash(n, 123, 1000);
      const b = await trajectoryHash(n, 123, 1000);
      expect(a).toBe(b);
      const c = await trajectoryHash(n, 124, 1000);
      expect(c).not.toBe(a);
    }, 60_000);
  }

  it('gives bit-identical trajectories with the experts driving (drawers pulled open, blocks stacked), N = 16', async () => {
    const a = await trajectoryHash(16, 321, 1000, true);
    expect(await trajectoryHash(16, 321, 1000, true)).toBe(a);
    expect(await trajectoryHash(16, 322, 1000, true)).not.toBe(a);
  }, 60_000);

  it('gives bit-identical trajectories with drawer-close, window-open, window-close and lever-pull in the mix, random and expert, N = 16', async () => {
    const tasks = ['drawer-close', 'window-open', 'window-close', 'lever-pull', 'reach', 'stack'];
    for (const expert of [false, true]) {
      const a = await trajectoryHash(16, 55, 1000, expert, tasks);
      expect(await trajectoryHash(16, 55, 1000, expert, tasks)).toBe(a);
      expect(await trajectoryHash(16, 56, 1000, expert, tasks)).not.toBe(a);
    }
  }, 120_000);

  it('gives bit-identical trajectories with sweep-into, button-press, door-open and door-close in the mix, random and expert, N = 16', async () => {
    const tasks = ['sweep-into', 'button-press', 'door-open', 'door-close', 'push', 'drawer-open'];
    for (const expert of [false, true]) {
      const a = await trajectoryHash(16, 55, 1000, expert, tasks);
      expect(await trajectoryHash(16, 55, 1000, expert, tasks)).toBe(a);
      expect(await trajectoryHash(16, 56, 1000, expert, tasks)).not.toBe(a);
    }
  }, 120_000);

  it('reproduces after reset on the same instance (no state survives a seeded reset)', async () => {
    const env = await VecEnv.create({ tasks: ['push'], numEnvs: 4 });
    const run = () => {
      const p = randomPolicy(9);
      let s = env.reset({ seed: 77 });
      const out: number[] = [];
      for (let t = 0; t < 200; t++) {
        s = env.step(p.act(env, s));
        out.push(...s.observation);
      }
      return out;
    };
    expect(run()).toEqual(run());
    env.close();
  });
});

describe('bad input', () => {
  const bad: [string, unknown][] = [
    ['NaN', [NaN, 0, 0, 0, 0, 0, 0, 0]],
    ['Infinity', [0, 0, 0, 0, 0, 0, Infinity, 0]],
    ['-Infinity', new Float32Array([0, 0, 0, 0, -Infinity, 0, 0, 0])],
    ['short', [0, 0, 0, 0]],
    ['long', new Array(12).fill(0)],
    ['string entry', [0, 0, 0, '1', 0, 0, 0, 0]],
    ['null', null],
    ['a number', 3],
  ];
  for (const [what, action] of bad) {
    it(`refuses an action that is ${what} and leaves every env untouched`, async () => {
      const make = async () => {
        const e = await VecEnv.create({ tasks: ['push', 'pick-place'], numEnvs: 2 });
        e.reset({ seed: 4 });
        return e;
      };
      const a = await make();
      const b = await make();
      const good = new Float32Array([0.5, -0.2, -1, 1, -0.3, 0.4, -1, 1]);
      a.step(good);
      b.step(good);
      expect(() => a.step(action as never)).toThrow(ActionError);
      // After the refused call, a's next step matches b's (which never saw the bad action).
      const ra = a.step(good);
      const rb = b.step(good);
      expect(Array.from(ra.observation)).toEqual(Array.from(rb.observation));
      expect(ra.info).toEqual(rb.info);
    });
  }

  it('names the env and component of a non-finite action', async () => {
    const env = await VecEnv.create({ tasks: ['reach'], numEnvs: 2 });
    env.reset({ seed: 1 });
    expect(() => env.step([0, 0, 0, 0, 0, NaN, 0, 0])).toThrow(/env 1, component 1 is NaN/);
    expect(() => env.step([0, 0, 0])).toThrow(/length 3, expected 8/);
  });

  it('clips out-of-range actions to [-1, 1]', async () => {
    const make = async () => {
      const e = await VecEnv.create({ tasks: ['reach'], numEnvs: 1 });
      e.reset({ seed: 3 });
      return e;
    };
    const a = await make();
    const b = await make();
    expect(Array.from(a.step([50, -50, 7, 9]).observation)).toEqual(Array.from(b.step([1, -1, 1, 1]).observation));
  });
});

describe('bad states', () => {
  for (const [what, pos, vel] of [
    ['leaves the workspace', [3, 0, 0.1], [0, 0, 0]],
    ['has a non-finite pose', [NaN, 0, 0.1], [0, 0, 0]],
    ['blows up (huge speed)', [0, 0, 0.1], [1e6, 0, 0]],
  ] as const) {
    it(`resets only the env whose object ${what}, with resetReason "invalidState"`, async () => {
      const make = async () => {
        const e = await VecEnv.create({ tasks: ['push'], numEnvs: 4 });
        return e;
      };
      const a = await make();
      const b = await make();
      const pa = randomPolicy(1);
      const pb = randomPolicy(1);
      let sa: StepResult = a.step(pa.act(a, a.reset({ seed: 3 })));
      let sb: StepResult = b.step(pb.act(b, b.reset({ seed: 3 })));
      for (let t = 0; t < 4; t++) {
        sa = a.step(pa.act(a, sa));
        sb = b.step(pb.act(b, sb));
      }
      a.setObjectState(2, [...pos], [...vel]);
      sa = a.step(pa.act(a, sa));
      sb = b.step(pb.act(b, sb));
      expect(sa.finalInfo[2]).toMatchObject({ resetReason: 'invalidState' });
      expect(sa.truncated[2]).toBe(1);
      expect(sa.terminated[2]).toBe(0);
      expect(sa.observation.every(Number.isFinite)).toBe(true);
      // The other envs go on exactly as in a twin world that never saw the fault.
      for (let t = 0; t < 30; t++) {
        for (const i of [0, 1, 3]) {
          expect(Array.from(sa.observation.subarray(i * OBS_DIM, (i + 1) * OBS_DIM))).toEqual(Array.from(sb.observation.subarray(i * OBS_DIM, (i + 1) * OBS_DIM)));
        }
        sa = a.step(pa.act(a, sa));
        sb = b.step(pb.act(b, sb));
        expect(sa.finalInfo[2]?.resetReason ?? null).not.toBe('invalidState');
      }
    });
  }
});
