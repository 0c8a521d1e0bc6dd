// Sweeps through a real BullMQ queue on a real Redis (a private redis-server, redis.ts), with the
// real coordinator (`npm run bench -- --queue`) and real worker processes (`npm run worker`)
// training tiny networks on real Rapier worlds:
//   - two workers sharing a folder, one killed with SIGKILL mid-run: its run goes back to the queue
//     and resumes from its checkpoint on the other; that one is stopped with SIGTERM, which hands
//     the run straight back; a third finishes it. Every run done once, its attempts marked, metric
//     rows strictly increasing, none twice; running the command again adds nothing;
//   - a worker frozen mid-run (SIGSTOP) and thawed after another took its run over: its run leaves
//     without writing into the shared folder, and the run is done once with every row once;
//   - Redis emptied mid-run (a restart without persistence): the run is enqueued again and
//     resumes from its checkpoint;
//   - two workers with their own folders, one killed: its run starts over on the other, and the
//     sweep's success figures (and every logged number but the clocks) equal the local sweep's;
//   - a coordinator stopped and restarted while nothing works the queue (nothing enqueued twice),
//     a worker finishing the runs meanwhile, the coordinator collecting them later from Redis,
//     and a failing run reported and retried;
//   - the errors: a bad URL, no Redis there, a queue sweep folder run locally;
//   - run-one.ts under a worker (no Redis needed): it reports its rows, starts a resumed attempt
//     with the rows its checkpoint covers, and leaves when owner.txt names another attempt.
// Skipped without redis-server outside CI (as the browser tests are without Chromium).
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProgressFile } from '../../agents/bench/progress.ts';
import type { Results } from '../../agents/bench/report.ts';
import type { RunMessage } from '../../agents/bench/run-one.ts';
import { parseCondition, SWEEP_DEFAULTS, sweepSchema } from '../../agents/bench/spec.ts';
import { TSX_LOADER as TSX } from '../../agents/bench/sweep.ts';
import { haveRedis, startRedis, type TestRedis } from './redis.ts';

const root = resolve(import.meta.dirname, '../..');
const BENCH = join(root, 'agents/bench/cli.ts');
const WORKER = join(root, 'agents/bench/cli-worker.ts');
const inCI = process.env.CI === 'true';

const dir = mkdtempSync(join(tmpdir(), 'rrl-queue-sweep-'));
let redis: TestRedis;
const procs: ChildProcess[] = [];

beforeAll(async () => {
  if (haveRedis || inCI) redis = await startRedis(dir);
});
afterAll(async () => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

// Tiny learners so a run takes seconds: what is tested is the machinery, not the learning.
const TINY = ['--demos', '0', '--hidden', '16,16', '--batch', '32', '--learning-starts', '50', '--eval-episodes', '4', '--envs-per-task', '4'];

interface Proc {
  child: ChildProcess;
  output(): string;
  waitFor(re: RegExp, ms: number): Promise<RegExpMatchArray>;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>;
}

function run(script: string, args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(process.execPath, ['--import', TSX, script, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: '', ...env } });
  procs.push(child);
  let out = '';
  child.stdout!.on('data', (b) => (out += b));
  child.stderr!.on('data', (b) => (out += b));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>((res) => child.on('exit', (code, signal) => setTimeout(() => res({ code, signal, out }), 50)));
  return {
    child,
    output: () => out,
    waitFor: async (re, ms) => {
      const t0 = Date.now();
      for (;;) {
        const m = out.match(re);
        if (m) return m;
        if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${re} in:\n${out}`);
        if (child.exitCode !== null) throw new Error(`the process ended (${child.exitCode}) before ${re} appeared:\n${out}`);
        await sleep(100);
      }
    },
    done,
  };
}
const bench = (args: string[]) => run(BENCH, args);
const worker = (name: string, workDir: string, extra: string[] = []) => run(WORKER, ['--queue', redis.url, '--jobs', '1', '--dir', workDir, '--name', name, '--lock-seconds', '3', ...extra]);

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
const parentOf = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[1]);
const jsonl = <T>(p: string): T[] => readFileSync(p, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as T);
const results = (sweep: string): Results => JSON.parse(readFileSync(join(sweep, 'report', 'results.json'), 'utf8'));
const progressOf = (sweep: string): ProgressFile => JSON.parse(readFileSync(join(sweep, 'report', 'progress.json'), 'utf8'));
const sweepIdOf = (sweep: string) => (JSON.parse(readFileSync(join(sweep, 'queue.json'), 'utf8')) as { sweepId: string }).sweepId;
/** The success figures only: wall times are measured and differ between runs. */
const successFigures = (r: Results) => r.cells.map((c) => ({ task: c.task, condition: c.condition, perSeed: c.perSeed.map((s) => ({ ...s, wallToThreshold: null })) }));
/** Every logged number but the clock-based ones. */
const untimed = (file: string) =>
  jsonl<Record<string, unknown>>(file).map(({ wallSeconds: _w, envStepsPerSec: _e, updatesPerSec: _u, time: _t, ...rest }) => rest);

/** Checks every run's metrics in the coordinator's folder: env steps strictly increasing, ending at the budget. */
function expectWholeRows(sweep: string, runIds: string[], budget: number): void {
  for (const id of runIds) {
    const steps = jsonl<{ envSteps: number }>(join(sweep, 'runs', id, 'metrics.jsonl')).map((r) => r.envSteps);
    expect(steps.length, id).toBeGreaterThan(1);
    for (let i = 1; i < steps.length; i++) expect(steps[i], `${id}: ${steps.join(',')}`).toBeGreaterThan(steps[i - 1]);
    expect(steps.at(-1)).toBe(budget);
  }
}

/** Among a sweep's run folders in a worker's folder: one that holds a checkpoint and is not finished. */
function runWithCheckpoint(workDir: string, sweepId: string): string | null {
  const runs = join(workDir, sweepId, 'runs');
  if (!existsSync(runs)) return null;
  const found: string[] = [];
  const walk = (rel: string) => {
    const abs = join(runs, rel);
    if (existsSync(join(abs, 'checkpoint.bin')) && !existsSync(join(abs, 'done.json'))) found.push(rel);
    for (const e of readdirSync(abs, { withFileTypes: true })) if (e.isDirectory()) walk(rel ? `${rel}/${e.name}` : e.name);
  };
  walk('');
  return found[0] ?? null;
}

describe.skipIf(!haveRedis && !inCI)('bench sweep through a BullMQ queue (real Redis, real workers)', () => {
  it('shared folder: a worker killed mid-run, its run resumes from its checkpoint elsewhere; a stopped worker hands its run back; every run done once', async () => {
    const s = join(dir, 'shared');
    const shared = join(dir, 'shared-work');
    const budget = 2400;
    const args = ['--out', s, '--tasks', 'reach', '--conditions', 'single,concat', '--seeds', '0', '--budget', String(budget), '--eval-every', '200', ...TINY, '--queue', redis.url];
    const coord = bench(args);
    await coord.waitFor(/2 run\(s\) enqueued/, 60_000);
    const sweepId = sweepIdOf(s);
    const a = worker('A', shared);
    const b = worker('B', shared);

    // Progress on the way: runs on named workers.
    await until(() => existsSync(join(s, 'report', 'progress.json')) && progressOf(s).running > 0, 90_000, 'a running run in progress.json');
    expect(progressOf(s)).toMatchObject({ mode: 'queue', state: 'running', sweepId, total: 2 });
    expect(progressOf(s).workers.flatMap((w) => w.running).length).toBeGreaterThan(0);

    // SIGKILL the worker of a run that has a checkpoint and is not finished.
    let victimRun: string | null = null;
    await until(() => (victimRun = runWithCheckpoint(shared, sweepId)) !== null, 120_000, 'a run to checkpoint');
    const runDir = join(shared, sweepId, 'runs', victimRun!);
    const runPid = jsonl<{ pid: number }>(join(runDir, 'attempts.jsonl')).at(-1)!.pid;
    const owner = [a, b].find((w) => w.child.pid === parentOf(runPid))!;
    const other = owner === a ? b : a;
    const otherName = owner === a ? 'B' : 'A';
    owner.child.kill('SIGKILL');
    // Its run notices its worker is gone, checkpoints and exits.
    await until(() => !alive(runPid), 60_000, 'the orphaned run to exit');
    expect(existsSync(join(runDir, 'done.json'))).toBe(false);

    // The lock expires, BullMQ puts the job back, the other worker resumes it from the checkpoint.
    const resumed = await coord.waitFor(new RegExp(`${victimRun!.replace(/\//g, '\\/')}: started on ${otherName} \\(attempt 2, resumed from its checkpoint at (\\d+) env steps\\)`), 120_000);
    expect(Number(resumed[1])).toBeGreaterThan(0);
    // Stop that worker cleanly: the run checkpoints and its job goes straight back to the queue.
    await other.waitFor(/resumed from its checkpoint/, 30_000);
    other.child.kill('SIGTERM');
    const stopped = await other.done;
    expect(stopped.code, stopped.out).toBe(143);
    expect(stopped.out).toMatch(/stopped; back to the queue/);
    expect(existsSync(join(runDir, 'done.json'))).toBe(false);
    // A third worker on the same folder finishes it from there.
    const c = worker('C', shared);
    const r = await coord.done;
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/report: .*report\.md \(2 of 2 runs finished\)/);
    expect(r.out).toMatch(new RegExp(`${victimRun!.replace(/\//g, '\\/')}: started on C \\(attempt 3, resumed from its checkpoint at \\d+ env steps\\)`));

    const res = results(s);
    expect(res.complete).toBe(true);
    const victim = res.runs.find((x) => x.id === victimRun)!;
    expect(victim).toMatchObject({ state: 'done', attempts: 3, restarts: 0, resumed: true });
    expect(victim.resumedFrom).toHaveLength(2);
    const survivor = res.runs.find((x) => x.id !== victimRun)!;
    expect(survivor).toMatchObject({ state: 'done', attempts: 1, resumed: false });
    // every evaluation on the grid once, rows strictly increasing in both runs
    for (const x of res.runs) expect(x.curves.reach.map((p) => p.x)).toEqual(Array.from({ length: budget / 200 }, (_, i) => 200 * (i + 1)));
    expectWholeRows(s, res.runs.map((x) => x.id), budget);
    // the coordinator's record of the attempts, worker by worker
    const attempts = jsonl<{ attempt: number; worker: string; resumedFrom: number }>(join(s, 'runs', victimRun!, 'attempts.jsonl'));
    expect(attempts.map((x) => [x.attempt, x.worker])).toEqual([[1, owner === a ? 'A' : 'B'], [2, otherName], [3, 'C']]);
    expect(readFileSync(join(s, 'report', 'report.md'), 'utf8')).toMatch(new RegExp(`\\| \`${victimRun!.replace(/\//g, '\\/')}\` \\| done \\| 2\\.4k \\| [^|]+ \\| 3: resumed from checkpoint at [\\d.]+k?, resumed from checkpoint at [\\d.]+k? \\|`));
    // Where the runs trained: every worker of an attempt, with its machine.
    expect(Object.keys(res.provenance.workers ?? {})).toEqual(['A', 'B', 'C']);
    expect(readFileSync(join(s, 'report', 'report.md'), 'utf8')).toMatch(/- \*\*Workers\*\* \(through a queue\): `A`: .+ cores, \d+ GiB, linux-\w+, Node v[\d.]+; `B`: .+; `C`: .+/);
    // And at which commit: the workers' checkout (this one), both runs, in the report too.
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    expect(res.provenance.runCommits).toEqual({ [head]: 2 });
    expect(readFileSync(join(s, 'report', 'report.md'), 'utf8')).toContain(`- **Commits the runs trained at** (the workers' checkouts, from each attempt's record in \`raw/<run>/attempts.jsonl\`; the git commit above is the sweep command's): ${head.slice(0, 12)} (2 runs)`);
    const done = JSON.parse(readFileSync(join(s, 'runs', victimRun!, 'done.json'), 'utf8'));
    expect(done).toMatchObject({ worker: 'C', resumed: true });
    expect(done.attempts).toHaveLength(3);
    const prog = progressOf(s);
    expect(prog).toMatchObject({ state: 'finished', total: 2, done: 2, running: 0, queued: 0, failed: 0, stepsDone: 2 * budget, stepsTotal: 2 * budget });
    expect(prog.workers.reduce((n, w) => n + w.done, 0)).toBe(2);
    expect(prog.runs.find((x) => x.id === victimRun)!.worker).toBe('C');
    // Nothing of the finished sweep is left in Redis.
    expect(await redis.client.keys(`*${sweepId}*`)).toEqual([]);

    // The same command again: everything is finished, nothing is enqueued or run.
    const again = await bench(args).done;
    expect(again.code, again.out).toBe(0);
    expect(again.out).toContain('2 of 2 runs already finished; 0 to go');
    expect(again.out).toContain(': 0 run(s) enqueued');
    expect(await redis.client.keys(`*${sweepId}*`)).toEqual([]);
    expect(JSON.parse(readFileSync(join(s, 'runs', victimRun!, 'done.json'), 'utf8'))).toEqual(done);
    expect(results(s).provenance.invocations).toHaveLength(2);

    c.child.kill('SIGTERM');
    expect((await c.done).code).toBe(143);
  }, 300_000);

  it('a frozen worker that comes back finds its run taken over: its run leaves without writing, the other finishes it, no row twice', async () => {
    const s = join(dir, 'frozen');
    const shared = join(dir, 'frozen-work');
    const budget = 2400;
    const coord = bench(['--out', s, '--tasks', 'reach', '--conditions', 'single', '--seeds', '0', '--budget', String(budget), '--eval-every', '200', ...TINY, '--queue', redis.url]);
    await coord.waitFor(/1 run\(s\) enqueued/, 60_000);
    const sweepId = sweepIdOf(s);
    const a = worker('A', shared);
    const runDir = join(shared, sweepId, 'runs', 'single-task/reach/0');
    await until(() => existsSync(join(runDir, 'checkpoint.bin')), 120_000, 'the run to checkpoint');
    const b = worker('B', shared);
    await b.waitFor(/worker B: taking runs/, 60_000);
    // Freeze A and its run (a machine that stops answering); B takes the run over from the checkpoint.
    const runPid = jsonl<{ pid: number }>(join(runDir, 'attempts.jsonl')).at(-1)!.pid;
    process.kill(runPid, 'SIGSTOP');
    a.child.kill('SIGSTOP');
    await coord.waitFor(/single-task\/reach\/0: started on B \(attempt 2, resumed from its checkpoint at \d+ env steps\)/, 120_000);
    expect(readFileSync(join(runDir, 'owner.txt'), 'utf8')).toBe('B attempt 2');
    // A comes back: its run sees another owner and leaves; A gives up the job it no longer holds.
    process.kill(runPid, 'SIGCONT');
    a.child.kill('SIGCONT');
    await until(() => !alive(runPid), 30_000, "A's run to leave");
    // Whichever notices first: the run (owner.txt names B) or A's lock watchdog, which kills it.
    const left = await Promise.race([
      until(() => readFileSync(join(runDir, 'log.txt'), 'utf8').includes('another worker has taken this run over; leaving without writing anything more'), 30_000, 'the takeover message').then(() => 'by itself'),
      a.waitFor(/single-task\/reach\/0: (no lock renewal for [\d.]+ s|its lock could not be renewed); killing its run/, 30_000).then(() => 'killed by its worker'),
    ]);
    console.log(`frozen run left ${left}`);
    await a.waitFor(/single-task\/reach\/0: taken over by another worker; leaving it to that one/, 30_000);
    const r = await coord.done;
    expect(r.code, r.out).toBe(0);
    const res = results(s);
    expect(res.runs[0]).toMatchObject({ state: 'done', attempts: 2, restarts: 0, resumed: true });
    expect(res.runs[0].curves.reach.map((p) => p.x)).toEqual(Array.from({ length: budget / 200 }, (_, i) => 200 * (i + 1)));
    expectWholeRows(s, ['single-task/reach/0'], budget);
    expect(JSON.parse(readFileSync(join(s, 'runs', 'single-task/reach/0', 'done.json'), 'utf8')).worker).toBe('B');
    for (const w of [a, b]) {
      w.child.kill('SIGTERM');
      expect((await w.done).code).toBe(143);
    }
  }, 300_000);

  it('Redis loses everything mid-run (a restart without persistence): the run is enqueued again and resumes from its worker\'s checkpoint', async () => {
    const s = join(dir, 'flushed');
    const work = join(dir, 'flushed-work');
    const budget = 2400;
    const coord = bench(['--out', s, '--tasks', 'reach', '--conditions', 'single', '--seeds', '0', '--budget', String(budget), '--eval-every', '200', ...TINY, '--queue', redis.url]);
    await coord.waitFor(/1 run\(s\) enqueued/, 60_000);
    const w = worker('W', work);
    const runDir = join(work, sweepIdOf(s), 'runs', 'single-task/reach/0');
    await until(() => existsSync(join(runDir, 'checkpoint.bin')), 120_000, 'the run to checkpoint');
    // The case under test: the coordinator had seen the first attempt when Redis lost it (on a
    // quiet machine the run can checkpoint before the coordinator's next read of the stream).
    await coord.waitFor(/single-task\/reach\/0: started on W \(attempt 1\)/, 60_000);
    await redis.client.flushall();
    await coord.waitFor(/single-task\/reach\/0: its job was missing from Redis; enqueued again/, 60_000);
    await w.waitFor(/single-task\/reach\/0: (its lock could not be renewed|no lock renewal for [\d.]+ s); killing its run/, 60_000);
    const r = await coord.done;
    expect(r.code, r.out).toBe(0);
    // The run's second attempt (its new job's first): numbered among the run's attempts.
    expect(r.out).toMatch(/single-task\/reach\/0: started on W \(attempt 2, resumed from its checkpoint at \d+ env steps\)/);
    expect(jsonl<{ attempt: number }>(join(s, 'runs', 'single-task/reach/0', 'attempts.jsonl')).map((a) => a.attempt)).toEqual([1, 2]);
    const res = results(s);
    expect(res.runs[0]).toMatchObject({ state: 'done', attempts: 2, restarts: 0, resumed: true });
    expect(res.runs[0].curves.reach.map((p) => p.x)).toEqual(Array.from({ length: budget / 200 }, (_, i) => 200 * (i + 1)));
    expectWholeRows(s, ['single-task/reach/0'], budget);
    w.child.kill('SIGTERM');
    expect((await w.done).code).toBe(143);
  }, 300_000);

  it('own folders: the killed worker\'s run starts over on the other, and the figures equal the local sweep\'s', async () => {
    const budget = 1600;
    const spec = ['--tasks', 'reach', '--conditions', 'single,concat', '--seeds', '0', '--budget', String(budget), '--eval-every', '200', ...TINY];
    const local = join(dir, 'local');
    const l = await bench(['--out', local, ...spec, '--jobs', '2']).done;
    expect(l.code, l.out).toBe(0);

    const s = join(dir, 'separate');
    const coord = bench(['--out', s, ...spec, '--queue', redis.url]);
    await coord.waitFor(/2 run\(s\) enqueued/, 60_000);
    const sweepId = sweepIdOf(s);
    const dirs = { A: join(dir, 'work-a'), B: join(dir, 'work-b') };
    const ws = { A: worker('A', dirs.A), B: worker('B', dirs.B) };
    let victim: 'A' | 'B' | null = null;
    let victimRun: string | null = null;
    await until(
      () => {
        for (const k of ['A', 'B'] as const) {
          const r = runWithCheckpoint(dirs[k], sweepId);
          if (r) [victim, victimRun] = [k, r];
        }
        return victim !== null;
      },
      120_000,
      'a run to checkpoint',
    );
    ws[victim!].child.kill('SIGKILL');
    const survivor = victim === 'A' ? 'B' : 'A';
    await coord.waitFor(new RegExp(`${victimRun!.replace(/\//g, '\\/')}: started on ${survivor} \\(attempt 2, from the start`), 120_000);
    const r = await coord.done;
    expect(r.code, r.out).toBe(0);

    const res = results(s);
    expect(res.complete).toBe(true);
    expect(res.runs.find((x) => x.id === victimRun)).toMatchObject({ attempts: 2, restarts: 1, resumed: false, resumedFrom: [] });
    expect(readFileSync(join(s, 'report', 'report.md'), 'utf8')).toMatch(new RegExp(`\\| \`${victimRun!.replace(/\//g, '\\/')}\` \\| done \\| 1\\.6k \\| [^|]+ \\| 2: restarted from scratch \\|`));
    expectWholeRows(s, res.runs.map((x) => x.id), budget);
    // The same success figures as the local sweep, and the same learning underneath (a run started
    // over repeats its first attempt exactly).
    expect(successFigures(res)).toEqual(successFigures(results(local)));
    for (const id of res.runs.map((x) => x.id)) expect(untimed(join(s, 'runs', id, 'metrics.jsonl')), id).toEqual(untimed(join(local, 'runs', id, 'metrics.jsonl')));

    ws[survivor].child.kill('SIGTERM');
    expect((await ws[survivor].done).code).toBe(143);
  }, 300_000);

  it('the coordinator stopped and run again enqueues nothing twice, collects what finished meanwhile, reports and retries a failing run', async () => {
    const s = join(dir, 'later');
    const broken = join(dir, 'broken-task.ts');
    writeFileSync(
      broken,
      `export default {
  name: 'broken', description: 'reach, but its success check throws', maxSteps: 50,
  metadata: { objectKind: 'none', needsGrasp: false, usesFixture: false, goalInAir: true },
  initializeEpisode(ctx) { ctx.setGoal([ctx.rng.uniform(-0.2, 0.2), ctx.rng.uniform(-0.2, 0.2), 0.15]); },
  achievedGoal: (s) => s.tcp,
  isSuccess() { throw new Error('deliberate failure in the broken task'); },
  denseReward: () => 0,
};
`,
    );
    const args = ['--out', s, '--tasks', `reach,${broken}`, '--conditions', 'single', '--seeds', '0', '--budget', '400', '--eval-every', '200', ...TINY, '--queue', redis.url];
    const first = bench(args);
    await first.waitFor(/2 run\(s\) enqueued/, 60_000);
    first.child.kill('SIGTERM');
    const r1 = await first.done;
    expect(r1.code, r1.out).toBe(143);
    expect(r1.out).toMatch(/stopped collecting; the workers go on/);
    const sweepId = sweepIdOf(s);
    const waiting = () => redis.client.lrange('bull:rrl-bench:wait', 0, -1).then((ids) => ids.filter((i) => i.startsWith(`${sweepId}/`)).sort());
    expect(await waiting()).toEqual([`${sweepId}/single-task/broken/0`, `${sweepId}/single-task/reach/0`]);
    expect(progressOf(s)).toMatchObject({ state: 'stopped', queued: 2 });

    // Again: already queued, not added twice.
    const second = bench(args);
    await second.waitFor(/0 run\(s\) enqueued, 2 already queued/, 60_000);
    second.child.kill('SIGTERM');
    expect((await second.done).code).toBe(143);
    expect(await waiting()).toHaveLength(2);

    // A worker works through the queue with no coordinator watching.
    const w = worker('W', join(dir, 'work-w'));
    await w.waitFor(/single-task\/reach\/0: done/, 120_000);
    await w.waitFor(/single-task\/broken\/0: FAILED/, 120_000);

    // The coordinator collects both from Redis: the finished run (with the attempt the stream
    // recorded) and the failure with its reason.
    const third = await bench(args).done;
    expect(third.code, third.out).toBe(1);
    expect(third.out).toMatch(/single-task\/reach\/0: started on W \(attempt 1\)/);
    expect(third.out).toMatch(/single-task\/reach\/0: done on W/);
    expect(third.out).toMatch(/single-task\/broken\/0: FAILED on W/);
    expect(third.out).toMatch(/report: .*\(1 of 2 runs finished, 1 failed: single-task\/broken\/0\)/);
    expect(readFileSync(join(s, 'runs', 'single-task/broken/0', 'error.txt'), 'utf8')).toContain('deliberate failure in the broken task');
    const res = results(s);
    expect(res.runs.find((x) => x.id === 'single-task/reach/0')).toMatchObject({ state: 'done', attempts: 1 });
    expect(res.runs.find((x) => x.id === 'single-task/broken/0')!.state).toBe('failed');
    expect(jsonl<{ worker: string }>(join(s, 'runs', 'single-task/reach/0', 'attempts.jsonl')).map((x) => x.worker)).toEqual(['W']);
    expect(progressOf(s)).toMatchObject({ state: 'finished', done: 1, failed: 1, workers: [{ name: 'W', done: 1, failed: 1 }] });

    // Once more: the failed run is retried (and fails again), the finished one left alone.
    const fourth = await bench(args).done;
    expect(fourth.code, fourth.out).toBe(1);
    expect(fourth.out).toContain('1 of 2 runs already finished; 1 to go');
    expect(fourth.out).toMatch(/0 run\(s\) enqueued, 1 failed run\(s\) retried/);
    expect(fourth.out).toMatch(/single-task\/broken\/0: started on W \(attempt 2/);
    w.child.kill('SIGTERM');
    expect((await w.done).code).toBe(143);
  }, 300_000);

  it('errors: a bad URL, no Redis there, a queue sweep run locally, a worker without --queue', async () => {
    const s = join(dir, 'errors');
    const base = ['--out', s, '--tasks', 'reach', '--conditions', 'single', '--seeds', '0', '--budget', '400', '--eval-every', '200', ...TINY];
    const bad = await bench([...base, '--queue', 'localhost:6379']).done;
    expect(bad.code).toBe(2);
    expect(bad.out).toMatch(/error: --queue must be a Redis URL like redis:\/\/HOST:6379 \(the scheme must be redis:\/\/ or rediss:\/\/, not localhost:\/\/\), got "localhost:6379"/);
    const jobs = await bench([...base, '--queue', redis.url, '--jobs', '2']).done;
    expect(jobs.code).toBe(2);
    expect(jobs.out).toMatch(/--jobs does not apply with --queue/);
    // A port nothing listens on: a clear error at once, nothing recorded.
    const none = await bench([...base, '--queue', 'redis://127.0.0.1:1']).done;
    expect(none.code).toBe(1);
    expect(none.out).toMatch(/error: cannot use Redis at redis:\/\/127\.0\.0\.1:1 \(--queue\): .*ECONNREFUSED.*; start one/);
    expect(existsSync(join(s, 'invocations.jsonl'))).toBe(false);
    const w = await run(WORKER, ['--jobs', '1']).done;
    expect(w.code).toBe(2);
    expect(w.out).toMatch(/error: --queue is required/);
    const wBad = await run(WORKER, ['--queue', redis.url, '--lock-seconds', '1']).done;
    expect(wBad.code).toBe(2);
    expect(wBad.out).toMatch(/--lock-seconds must be an integer from 2 to 3,600/);

    // A server that wants a password: said so; the password may come from the environment.
    await redis.client.config('SET', 'requirepass', 'pw-for-test');
    try {
      const noPw = await bench([...base, '--queue', redis.url]).done;
      expect(noPw.code).toBe(1);
      expect(noPw.out).toMatch(/cannot use Redis at .*NOAUTH.*; the server wants a password: redis:\/\/:PASSWORD@HOST:PORT, or set RRL_REDIS_PASSWORD/);
      const withPw = run(WORKER, ['--queue', redis.url, '--dir', join(dir, 'work-pw'), '--name', 'P'], { RRL_REDIS_PASSWORD: 'pw-for-test' });
      await withPw.waitFor(/worker P: taking runs from redis:\/\/127\.0\.0\.1:\d+ \(queue rrl-bench\)/, 60_000);
      withPw.child.kill('SIGTERM');
      expect((await withPw.done).code).toBe(143);
    } finally {
      await redis.client.config('SET', 'requirepass', '');
    }

    // A folder enqueued on a queue is not run locally by mistake.
    const q = bench([...base, '--queue', redis.url]);
    await q.waitFor(/1 run\(s\) enqueued/, 60_000);
    q.child.kill('SIGTERM');
    await q.done;
    const local = await bench(base).done;
    expect(local.code).toBe(1);
    expect(local.out).toMatch(/runs through a queue \(queue\.json\): add --queue with its Redis URL; or, to finish it on this machine instead, delete queue\.json/);
  }, 120_000);
});

describe('run-one.ts as a worker runs it', () => {
  it('reports rows, starts a resumed attempt with the rows its checkpoint covers, and leaves when owner.txt names another attempt', async () => {
    const sweep = join(dir, 'run-one');
    const spec = sweepSchema.parse({
      version: 1, ...SWEEP_DEFAULTS, tasks: ['reach'], taskNames: ['reach'], conditions: [parseCondition('single')], seeds: [0],
      budgetPerTask: 4000, evalEveryPerTask: 200, evalEpisodes: 2, envsPerTask: 4, batchSize: 32, learningStartsPerTask: 50, hidden: [16, 16], demoEpisodes: 0,
    });
    mkdirSync(sweep, { recursive: true });
    writeFileSync(join(sweep, 'sweep.json'), JSON.stringify(spec));
    const runDir = join(sweep, 'runs', 'single-task/reach/0');
    mkdirSync(runDir, { recursive: true });
    const start = (owner: string) => {
      writeFileSync(join(runDir, 'owner.txt'), owner);
      const child = fork(join(root, 'agents/bench/run-one.ts'), [sweep, 'single-task/reach/0'], { execArgv: ['--import', TSX], stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env: { ...process.env, RRL_RUN_OWNER: owner, RRL_BLAS_THREADS: '1' } });
      procs.push(child);
      const messages: RunMessage[] = [];
      let err = '';
      child.on('message', (m: RunMessage) => messages.push(m));
      child.stderr!.on('data', (b) => (err += b));
      child.stdout!.resume();
      const exit = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
      return { child, messages, err: () => err, exit };
    };

    const first = start('A attempt 1');
    await until(() => existsSync(join(runDir, 'checkpoint.bin')) && first.messages.filter((m) => m.type === 'row').length >= 3, 120_000, 'rows and a checkpoint');
    expect(first.messages[0]).toMatchObject({ type: 'started', resumedFrom: 0, rows: [], attempt: { resumedFrom: 0, pid: first.child.pid } });
    // Another attempt takes the folder over: this one leaves within a step, writing nothing more.
    writeFileSync(join(runDir, 'owner.txt'), 'B attempt 2');
    // Counted on disk, not in the messages (rows already written may still be on their way over
    // IPC, more than one of them on a fast machine): the run checks the owner before every step,
    // so at most the step in progress adds a row.
    const rowsAtTakeover = jsonl(join(runDir, 'metrics.jsonl')).length;
    expect(await first.exit).toBe(4);
    expect(first.err()).toMatch(/owner\.txt names "B attempt 2" now, not "A attempt 1": another worker has taken this run over/);
    const rowsOnDisk = jsonl<{ envSteps: number }>(join(runDir, 'metrics.jsonl'));
    expect(rowsOnDisk.length).toBeLessThanOrEqual(rowsAtTakeover + 1);
    // every row it wrote, it also reported
    expect(first.messages.filter((m) => m.type === 'row').map((m) => (m as { row: { envSteps: number } }).row.envSteps)).toEqual(rowsOnDisk.map((r) => r.envSteps));

    // The next attempt resumes: its start carries exactly the rows its checkpoint covers.
    const second = start('B attempt 2');
    await until(() => second.messages.some((m) => m.type === 'started'), 60_000, 'the second start');
    const st = second.messages.find((m) => m.type === 'started') as Extract<RunMessage, { type: 'started' }>;
    expect(st.resumedFrom).toBeGreaterThan(0);
    expect(st.rows.map((r) => r.envSteps)).toEqual(rowsOnDisk.map((r) => r.envSteps).filter((x) => x <= st.resumedFrom));
    expect(await second.exit).toBe(0);
    const all = [...st.rows, ...second.messages.filter((m) => m.type === 'row').map((m) => (m as { row: { envSteps: number } }).row)].map((r) => r.envSteps);
    expect(all).toEqual(Array.from({ length: 20 }, (_, i) => 200 * (i + 1)));
    expect(jsonl<{ envSteps: number }>(join(runDir, 'metrics.jsonl')).map((r) => r.envSteps)).toEqual(all);
  }, 180_000);
});
