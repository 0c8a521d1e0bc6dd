// A user's own task file, outside the repository, loaded by path with no build step; malformed
// definitions are refused with a message naming the field; unknown names list the known ones.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { getTask, loadTaskFile, resolveTaskArgs } from '../../sim/registry.ts';
import { expertPolicy, runEpisodes } from '../../sim/rollout.ts';
import { OBS } from '../../sim/layout.ts';
import { VecEnv } from '../../sim/vec-env.ts';

const dir = mkdtempSync(join(tmpdir(), 'rrl-user-task-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const repo = new URL('../../', import.meta.url).pathname;

// The README's example, verbatim, with its type import pointed at this checkout.
const readme = readFileSync(join(repo, 'README.md'), 'utf8');
const block = /<!-- user-task-example[^>]*-->\n```ts\n([\s\S]*?)```\n<!-- \/user-task-example -->/.exec(readme);
if (!block) throw new Error('README.md has no user-task-example block');
const LIFT = block[1].replace("'../rapier-robot-learning/sim/task.ts'", `'${repo}sim/task.ts'`);
// The second example: a jointed fixture and two objects.
const block2 = /<!-- user-task-example-2[^>]*-->\n```ts\n([\s\S]*?)```\n<!-- \/user-task-example-2 -->/.exec(readme);
if (!block2) throw new Error('README.md has no user-task-example-2 block');
const LEVER = block2[1].replace("'../rapier-robot-learning/sim/task.ts'", `'${repo}sim/task.ts'`);

function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('user task files', () => {
  it('loads a task from a .ts file by path and runs it, expert included', async () => {
    const path = write('lift.ts', LIFT);
    const task = await loadTaskFile(path);
    expect(task.name).toBe('lift');
    const env = await VecEnv.create({ tasks: [task, 'reach'], numEnvs: 4 });
    const rows = runEpisodes(env, expertPolicy, { episodesPerTask: 10, seed: 1 });
    env.close();
    expect(rows[0].task).toBe('lift');
    expect(rows[0].successRate).toBeGreaterThanOrEqual(0.8);
  }, 60_000);

  it('runs it from the rollout CLI by path (tsx, no build step)', async () => {
    const path = write('lift-cli.ts', LIFT);
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', join(repo, 'sim/cli/rollout.ts'), '--tasks', `${path},reach`, '--episodes', '5', '--envs', '2', '--json'],
      { cwd: repo },
    );
    const out = JSON.parse(stdout);
    expect(out.tasks.map((t: { task: string }) => t.task)).toEqual(['lift', 'reach']);
    expect(out.tasks[0].episodes).toBe(5);
    // How the episodes ended, per task: endless invalidState resets would show here.
    const ends = out.tasks[0].resetReasons;
    expect(Object.keys(ends).sort()).toEqual(['invalidState', 'success', 'timeLimit']);
    expect(ends.success + ends.timeLimit + ends.invalidState).toBe(5);
  }, 60_000);

  const broken: [string, string, RegExp][] = [
    ['missing maxSteps', LIFT.replace('  maxSteps: 80,\n', ''), /task "lift".*field "maxSteps"/],
    ['ill-typed maxSteps', LIFT.replace('maxSteps: 80', "maxSteps: '80' as never"), /field "maxSteps": Invalid input: expected number, received string/],
    ['negative mass', LIFT.replace('mass: 0.05', 'mass: -1'), /field "object.mass"/],
    ['hook not a function', LIFT.replace('  achievedGoal: (s) => s.objectPos,', '  achievedGoal: 3 as never,'), /field "achievedGoal"/],
    ['bad name', LIFT.replace("name: 'lift'", "name: 'Lift Task'"), /field "name"/],
    ['unknown field', LIFT.replace("name: 'lift',", "name: 'lift', colour: 'red',"), /Unrecognized key.*colour/],
    ['bad colour', LIFT.replace("color: '#88c0d0'", "color: 'blue'"), /field "object.color"/],
    ['no default export', LIFT.replace('export default task;', 'export const other = 1;'), /no default export/],
    ['syntax error', LIFT.replace('const task', 'const = task'), /could not be loaded/],
  ];
  for (const [what, text, message] of broken) {
    it(`refuses a definition with ${what}, naming the problem`, async () => {
      const path = write(`broken-${what.replace(/\W+/g, '-')}.ts`, text);
      await expect(loadTaskFile(path)).rejects.toThrow(message);
    });
  }

  it('refuses a missing file and an unknown task name, listing the known ones', async () => {
    await expect(loadTaskFile(join(dir, 'nope.ts'))).rejects.toThrow(/does not exist/);
    expect(() => getTask('stack-three')).toThrow('unknown task "stack-three"; known tasks: reach, push, pick-place, peg-insert, drawer-open, stack');
    await expect(resolveTaskArgs(['reach', 'stack-three'])).rejects.toThrow(/known tasks/);
  });

  it('refuses an episode hook that forgets the goal or passes bad numbers', async () => {
    const noGoal = write('no-goal.ts', LIFT.replace('    ctx.setGoal([x, y, 0.175]);\n', ''));
    const env1 = await VecEnv.create({ tasks: [await loadTaskFile(noGoal)], numEnvs: 1 });
    expect(() => env1.reset({ seed: 1 })).toThrow(/initializeEpisode must call setGoal/);
    const nanGoal = write('nan-goal.ts', LIFT.replace('ctx.setGoal([x, y, 0.175])', 'ctx.setGoal([x, NaN, 0.175])'));
    const env2 = await VecEnv.create({ tasks: [await loadTaskFile(nanGoal)], numEnvs: 1 });
    expect(() => env2.reset({ seed: 1 })).toThrow(/goal \[.*NaN.*\], expected 3 finite numbers/);
  });

  it('runs the second README example (a jointed fixture and two objects) verbatim, expert included', async () => {
    const path = write('press-lever.ts', LEVER);
    const task = await loadTaskFile(path);
    expect(task.name).toBe('press-lever');
    const env = await VecEnv.create({ tasks: [path, 'drawer-open'], numEnvs: 4, reward: 'dense-v1' });
    const rows = runEpisodes(env, expertPolicy, { episodesPerTask: 20, seed: 5 });
    env.close();
    expect(rows[0].task).toBe('press-lever');
    expect(rows[0].successRate).toBeGreaterThanOrEqual(0.95);
    expect(rows[0].resetReasons.invalidState).toBe(0);
  }, 60_000);

  it('keeps a task file written for the first API working: one object, a static fixture of boxes', async () => {
    // The shape of peg-insert as it was written before moving parts and several objects existed.
    const legacy = `import type { TaskDefinition } from '${repo}sim/task.ts';
const task: TaskDefinition = {
  name: 'old-style',
  description: 'Touch the top of a wall beside a block (first-version task file).',
  maxSteps: 60,
  metadata: { objectKind: 'block', needsGrasp: false, usesFixture: true, goalInAir: true },
  object: { shape: 'box', halfExtents: [0.02, 0.02, 0.02], mass: 0.06, color: '#ebcb8b' },
  fixture: { color: '#4c566a', friction: 0.8, parts: [{ halfExtents: [0.01, 0.08, 0.03], offset: [0, 0, 0.03] }, { halfExtents: [0.03, 0.01, 0.03], offset: [-0.02, 0.07, 0.03] }] },
  initializeEpisode(ctx) {
    const x = ctx.rng.uniform(-0.15, -0.05);
    ctx.placeObject([x, 0, 0.02], ctx.rng.uniform(-0.2, 0.2));
    ctx.placeFixture([0.15, 0, 0]);
    ctx.setGoal([0.15, 0, 0.1]);
  },
  achievedGoal: (s) => s.tcp,
  isSuccess: (a, d) => Math.hypot(a[0] - d[0], a[1] - d[1], a[2] - d[2]) < 0.02,
  denseReward: (s, a, success) => (success ? 1 : 1 - Math.tanh(5 * Math.hypot(a[0] - s.goal[0], a[1] - s.goal[1], a[2] - s.goal[2]))),
  expert: (s) => [(s.goal[0] - s.tcp[0]) / 0.03, (s.goal[1] - s.tcp[1]) / 0.03, (s.goal[2] - s.tcp[2]) / 0.03, 1],
};
export default task;
`;
    const path = write('old-style.ts', legacy);
    const task = await loadTaskFile(path);
    const env = await VecEnv.create({ tasks: [task], numEnvs: 4 });
    const s = env.reset({ seed: 2 });
    // Old fields read as before; the new slots stay zero (no second object, no moving part) except
    // the fixture's orientation, which is now observed (yaw 0).
    expect(s.observation[OBS.objectPos + 2]).toBeCloseTo(0.02, 3);
    expect(Array.from(s.observation.subarray(OBS.fixturePos, OBS.fixturePos + 3))).toEqual([0.15, 0, 0].map(Math.fround));
    expect(Array.from(s.observation.subarray(OBS.object2Pos, OBS.object2RelTcp + 3)).every((v) => v === 0)).toBe(true);
    expect(Array.from(s.observation.subarray(OBS.fixtureQuat, OBS.fixtureQuat + 4))).toEqual([0, 0, 0, 1]);
    expect(Array.from(s.observation.subarray(OBS.jointPos, OBS.jointVel + 2)).every((v) => v === 0)).toBe(true);
    const rows = runEpisodes(env, expertPolicy, { episodesPerTask: 8, seed: 2 });
    env.close();
    expect(rows[0].successRate).toBe(1);
  }, 60_000);

  it('refuses a definition that gives both object and objects, saying which to keep', async () => {
    const both = LIFT.replace("  object: { shape: 'sphere'", "  objects: [{ shape: 'sphere', radius: 0.02, mass: 0.05, color: '#88c0d0' }],\n  object: { shape: 'sphere'");
    await expect(loadTaskFile(write('both.ts', both))).rejects.toThrow(
      'task "lift" (from ' + join(dir, 'both.ts') + ') is invalid: fields "object" and "objects" are both given: keep "objects" (put the single object in it as its first entry) and remove "object"',
    );
  });

  const brokenJoints: [string, string, RegExp][] = [
    ['limits the wrong way round', LEVER.replace('limits: [0, 0.7]', 'limits: [0.7, 0]'), /field "fixture\.moving\.0\.limits": expected lower < upper, got \[0\.7, 0\]/],
    ['a revolute limit beyond pi', LEVER.replace('limits: [0, 0.7]', 'limits: [0, 4]'), /field "fixture\.moving\.0\.limits": a revolute joint's limits must lie in \[-pi, pi\] radians/],
    ['a spring resting outside the limits', LEVER.replace('rest: 0,', 'rest: 1,'), /field "fixture\.moving\.0\.spring\.rest": 1 is outside the limits \[0, 0\.7\]/],
    ['a zero axis', LEVER.replace('axis: [0, -1, 0]', 'axis: [0, 0, 0]'), /field "fixture\.moving\.0\.axis": expected a non-zero axis/],
    ['a revolute joint without an anchor', LEVER.replace("        anchor: [0.04, 0, 0.1], // hinge on top of the post, along -y: positive angles press the tip down\n", ''), /field "fixture\.moving\.0\.anchor"/],
    ['an unknown joint kind', LEVER.replace("joint: 'revolute'", "joint: 'ball'"), /field "fixture\.moving\.0\.joint"/],
    ['three objects', LEVER.replace("  objects: [", "  objects: [\n    { shape: 'sphere', radius: 0.02, mass: 0.05, color: '#88c0d0' },"), /field "objects": Too big: expected array to have <=2 items/],
  ];
  for (const [what, text, message] of brokenJoints) {
    it(`refuses a fixture or object list with ${what}, naming the field`, async () => {
      const path = write(`broken2-${what.replace(/\W+/g, '-')}.ts`, text);
      expect(text).not.toBe(LEVER);
      await expect(loadTaskFile(path)).rejects.toThrow(message);
    });
  }
});
