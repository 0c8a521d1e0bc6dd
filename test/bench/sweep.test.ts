// The benchmark sweep for real: child processes training tiny networks on real Rapier worlds.
// A tiny sweep end to end through the CLI (and again, for identical success figures; and once
// more as a fresh clone has it, its finished runs restored from the report's raw/), a sweep
// killed mid-run and resumed without redoing finished runs, and a failing run that does not sink
// the sweep.
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Results } from '../../agents/bench/report.ts';
import { TSX_LOADER as TSX } from '../../agents/bench/sweep.ts';

const root = resolve(import.meta.dirname, '../..');
const CLI = join(root, 'agents/bench/cli.ts');

const dir = mkdtempSync(join(tmpdir(), 'rrl-bench-sweep-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Tiny learners so a run takes seconds: what is tested is the machinery, not the learning.
const TINY = ['--hidden', '16,16', '--batch', '32', '--learning-starts', '50', '--eval-episodes', '4', '--envs-per-task', '4', '--jobs', '1'];

function bench(args: string[]): { child: ChildProcess; done: Promise<{ code: number | null; out: string }> } {
  const child = spawn(process.execPath, ['--import', TSX, CLI, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: '' } });
  let out = '';
  child.stdout!.on('data', (b) => (out += b));
  child.stderr!.on('data', (b) => (out += b));
  const done = new Promise<{ code: number | null; out: string }>((res) => child.on('exit', (code) => res({ code, out })));
  return { child, done };
}

const results = (sweep: string): Results => JSON.parse(readFileSync(join(sweep, 'report', 'results.json'), 'utf8'));
/** The success figures only: wall times are measured and differ between runs. */
const successFigures = (r: Results) => r.cells.map((c) => ({ task: c.task, condition: c.condition, perSeed: c.perSeed.map((s) => ({ ...s, wallToThreshold: null })) }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('bench sweep (real runs)', () => {
  it('a tiny sweep end to end: runs, report, and the same numbers when run again', async () => {
    const a = join(dir, 'tiny-a');
    const args = ['--tasks', 'reach,push', '--conditions', 'single,concat', '--seeds', '0', '--budget', '400', '--eval-every', '200', '--demos', '2', ...TINY];
    const r1 = await bench(['--out', a, ...args]).done;
    expect(r1.code, r1.out).toBe(0);
    expect(r1.out).toMatch(/report: .*report\.md \(3 of 3 runs finished\)/);
    for (const run of ['single-task/reach/0', 'single-task/push/0', 'concat-onehot/0']) expect(existsSync(join(a, 'runs', run, 'done.json'))).toBe(true);
    const res = results(a);
    expect(res.complete).toBe(true);
    expect(res.cells.map((c) => `${c.task}:${c.condition}`)).toEqual(['reach:single-task', 'reach:concat-onehot', 'push:single-task', 'push:concat-onehot']);
    // curves on the shared per-task grid: evaluations at 200 and 400 env steps per task
    const multi = res.runs.find((r) => r.id === 'concat-onehot/0')!;
    expect(multi.curves.reach.map((p) => p.x)).toEqual([200, 400]);
    expect(res.runs.find((r) => r.id === 'single-task/push/0')!.curves.push.map((p) => p.x)).toEqual([200, 400]);
    for (const c of res.cells) expect(c.finalMean).toBeGreaterThanOrEqual(0);
    const md = readFileSync(join(a, 'report', 'report.md'), 'utf8');
    expect(md).toContain('| reach | concat-onehot | 1 |');
    expect(md).toMatch(/npm run bench -- --out \S+tiny-a --tasks reach,push/);
    expect(md).toMatch(/\*\*Git commit\*\*: [0-9a-f]{40}/);
    expect(md).toMatch(/\*\*Backend\*\*: `\[tensor\] backend /);
    expect(md).toContain('reach 50, push 100');
    expect(md).toContain('2 scripted-expert demonstration episodes per task');
    for (const run of ['single-task/push/0', 'concat-onehot/0']) expect(JSON.parse(readFileSync(join(a, 'runs', run, 'config.json'), 'utf8')).demoEpisodes).toBe(2);
    expect(readFileSync(join(a, 'report', 'curves.svg'), 'utf8')).toContain('<polyline');

    // Again, in another folder: the same success figures.
    const b = join(dir, 'tiny-b');
    const r2 = await bench(['--out', b, ...args]).done;
    expect(r2.code, r2.out).toBe(0);
    expect(successFigures(results(b))).toEqual(successFigures(res));
    // and the same learning underneath: every logged number but the clock-based ones (rates, time breakdown), losses included
    const untimed = (sweep: string, run: string) =>
      readFileSync(join(sweep, 'runs', run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => {
        const { wallSeconds: _w, envStepsPerSec: _e, updatesPerSec: _u, time: _t, ...rest } = JSON.parse(l);
        return rest;
      });
    const reachRows = untimed(a, 'single-task/reach/0');
    expect(reachRows[reachRows.length - 1].updates).toBeGreaterThan(0);
    for (const run of ['single-task/reach/0', 'single-task/push/0', 'concat-onehot/0']) expect(untimed(b, run)).toEqual(untimed(a, run));

    // Once more in the first folder: everything is finished, nothing runs again.
    const before = readFileSync(join(a, 'runs', 'concat-onehot/0', 'done.json'), 'utf8');
    const r3 = await bench(['--out', a, ...args]).done;
    expect(r3.code, r3.out).toBe(0);
    expect(r3.out).toContain('3 of 3 runs already finished; 0 to go');
    expect(readFileSync(join(a, 'runs', 'concat-onehot/0', 'done.json'), 'utf8')).toBe(before);

    // As a fresh clone of a committed sweep has it (runs/ is not committed, the report's raw/ is):
    // the finished runs come back from raw/, nothing trains again, the report keeps every run.
    const c = join(dir, 'tiny-clone');
    cpSync(a, c, { recursive: true, filter: (src) => src !== join(a, 'runs') });
    expect(existsSync(join(c, 'runs'))).toBe(false);
    const r5 = await bench(['--out', c, ...args]).done;
    expect(r5.code, r5.out).toBe(0);
    expect(r5.out).toContain('3 finished run(s) restored from');
    expect(r5.out).toContain('3 of 3 runs already finished; 0 to go');
    expect(readFileSync(join(c, 'runs', 'concat-onehot/0', 'done.json'), 'utf8')).toBe(before);
    expect(successFigures(results(c))).toEqual(successFigures(res));

    // Different settings in the same folder are refused, naming them.
    const r4 = await bench(['--out', a, ...args.map((x) => (x === '400' ? '800' : x))]).done;
    expect(r4.code).toBe(2);
    expect(r4.out).toMatch(/other settings \(budgetPerTask\)/);
  }, 240_000);

  it('a killed sweep resumes: finished runs are kept, the interrupted one continues from its checkpoint', async () => {
    const s = join(dir, 'killed');
    const args = ['--out', s, '--tasks', 'reach', '--conditions', 'single,concat', '--seeds', '0', '--budget', '1600', '--eval-every', '200', '--demos', '0', ...TINY];
    const first = bench(args);
    const run1 = join(s, 'runs', 'single-task/reach/0');
    const run2 = join(s, 'runs', 'concat-onehot/0');
    // Kill the sweep (SIGKILL: no clean-up at all) once the second run has a checkpoint.
    await until(() => existsSync(join(run2, 'checkpoint.bin')), 120_000, 'the second run to checkpoint');
    first.child.kill('SIGKILL');
    await first.done;
    expect(existsSync(join(run1, 'done.json'))).toBe(true);
    const finished = readFileSync(join(run1, 'done.json'), 'utf8');
    // The orphaned run notices its sweep is gone, checkpoints and exits.
    const pid = JSON.parse(readFileSync(join(run2, 'attempts.jsonl'), 'utf8').trim().split('\n')[0]).pid as number;
    await until(() => !alive(pid), 60_000, 'the orphaned run to exit');
    expect(existsSync(join(run2, 'done.json'))).toBe(false);

    const second = await bench(args).done;
    expect(second.code, second.out).toBe(0);
    expect(second.out).toContain('1 of 2 runs already finished; 1 to go');
    expect(second.out).toMatch(/concat-onehot\/0: resumed from its checkpoint at \d+ env steps/);
    expect(readFileSync(join(run1, 'done.json'), 'utf8')).toBe(finished);
    const attempts = readFileSync(join(run2, 'attempts.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(attempts).toHaveLength(2);
    expect(attempts[1].resumedFrom).toBeGreaterThan(0);
    const res = results(s);
    expect(res.complete).toBe(true);
    const run = res.runs.find((r) => r.id === 'concat-onehot/0')!;
    expect(run.resumed).toBe(true);
    expect(run).toMatchObject({ attempts: 2, restarts: 0, resumedFrom: [attempts[1].resumedFrom] });
    expect(readFileSync(join(s, 'report', 'report.md'), 'utf8')).toMatch(/\| `concat-onehot\/0` \| done \| 1\.6k \| [^|]+ \| 2: resumed from checkpoint at [\d.]+k? \|/);
    // the resumed run's curve is whole: one point per evaluation interval, none twice
    expect(run.curves.reach.map((p) => p.x)).toEqual([200, 400, 600, 800, 1000, 1200, 1400, 1600]);
    expect(res.provenance.invocations).toHaveLength(2);
  }, 240_000);

  it('a failing run is reported and the rest of the sweep finishes', async () => {
    const s = join(dir, 'failing');
    // A real task file whose success check throws once training is under way.
    const broken = join(dir, 'broken-task.ts');
    writeFileSync(
      broken,
      `let calls = 0;
export default {
  name: 'broken', description: 'reach, but its success check throws after 300 calls', maxSteps: 50,
  metadata: { objectKind: 'none', needsGrasp: false, usesFixture: false, goalInAir: true },
  initializeEpisode(ctx) { ctx.setGoal([ctx.rng.uniform(-0.2, 0.2), ctx.rng.uniform(-0.2, 0.2), 0.15]); },
  achievedGoal: (s) => s.tcp,
  isSuccess(a, d) { if (++calls > 300) throw new Error('deliberate failure in the broken task'); return Math.hypot(a[0] - d[0], a[1] - d[1], a[2] - d[2]) < 0.05; },
  denseReward: () => 0,
};
`,
    );
    const r = await bench(['--out', s, '--tasks', `reach,${broken}`, '--conditions', 'single', '--seeds', '0', '--budget', '400', '--eval-every', '200', '--demos', '0', ...TINY]).done;
    expect(r.code, r.out).toBe(1);
    expect(r.out).toMatch(/single-task\/broken\/0: FAILED/);
    expect(r.out).toMatch(/report: .*\(1 of 2 runs finished, 1 failed: single-task\/broken\/0\)/);
    expect(readFileSync(join(s, 'runs', 'single-task/broken/0', 'error.txt'), 'utf8')).toContain('deliberate failure in the broken task');
    const res = results(s);
    expect(res.runs.find((x) => x.id === 'single-task/reach/0')!.state).toBe('done');
    expect(res.runs.find((x) => x.id === 'single-task/broken/0')!.state).toBe('failed');
    expect(res.cells.map((c) => c.task)).toEqual(['reach']);
    const md = readFileSync(join(s, 'report', 'report.md'), 'utf8');
    expect(md).toContain('PARTIAL REPORT');
    expect(md).toMatch(/### Failed runs[\s\S]*deliberate failure in the broken task/);
  }, 240_000);
});
