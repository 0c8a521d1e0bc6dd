// The simulator's CLIs that take tasks (the rollout CLI, bench:sim) take --suite as the agents'
// CLIs do: --help lists the suites, --suite with --tasks is refused, an unknown suite names the
// known ones, and a suite runs its tasks. (Apart from help.test.ts so each file's blocking child
// processes stay short.)
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TSX_LOADER } from '../../agents/bench/sweep.ts';

const root = resolve(import.meta.dirname, '../..');
const cli = (script: string, args: string[]) => spawnSync(process.execPath, ['--import', TSX_LOADER, join(root, script), ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });

describe('--suite in the simulator CLIs', () => {
  it.each([['sim/cli/rollout.ts'], ['sim/bench/throughput.ts']])('%s --help lists the suites', (script) => {
    const r = cli(script, ['--help']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^  --suite NAME\b/m);
    expect(r.stdout).toMatch(/^Suites \(--suite NAME\):\n  mt4 +reach,push,pick-place,peg-insert\n  mt10 +reach,push,pick-place,peg-insert,sweep-into,drawer-open,drawer-close,door-open,button-press,stack$/m);
    expect(r.stdout).toMatch(/^  heldout-test +door-close,window-open,window-close,lever-pull$/m);
  }, 60_000);

  it.each([
    ['sim/cli/rollout.ts', ['--suite', 'mt4', '--tasks', 'reach'], '--suite and --tasks both give the tasks: use one of them'],
    ['sim/bench/throughput.ts', ['--suite', 'mt4', '--tasks', 'reach'], '--suite and --tasks both give the tasks: use one of them'],
    ['sim/cli/rollout.ts', ['--suite', 'mt99'], '--suite: unknown suite "mt99"; known suites: mt4, mt10, heldout-train, heldout-test, all'],
  ])('%s %j is refused', (script, args, message) => {
    const r = cli(script, args);
    expect(r.stderr).toContain(`error: ${message}`);
    expect(r.status).toBe(2);
  }, 60_000);

  it('the rollout CLI runs every task of a suite', () => {
    const r = cli('sim/cli/rollout.ts', ['--suite', 'heldout-test', '--episodes', '1', '--policy', 'random', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { tasks: { task: string; episodes: number }[] };
    expect(out.tasks.map((t) => t.task)).toEqual(['door-close', 'window-open', 'window-close', 'lever-pull']);
    for (const t of out.tasks) expect(t.episodes).toBe(1);
  }, 60_000);
});
