// A user's own task file, outside the repository, loaded by path with no build step; malformed
// definitions are refused with a message naming the field; unknown names list the known ones.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { getTask, loadTaskFile, resolveTaskArgs } from '../../sim/registry.ts';
import { expertPolicy, runEpisodes } from '../../sim/rollout.ts';
import { VecEnv } from '../../sim/vec-env.ts';

const dir = mkdtempSync(join(tmpdir(), 'rrl-user-task-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const repo = new URL('../../', import.meta.url).pathname;

// The same text as the README's example (test/sim/readme-task.ts is extracted from README.md).
const LIFT = `import type { TaskDefinition } from '${repo}sim/task.ts';

// lift: grasp a small ball and raise it 15 cm above the table.
const task: TaskDefinition = {
  name: 'lift',
  description: 'Grasp a 5 cm ball and lift it 15 cm; success within 3 cm of the goal.',
  maxSteps: 80,
  metadata: { objectKind: 'other', needsGrasp: true, usesFixture: false, goalInAir: true },
  object: { shape: 'sphere', radius: 0.025, mass: 0.05, color: '#88c0d0' },
  initializeEpisode(ctx) {
    const x = ctx.rng.uniform(-0.15, 0.15);
    const y = ctx.rng.uniform(-0.15, 0.15);
    ctx.placeObject([x, y, 0.025]);
    ctx.setGoal([x, y, 0.175]);
  },
  achievedGoal: (s) => s.objectPos,
  isSuccess: (a, d) => Math.hypot(a[0] - d[0], a[1] - d[1], a[2] - d[2]) < 0.03,
  denseReward: (s, a, success) => (success ? 1 : 1 - Math.tanh(5 * Math.hypot(a[0] - s.goal[0], a[1] - s.goal[1], a[2] - s.goal[2]))),
  expert(s, m) {
    const [bx, by, bz] = s.objectPos;
    const [tx, ty, tz] = s.tcp;
    const go = (x: number, y: number, z: number, g: number) => [(x - tx) / 0.03, (y - ty) / 0.03, (z - tz) / 0.03, g];
    if (Math.hypot(tx - bx, ty - by) > 0.01) return go(bx, by, Math.max(tz, 0.1), -1);
    if (tz > bz + 0.006) return go(bx, by, Math.max(bz, 0.03), -1);
    m.closed = (m.closed ?? 0) + 1;
    return m.closed < 6 ? go(bx, by, tz, 1) : go(s.goal[0], s.goal[1], s.goal[2], 1);
  },
};
export default task;
`;

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
    expect(() => getTask('stack')).toThrow('unknown task "stack"; known tasks: reach, push, pick-place, peg-insert');
    await expect(resolveTaskArgs(['reach', 'stack'])).rejects.toThrow(/known tasks/);
  });

  it('refuses an episode hook that forgets the goal or passes bad numbers', async () => {
    const noGoal = write('no-goal.ts', LIFT.replace('    ctx.setGoal([x, y, 0.175]);\n', ''));
    const env1 = await VecEnv.create({ tasks: [await loadTaskFile(noGoal)], numEnvs: 1 });
    expect(() => env1.reset({ seed: 1 })).toThrow(/initializeEpisode must call setGoal/);
    const nanGoal = write('nan-goal.ts', LIFT.replace('ctx.setGoal([x, y, 0.175])', 'ctx.setGoal([x, NaN, 0.175])'));
    const env2 = await VecEnv.create({ tasks: [await loadTaskFile(nanGoal)], numEnvs: 1 });
    expect(() => env2.reset({ seed: 1 })).toThrow(/goal \[.*NaN.*\], expected 3 finite numbers/);
  });
});
