// A user's task fails clearly, never silently: each way a task file can go wrong at run time is
// refused with a TaskHookError whose message names the task file, the hook, the env and the
// episode step, and which keeps the original error as `cause` with its stack.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TaskHookError } from '../../sim/hooks.ts';
import { VecEnv } from '../../sim/vec-env.ts';

const dir = mkdtempSync(join(tmpdir(), 'rrl-task-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Parts {
  init: string;
  achieved: string;
  success: string;
  dense: string;
  expert: string;
}

// A valid task: a block and a ball beside a small fixture; every piece can be replaced.
const VALID: Parts = {
  init: `
    const fixture = ctx.samplePosition({ x: [0.1, 0.15], y: [-0.05, 0.05] });
    ctx.placeFixture(fixture);
    ctx.placeObject([-0.1, -0.1, 0.02], 0, 0);
    ctx.placeObject([-0.1, 0.1, 0.02], 0, 1);
    ctx.setGoal([0, 0, 0.02]);`,
  achieved: '(s) => s.objectPos',
  success: '(a, d) => Math.hypot(a[0] - d[0], a[1] - d[1]) < 0.02',
  dense: '(s, a, success) => (success ? 1 : 0.5)',
  expert: '(s) => [0, 0, 0, -1]',
};

let files = 0;
function taskFile(p: Partial<Parts>): string {
  const t = { ...VALID, ...p };
  const path = join(dir, `probe-${files++}.ts`);
  writeFileSync(
    path,
    `export default {
  name: 'probe',
  description: 'a task for the error tests',
  maxSteps: 50,
  metadata: { objectKind: 'block', needsGrasp: false, usesFixture: true, goalInAir: false },
  objects: [
    { shape: 'box', halfExtents: [0.02, 0.02, 0.02], mass: 0.05, color: '#bf616a' },
    { shape: 'sphere', radius: 0.02, mass: 0.05, color: '#a3be8c' },
  ],
  fixture: { color: '#4c566a', parts: [{ halfExtents: [0.03, 0.03, 0.02], offset: [0, 0, 0.02] }] },
  initializeEpisode(ctx) {${t.init}
  },
  achievedGoal: ${t.achieved},
  isSuccess: ${t.success},
  denseReward: ${t.dense},
  expert: ${t.expert},
};
`,
  );
  return path;
}

/** Runs the task as env 1 (env 0 runs reach) and returns the error it stops with. */
async function failure(p: Partial<Parts>, opts: { reward?: 'sparse' | 'dense-v1'; expert?: boolean; steps?: number } = {}): Promise<{ err: TaskHookError; path: string }> {
  const path = taskFile(p);
  const env = await VecEnv.create({ tasks: ['reach', path], numEnvs: 2, reward: opts.reward ?? 'sparse' });
  try {
    let s = env.reset({ seed: 3 });
    for (let t = 0; t < (opts.steps ?? 10); t++) s = env.step(opts.expert ? env.expertActions(s.observation) : new Float32Array(8));
  } catch (e) {
    expect(e).toBeInstanceOf(TaskHookError);
    return { err: e as TaskHookError, path };
  } finally {
    env.close();
  }
  throw new Error('the task did not fail');
}

/** The message names the file, the hook, the env and the step. */
function expectSite(err: TaskHookError, path: string, hook: string, step: number): void {
  expect(err.message.startsWith(`task "probe" (from ${path}), hook ${hook}, env 1, episode step ${step}: `)).toBe(true);
  expect(err.hook).toBe(hook);
  expect(err.site).toEqual({ env: 1, step });
}

describe('a task that goes wrong at run time', () => {
  it('runs when nothing is wrong (the template is valid)', async () => {
    const env = await VecEnv.create({ tasks: ['reach', taskFile({})], numEnvs: 2, reward: 'dense-v1' });
    let s = env.reset({ seed: 3 });
    for (let t = 0; t < 60; t++) s = env.step(env.expertActions(s.observation));
    expect(s.info[1].task).toBe('probe');
  });

  it('a hook that throws: names it and keeps the original error and its stack', async () => {
    const { err, path } = await failure({ achieved: `(s) => { if (s.step === 4) throw new RangeError('boom at four'); return s.objectPos; }` });
    expectSite(err, path, 'achievedGoal', 4);
    expect(err.message).toMatch(/: threw RangeError: boom at four \(at .*probe-\d+\.ts:\d+:\d+\)$/);
    expect(err.message).toContain(`(at ${path}:`);
    expect(err.cause).toBeInstanceOf(RangeError);
    expect((err.cause as Error).message).toBe('boom at four');
    expect(err.stack).toContain('Caused by: RangeError: boom at four');
    expect(err.stack).toContain(path);
  });

  it('initializeEpisode that throws, at a later reset', async () => {
    const { err, path } = await failure({ init: `${VALID.init}\n    if (ctx.rng.float() < 2) throw new TypeError('cannot place');` }, { steps: 0 });
    expectSite(err, path, 'initializeEpisode', 0);
    expect(err.message).toContain('threw TypeError: cannot place');
  });

  it('a non-finite achieved goal from a valid state', async () => {
    const { err, path } = await failure({ achieved: `(s) => (s.step === 2 ? [NaN, 0, 0] : s.objectPos)` });
    expectSite(err, path, 'achievedGoal', 2);
    expect(err.message).toContain('returned [NaN, 0, 0]: entry 0 is NaN; the achieved goal must be 3 finite numbers');
  });

  it('an achieved goal of the wrong length', async () => {
    const { err, path } = await failure({ achieved: `(s) => [s.objectPos[0], s.objectPos[1]]` });
    expectSite(err, path, 'achievedGoal', 0);
    expect(err.message).toMatch(/returned \[-0\.\d+, -0\.\d+\] \(2 entries\); the achieved goal must be 3 numbers$/);
  });

  it('an expert action that is non-finite', async () => {
    const { err, path } = await failure({ expert: `(s) => (s.step === 3 ? [0, Infinity, 0, 1] : [0, 0, 0, 1])` }, { expert: true });
    expectSite(err, path, 'expert', 3);
    expect(err.message).toContain('returned [0, Infinity, 0, 1]: entry 1 is Infinity; an action must be 4 finite numbers');
  });

  it('an expert action of the wrong length', async () => {
    const { err, path } = await failure({ expert: `(s) => [0, 0, 1]` }, { expert: true });
    expectSite(err, path, 'expert', 0);
    expect(err.message).toContain('returned [0, 0, 1] (3 entries); an action must be 4 numbers');
  });

  it('isSuccess returning something other than a boolean', async () => {
    const { err, path } = await failure({ success: '(a, d) => Math.hypot(a[0] - d[0], a[1] - d[1])' });
    expectSite(err, path, 'isSuccess', 1);
    expect(err.message).toMatch(/returned 0\.14\d* \(number\); isSuccess must return true or false$/);
  });

  it('a dense reward outside [0, 1]', async () => {
    const { err, path } = await failure({ dense: '(s, a, success) => (s.step > 5 ? -0.25 : 0.5)' }, { reward: 'dense-v1' });
    expectSite(err, path, 'denseReward', 6);
    expect(err.message).toContain('returned -0.25; denseReward must be a number in [0, 1] (1 on success)');
  });

  const outside: [string, string, RegExp][] = [
    ['a goal', VALID.init.replace('ctx.setGoal([0, 0, 0.02])', 'ctx.setGoal([0, 0.9, 0.1])'), /setGoal put the goal at \[0, 0\.9, 0\.1\], outside the workspace \(x in \[-0\.5, 0\.5\] m, y in \[-0\.5, 0\.5\] m, z in \[0, 0\.5\] m, env frame\) \(at .*probe-\d+\.ts:\d+:\d+\)$/],
    ['an object', VALID.init.replace('ctx.placeObject([-0.1, 0.1, 0.02], 0, 1)', 'ctx.placeObject([-0.1, 0.1, -0.3], 0, 1)'), /placeObject put object 1 at \[-0\.1, 0\.1, -0\.3\], outside the workspace/],
    ['the fixture', VALID.init.replace('ctx.placeFixture(fixture)', 'ctx.placeFixture([0.7, 0, 0])'), /placeFixture put the fixture at \[0\.7, 0, 0\], outside the workspace/],
  ];
  for (const [what, init, message] of outside) {
    it(`${what} placed outside the workspace`, async () => {
      const { err, path } = await failure({ init }, { steps: 0 });
      expectSite(err, path, 'initializeEpisode', 0);
      expect(err.message).toMatch(message);
    });
  }

  const inside: [string, string, RegExp][] = [
    ['a fixture', VALID.init.replace('ctx.placeObject([-0.1, -0.1, 0.02], 0, 0)', 'ctx.placeObject([fixture[0] + 0.04, fixture[1], 0.02], 0, 0)'), /placed objects inside other bodies: object 0 overlaps fixture part 0 by 10\.0 mm$/],
    ['another object', VALID.init.replace('ctx.placeObject([-0.1, 0.1, 0.02], 0, 1)', 'ctx.placeObject([-0.1, -0.07, 0.02], 0, 1)'), /placed objects inside other bodies: object 0 overlaps object 1 by 10\.0 mm$/],
    ['the table', VALID.init.replace('ctx.placeObject([-0.1, -0.1, 0.02], 0, 0)', 'ctx.placeObject([-0.1, -0.1, 0.01], 0, 0)'), /object 0 reaches 1\.0 cm into the table \(centre z = 0\.010 m, half height 0\.02 m\)$/],
  ];
  for (const [what, init, message] of inside) {
    it(`an object placed inside ${what}`, async () => {
      const { err, path } = await failure({ init }, { steps: 0 });
      expectSite(err, path, 'initializeEpisode', 0);
      expect(err.message).toMatch(message);
    });
  }

  it('accepts objects that only touch (the tolerance is 2 mm)', async () => {
    const touching = VALID.init.replace('ctx.placeObject([-0.1, 0.1, 0.02], 0, 1)', 'ctx.placeObject([-0.1, -0.0615, 0.02], 0, 1)');
    const env = await VecEnv.create({ tasks: [taskFile({ init: touching })], numEnvs: 1 });
    expect(() => env.reset({ seed: 1 })).not.toThrow();
  });

  it('a hook that calls Math.random(), and one that catches the error it throws', async () => {
    const a = await failure({ init: VALID.init.replace('ctx.setGoal([0, 0, 0.02])', 'ctx.setGoal([Math.random() * 0.1, 0, 0.02])') }, { steps: 0 });
    expectSite(a.err, a.path, 'initializeEpisode', 0);
    expect(a.err.message).toContain("called Math.random(): a task must draw from the env's seeded generator");
    expect(a.err.message).toContain(`(at ${a.path}:`);
    const b = await failure({ dense: '(s, a, success) => { let r = 0.5; try { r = Math.random(); } catch {} return r; }' }, { reward: 'dense-v1' });
    expectSite(b.err, b.path, 'denseReward', 1);
    expect(b.err.message).toContain('called Math.random() (and caught the error it threw)');
    // Outside hooks Math.random works as before.
    const x = Math.random();
    expect(x).toBeGreaterThanOrEqual(0);
    expect(x).toBeLessThan(1);
  });

  it('still catches Math.random() in a hook after something else replaced Math.random', async () => {
    const before = Math.random;
    Math.random = () => 0.25;
    try {
      const { err, path } = await failure({ dense: '(s, a, success) => Math.random()' }, { reward: 'dense-v1' });
      expectSite(err, path, 'denseReward', 1);
      expect(err.message).toContain('called Math.random()');
      expect(Math.random()).toBe(0.25); // outside hooks, the replacement answers
    } finally {
      Math.random = before;
    }
  });

  it('misusing the context: wrong object index, setJoint without a moving part, missing placements', async () => {
    const cases: [string, RegExp][] = [
      [VALID.init.replace('0.02], 0, 1);', '0.02], 0, 2);'), /placeObject got object index 2; the task has 2 objects \(0-1\) \(at .*probe-\d+\.ts:\d+:\d+\)$/],
      [`${VALID.init}\n    ctx.setJoint(0, 0.1);`, /setJoint: task "probe" \(from .*\): moving part 0 does not exist \(its fixture has 0 moving parts\) \(at .*probe-\d+\.ts:\d+:\d+\)$/],
      [VALID.init.replace('ctx.placeObject([-0.1, 0.1, 0.02], 0, 1);', ''), /initializeEpisode must call placeObject for every object; object 1 was not placed$/],
      [VALID.init.replace('ctx.placeFixture(fixture);', ''), /initializeEpisode must call placeFixture$/],
      [VALID.init.replace('ctx.setGoal([0, 0, 0.02]);', ''), /initializeEpisode must call setGoal$/],
      [VALID.init.replace("ctx.samplePosition({ x: [0.1, 0.15], y: [-0.05, 0.05] })", "ctx.samplePosition({ x: [0.1, 0.15], y: [-0.05, 0.05], awayFrom: [[0.12, 0, 0]], minDistance: 1 })"), /samplePosition found no point with x in \[0\.1, 0\.15\], y in \[-0\.05, 0\.05\], z = 0 at least 1 m \(in the table plane\) from \[0\.12, 0, 0\] in 100 tries \(at .*probe-\d+\.ts:\d+:\d+\)$/],
    ];
    for (const [init, message] of cases) {
      const { err, path } = await failure({ init }, { steps: 0 });
      expectSite(err, path, 'initializeEpisode', 0);
      expect(err.message).toMatch(message);
    }
  });
});

describe('computeReward', () => {
  it('refuses an unknown task index with a RangeError naming it and the task count', async () => {
    const env = await VecEnv.create({ tasks: ['reach', 'push'], numEnvs: 2 });
    const g = new Float32Array(3);
    expect(() => env.computeReward(2, g, g)).toThrow(RangeError);
    expect(() => env.computeReward(2, g, g)).toThrow("computeReward: task index 2 is not one of this env's 2 tasks (0-1: reach, push)");
    expect(() => env.computeReward(-1, g, g)).toThrow(/task index -1/);
    expect(() => env.computeReward(0.5, g, g)).toThrow(/task index 0\.5/);
    expect(Array.from(env.computeReward(1, g, g))).toEqual([0]);
  });

  it('names the batch row of a relabeled pair whose isSuccess misbehaves', async () => {
    const path = taskFile({ success: '(a, d) => (a[0] > 1 ? 1 : true)' });
    const env = await VecEnv.create({ tasks: [path], numEnvs: 1 });
    const a = new Float32Array([0, 0, 0, 2, 0, 0]);
    expect(() => env.computeReward(0, a, new Float32Array(6))).toThrow(`task "probe" (from ${path}), hook isSuccess, computeReward row 1: returned 1 (number); isSuccess must return true or false`);
  });
});
