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
import { VecEnv } from '../../sim/vec-env.ts';

const dir = mkdtempSync(join(tmpdir(), 'rrl-user-task-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const repo = new URL('../../', import.meta.url).pathname;

// The README's example, verbatim, with its type import pointed at this checkout.
const readme = readFileSync(join(repo, 'README.md'), 'utf8');
const block = /<!-- user-task-example[^>]*-->\n```ts\n([\s\S]*?)```\n<!-- \/user-task-example -->/.exec(readme);
if (!block) throw new Error('README.md has no user-task-example block');
const LIFT = block[1].replace("'../rapier-robot-learning/sim/task.ts'", `'${repo}sim/task.ts'`);

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
