// The queue's pure parts: Redis URLs (and the errors that name --queue), passwords kept out of
// logs, the stream's entry encoding, the rules for which streamed rows count (RunLedger), the rows a
// checkpoint covers (what a resumed run starts its stream with), and the progress summary.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EtaClock, progressFile, TrainedSteps, workersOf, workersText, type RunProgress } from '../../agents/bench/progress.ts';
import { decodeEvent, encodeEvent, jobIdOf, mergeAttempts, oneRowPerStep, parseRedisUrl, redactArgs, RunLedger, type AttemptRecord, type StreamEvent } from '../../agents/bench/queue.ts';
import { committedRows } from '../../agents/bench/run-one.ts';
import type { MetricsRow } from '../../agents/train/observer.ts';
import { PHASES, type TimeBreakdown } from '../../agents/train/clock.ts';

const dir = mkdtempSync(join(tmpdir(), 'rrl-queue-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const row = (envSteps: number, evalSuccess?: number): MetricsRow => ({
  envSteps,
  wallSeconds: envSteps / 100,
  updates: envSteps,
  envStepsPerSec: 100,
  time: { seconds: 1, fractions: Object.fromEntries(PHASES.map((p) => [p, p === 'updates' ? 1 : 0])) as TimeBreakdown['fractions'] },
  updatesPerSec: 100,
  tasks: { reach: { episodes: 1, trainSuccess: 0, trainReturn: -1, alpha: 0.1, ...(evalSuccess === undefined ? {} : { evalSuccess }) } },
  qLoss: 1,
  actorLoss: 1,
  alphaLoss: 0,
  meanQ: 0,
});
const record = (attempt: number, resumedFrom: number, worker = 'w'): AttemptRecord => ({ attempt, worker, startedAt: '2026-01-01T00:00:00.000Z', resumedFrom, backend: 'b', pid: 1 });
const started = (attempt: number, rows: MetricsRow[], resumedFrom = rows.at(-1)?.envSteps ?? 0, epoch = 1000): StreamEvent => ({ type: 'started', run: 'r', epoch, attempt, record: record(attempt, resumedFrom), rows });
const rowEvent = (attempt: number, envSteps: number, epoch = 1000): StreamEvent => ({ type: 'row', run: 'r', epoch, attempt, row: row(envSteps) });

describe('Redis URLs', () => {
  it('reads host, port, database, user, password and TLS', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6379', 'queue', {})).toEqual({ display: 'redis://127.0.0.1:6379', options: { host: '127.0.0.1', port: 6379, db: 0, username: undefined, password: undefined, maxRetriesPerRequest: null } });
    expect(parseRedisUrl('redis://queue.lan', 'queue', {}).options).toMatchObject({ host: 'queue.lan', port: 6379, db: 0 });
    const secret = parseRedisUrl('rediss://bench:s3cr%40t@queue.lan:6380/2', 'queue', {});
    expect(secret.options).toMatchObject({ host: 'queue.lan', port: 6380, db: 2, username: 'bench', password: 's3cr@t', tls: {} });
    expect(secret.display).toBe('rediss://bench:***@queue.lan:6380/2');
    expect(parseRedisUrl('redis://:pw@[::1]:7000', 'queue', {})).toMatchObject({ display: 'redis://***@[::1]:7000', options: { host: '::1', port: 7000, password: 'pw' } });
    // the password from the environment when the URL has none (the URL shows in ps)
    expect(parseRedisUrl('redis://h:1', 'queue', { RRL_REDIS_PASSWORD: 'envpw' }).options.password).toBe('envpw');
    expect(parseRedisUrl('redis://:urlpw@h:1', 'queue', { RRL_REDIS_PASSWORD: 'envpw' }).options.password).toBe('urlpw');
  });

  it('refuses what is not one, naming the flag and the problem', () => {
    const cases: [string, RegExp][] = [
      ['localhost:6379', /scheme must be redis:\/\/ or rediss:\/\/, not localhost:/],
      ['not a url', /not a URL/],
      ['http://h:6379', /scheme must be redis:\/\/ or rediss:\/\/, not http:/],
      ['redis://h:0', /port must be from 1 to 65535/],
      ['redis://h:6379/abc', /database number \(\/0, \/1, \.\.\.\), not \/abc/],
      ['redis://h:6379/?x=1', /no query or fragment/],
    ];
    for (const [url, re] of cases) {
      expect(() => parseRedisUrl(url, 'queue', {}), url).toThrow(re);
      expect(() => parseRedisUrl(url, 'queue', {}), url).toThrow(/^--queue must be a Redis URL like redis:\/\/HOST:6379/);
    }
    expect(() => parseRedisUrl('redis://h:99999', 'queue', {})).toThrow(/--queue must be a Redis URL/);
  });

  it('keeps passwords out of recorded command lines', () => {
    expect(redactArgs(['--out', 'x', '--queue', 'redis://:hunter2@queue.lan:6379/1'])).toEqual(['--out', 'x', '--queue', 'redis://:***@queue.lan:6379/1']);
    expect(redactArgs(['--queue=rediss://bench:hunter2@h'])).toEqual(['--queue=rediss://bench:***@h']);
    expect(redactArgs(['--queue', 'redis://h:6379'])).toEqual(['--queue', 'redis://h:6379']);
  });

  it('job ids: the sweep id and the run id, no colon (BullMQ refuses it)', () => {
    expect(jobIdOf('bench-1a2b3c4d', 'single-task/reach/0')).toBe('bench-1a2b3c4d/single-task/reach/0');
  });
});

describe('stream entries', () => {
  it('round-trip, and anything else reads as nothing', () => {
    for (const e of [started(2, [row(200), row(400)], 400), rowEvent(3, 600)]) {
      const fields = encodeEvent(e);
      expect(fields.filter((_, i) => i % 2 === 0)).toEqual(['type', 'run', 'epoch', 'attempt', 'data']);
      expect(decodeEvent(fields)).toEqual(e);
    }
    expect(decodeEvent(['type', 'row', 'run', 'r', 'epoch', '5', 'attempt', '1', 'data', '{"row":'])).toBeNull();
    expect(decodeEvent(['type', 'row', 'run', 'r', 'epoch', '5', 'attempt', '0', 'data', JSON.stringify({ row: row(1) })])).toBeNull();
    expect(decodeEvent(['type', 'row', 'run', 'r', 'attempt', '1', 'data', JSON.stringify({ row: row(1) })])).toBeNull();
    expect(decodeEvent(['type', 'other', 'run', 'r', 'epoch', '5', 'attempt', '1', 'data', '{}'])).toBeNull();
    expect(decodeEvent(['type', 'started', 'run', 'r', 'epoch', '5', 'attempt', '1', 'data', '{"rows":[]}'])).toBeNull();
  });
});

describe('a run folder\'s attempts across sessions', () => {
  const rec = (worker: string, startedAt: string, resumedFrom: number, attempt = 1): AttemptRecord => ({ attempt, worker, startedAt, resumedFrom, backend: 'b', pid: 7 });
  it('keeps the attempts of earlier sessions that a fresh Redis no longer streams, each once, numbered in order', () => {
    // mt4-150k's multihead-onehot/2: started in one session, resumed at 322,688 env steps in the
    // next on a Redis started without persistence, whose stream held only the second start.
    const first = rec('w1', '2026-12-04T20:32:34.093Z', 0);
    const second = rec('w1', '2026-12-04T21:44:16.946Z', 322_688);
    expect(mergeAttempts([first], [second]).map((a) => [a.startedAt, a.attempt, a.resumedFrom])).toEqual([
      [first.startedAt, 1, 0],
      [second.startedAt, 2, 322_688],
    ]);
    // A Redis that kept its stream replays both: nothing twice.
    expect(mergeAttempts([first, { ...second, attempt: 2 }], [first, second])).toHaveLength(2);
    expect(mergeAttempts([], [second])).toEqual([{ ...second, attempt: 1 }]);
  });
});

describe('RunLedger: which streamed rows count', () => {
  it('an attempt starts with the rows its checkpoint covers and replaces everything after them', () => {
    const l = new RunLedger();
    expect(l.apply(started(1, []))).toEqual({ kind: 'restart' });
    for (const s of [200, 400, 600]) expect(l.apply(rowEvent(1, s)).kind).toBe('row');
    // the worker died; the next attempt resumed from the checkpoint at 400 (its row at 600 is gone)
    expect(l.apply(started(2, [row(200), row(400)], 400))).toEqual({ kind: 'restart' });
    expect(l.rows.map((r) => r.envSteps)).toEqual([200, 400]);
    expect(l.apply(rowEvent(2, 600)).kind).toBe('row');
    expect(l.rows.map((r) => r.envSteps)).toEqual([200, 400, 600]);
    expect(l.attempts.map((a) => [a.attempt, a.resumedFrom])).toEqual([[1, 0], [2, 400]]);
    // a third attempt elsewhere without that checkpoint starts over: no rows
    expect(l.apply(started(3, [], 0))).toEqual({ kind: 'restart' });
    expect(l.rows).toEqual([]);
    expect(l.attempts.map((a) => a.resumedFrom)).toEqual([0, 400, 0]);
  });

  it('ignores rows of older attempts, of attempts not started, twice-told starts and rows that do not move forward', () => {
    const l = new RunLedger();
    expect(l.apply(rowEvent(1, 200))).toMatchObject({ kind: 'ignored', why: expect.stringMatching(/has not started/) });
    l.apply(started(1, []));
    l.apply(rowEvent(1, 200));
    l.apply(started(2, [row(200)], 200));
    // the first worker lost its lock but has not noticed yet: its rows are not this run's any more
    expect(l.apply(rowEvent(1, 400))).toMatchObject({ kind: 'ignored', why: expect.stringMatching(/attempt 1 is older than the current attempt 2/) });
    expect(l.apply(started(1, []))).toMatchObject({ kind: 'ignored' });
    expect(l.apply(started(2, []))).toMatchObject({ kind: 'ignored', why: expect.stringMatching(/started twice/) });
    expect(l.apply(rowEvent(2, 200))).toMatchObject({ kind: 'ignored', why: expect.stringMatching(/at 200 env steps after one at 200/) });
    expect(l.apply(rowEvent(2, 400)).kind).toBe('row');
    expect(l.rows.map((r) => r.envSteps)).toEqual([200, 400]);
    expect(l.attempts).toHaveLength(2);
  });

  it('a job enqueued again (Redis lost the first) counts its attempts after the lost job\'s', () => {
    const l = new RunLedger();
    l.apply(started(1, [], 0, 1000));
    l.apply(started(2, [row(200)], 200, 1000));
    l.apply(rowEvent(2, 400, 1000));
    // the new job's first attempt is newer than the old job's second
    expect(l.apply(started(1, [row(200)], 200, 2000))).toEqual({ kind: 'restart' });
    expect(l.rows.map((r) => r.envSteps)).toEqual([200]);
    expect(l.apply(rowEvent(2, 600, 1000)).kind).toBe('ignored');
    expect(l.apply(rowEvent(1, 400, 2000)).kind).toBe('row');
    expect(l.attempts.map((a) => a.attempt)).toEqual([1, 2, 1]);
  });

  it('a damaged start keeps only rows that move forward', () => {
    const l = new RunLedger();
    l.apply(started(1, [row(200), row(200), row(100), row(400)], 400));
    expect(l.rows.map((r) => r.envSteps)).toEqual([200, 400]);
  });
});

describe('one row per env step in a finished run\'s record (oneRowPerStep)', () => {
  const text = (steps: number[], tag = '') => steps.map((s) => JSON.stringify({ envSteps: s, tag }) + '\n').join('');
  it('leaves one attempt\'s rows alone and drops rows an overlapping attempt slipped in', () => {
    expect(oneRowPerStep(text([200, 400, 600]))).toBe(text([200, 400, 600]));
    // an old attempt's row at 800 landed after the new attempt's 600; the new one went on to 800 and 1000
    const mixed = text([200, 400, 600]) + text([800], 'old') + text([800, 1000], 'new');
    expect(oneRowPerStep(mixed)).toBe(text([200, 400, 600]) + text([800, 1000], 'new'));
    // a row at a step ahead of what follows it goes; half-written lines go
    expect(oneRowPerStep(text([200, 1200], 'x') + '{"envSteps": 9' + '\n' + text([400, 600]))).toBe(text([200], 'x') + text([400, 600]));
    expect(oneRowPerStep('')).toBe('');
  });
});

describe('the rows a checkpoint covers (committedRows)', () => {
  it('the first metricsBytes bytes, as train() keeps them on resume', () => {
    const p = join(dir, 'metrics-a.jsonl');
    const lines = [row(200, 0.5), row(400), row(600, 0.75)].map((r) => JSON.stringify(r) + '\n');
    writeFileSync(p, lines.join('') + '{"envSteps": 8');
    const bytes = Buffer.byteLength(lines[0] + lines[1]);
    expect(committedRows(p, { envSteps: 400, metricsBytes: bytes }).map((r) => r.envSteps)).toEqual([200, 400]);
    // a file shorter than the checkpoint recorded (changed from outside): what is there
    expect(committedRows(p, { envSteps: 900, metricsBytes: 10_000 }).map((r) => r.envSteps)).toEqual([200, 400, 600]);
    // checkpoints of builds that did not record the length: rows up to their env steps, the half line dropped
    expect(committedRows(p, { envSteps: 600, metricsBytes: undefined }).map((r) => r.envSteps)).toEqual([200, 400, 600]);
    expect(committedRows(p, { envSteps: 500, metricsBytes: undefined }).map((r) => r.envSteps)).toEqual([200, 400]);
    expect(committedRows(join(dir, 'none.jsonl'), { envSteps: 400, metricsBytes: 100 })).toEqual([]);
  });
});

describe('progress', () => {
  const runs: RunProgress[] = [
    { id: 'a', state: 'done', worker: 'w1', envSteps: 100, budget: 100 },
    { id: 'b', state: 'running', worker: 'w2', envSteps: 30, budget: 100 },
    { id: 'c', state: 'running', worker: 'w1', envSteps: 50, budget: 200 },
    { id: 'd', state: 'failed', worker: 'w2', envSteps: 10, budget: 100 },
    { id: 'e', state: 'queued', worker: null, envSteps: 0, budget: 100 },
  ];
  it('counts runs and env steps, per worker, idle workers included', () => {
    const p = progressFile(runs, { state: 'running', mode: 'queue', queue: 'redis://h:6379', sweepId: 's', eta: 12, idleWorkers: ['w3', 'w1', 'w4'], otherSweeps: { w4: 1 } });
    expect(p).toMatchObject({ total: 5, done: 1, running: 2, queued: 1, failed: 1, stepsDone: 100 + 30 + 50 + 10, stepsTotal: 600, eta: 12, queue: 'redis://h:6379', sweepId: 's' });
    expect(p.workers).toEqual([
      { name: 'w1', running: ['c'], done: 1, failed: 0, otherSweeps: 0 },
      { name: 'w2', running: ['b'], done: 0, failed: 1, otherSweeps: 0 },
      { name: 'w3', running: [], done: 0, failed: 0, otherSweeps: 0 },
      { name: 'w4', running: [], done: 0, failed: 0, otherSweeps: 1 },
    ]);
    // w4 trains a run of another sweep on the same queue: busy, not idle.
    expect(workersText(p.workers)).toBe('w1 (1 running, 1 done); w2 (1 running, 1 failed); w3 (idle); w4 (1 of another sweep running)');
    expect(workersOf([])).toEqual([]);
  });

  it('time left from the last ten minutes of progress: a pause moves it for a window, not for the rest of the sweep', () => {
    let t = 0;
    const clock = new EtaClock(600, () => t);
    expect(clock.eta(0, 10_000)).toBeNull(); // no rate yet
    t = 3;
    expect(clock.eta(10, 10_000)).toBeNull(); // under 5 s
    // 10 steps/s for 20 minutes: 8,000 steps left at 10 steps/s.
    for (t = 10; t < 1200; t += 10) clock.eta(10 * t, 100_000);
    t = 1200;
    expect(clock.eta(12_000, 8_000)).toBeCloseTo(800, 6);
    // A 30-minute pause: while it lasts the rate falls, and no progress means no estimate.
    t = 1200 + 1800;
    expect(clock.eta(12_000, 8_000)).toBeNull();
    // Ten minutes after work resumes at the old rate, the estimate is the old rate's again
    // (a whole-session average would still be at 12,000 + 6,000 steps over 3,600 s: 5 steps/s).
    for (t = 3010; t < 3600; t += 10) clock.eta(12_000 + 10 * (t - 3000), 20_000);
    t = 3600;
    expect(clock.eta(18_000, 2_000)).toBeCloseTo(200, 6);
  });

  it('a run resumed from its checkpoint adds no trained steps: the estimate after a resume is hours, not minutes', () => {
    // The sweep of 2026-12-04: 2.2M env steps left at about 400 steps/s (two workers), one run
    // resuming at 322,688 steps. Counted as progress, that jump read "ETA 3 min".
    let t = 0;
    const clock = new EtaClock(600, () => t);
    const trained = new TrainedSteps();
    const look = (steps: Record<string, number>, left: number) => {
      for (const [run, n] of Object.entries(steps)) trained.see(run, n);
      return clock.eta(trained.total(), left);
    };
    expect(look({ a: 0, b: 9_852 }, 2_240_000)).toBeNull();
    trained.restarted('a', 322_688); // the worker reports its attempt: resumed
    t = 30;
    const eta = look({ a: 322_688 + 6_000, b: 9_852 + 6_000 }, 2_228_000)!;
    expect(eta / 3600).toBeCloseTo(2_228_000 / 400 / 3600, 6);
    // Stopped and resumed again from its checkpoint at 328,000: what it had trained stays counted.
    trained.restarted('a', 328_000);
    expect(trained.total()).toBe(12_000);
    trained.see('a', 330_000);
    expect(trained.total()).toBe(14_000);
    // Started over from scratch: the lost steps stay counted as trained (they took the time).
    trained.restarted('a', 0);
    trained.see('a', 1_000);
    expect(trained.total()).toBe(15_000);
  });
});
