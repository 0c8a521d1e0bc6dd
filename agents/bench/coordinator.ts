// A sweep run through a queue (`npm run bench -- ... --queue redis://HOST:6379`): the same runs as
// the local sweep (planRuns), each enqueued as a BullMQ job for the workers (`npm run worker`,
// worker.ts), and the same folder layout on this side, so the report is built exactly as for a
// local sweep. This process trains nothing: it
//   - enqueues every unfinished run, idempotently (job id = sweep id + run id: running the command
//     again adds nothing twice, retries failed runs, and never re-runs a finished one);
//   - follows the sweep's Redis stream and writes each run's attempts and metric rows into
//     <out>/runs/<id>/ as they come (RunLedger decides which rows count);
//   - collects finished runs from their jobs' return values (done.json, config.json and the whole
//     metrics.jsonl), rewrites the report after each, and removes the job;
//   - shows progress (done, running, queued, failed, per worker) on the terminal and in
//     <report>/progress.json.
// Stopping it (Ctrl-C) stops only the collecting: the workers go on, and the same command picks up
// everything that finished meanwhile (the stream keeps it).
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Queue, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { CHECKPOINT_FILE, METRICS_FILE } from '../train/run-folder.ts';
import type { BootstrapOptions } from './bootstrap.ts';
import { EtaClock, progressFile, TrainedSteps, writeProgressFile, type RunProgress } from './progress.ts';
import { checkRedis, decodeEvent, eventsKey, jobIdOf, mergeAttempts, QUEUE_FILE, QUEUE_NAME, RunLedger, type AttemptRecord, type RedisTarget, type RunJobData, type RunJobResult } from './queue.ts';
import { collectResults, readJsonl, writeReport } from './report.ts';
import { ATTEMPTS_FILE, DONE_FILE, ERROR_FILE, planRuns, startOrder, SWEEP_FILE, type RunPlan, type SweepSpec } from './spec.ts';
import { isFinished, type SweepOutcome, type SweepProgress } from './sweep.ts';

export interface QueuedSweepOptions {
  sweepDir: string;
  spec: SweepSpec;
  reportDir: string;
  queue: RedisTarget;
  /** This checkout's git commit, passed to workers so one on another commit says so. */
  commit: string | null;
  log?: (line: string) => void;
  onProgress?: (p: SweepProgress) => void;
  /** Polled; when true the coordinator writes the report and returns (the workers go on). */
  shouldStop?: () => boolean;
  bootstrap?: Partial<BootstrapOptions>;
  /** How often job states are read (ms). */
  pollMs?: number;
}

/** Every job of a sweep: one try (a failing run fails as in the local sweep; the command retries it). */
const JOB_OPTIONS = { attempts: 1, removeOnComplete: false, removeOnFail: false } as const;

interface QueueFile {
  sweepId: string;
  queue: string;
  createdAt: string;
}

export function readQueueFile(sweepDir: string): QueueFile | null {
  const p = join(sweepDir, QUEUE_FILE);
  if (!existsSync(p)) return null;
  let q: Partial<QueueFile>;
  try {
    q = JSON.parse(readFileSync(p, 'utf8'));
  } catch (e) {
    throw new Error(`${p}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof q.sweepId !== 'string' || !/^[\w.-]+$/.test(q.sweepId)) throw new Error(`${p}: no valid "sweepId"`);
  return q as QueueFile;
}

/** A new sweep id: the folder's name (readable in Redis and on workers' disks) and random hex. */
function newSweepId(sweepDir: string): string {
  const name = basename(sweepDir).replace(/[^\w.-]/g, '_').slice(0, 40) || 'sweep';
  return `${name}-${randomBytes(4).toString('hex')}`;
}

const runDir = (sweepDir: string, run: RunPlan) => join(sweepDir, 'runs', run.id);

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export async function runQueuedSweep(opts: QueuedSweepOptions): Promise<SweepOutcome> {
  const { sweepDir, spec, queue: target } = opts;
  const log = opts.log ?? ((l: string) => console.log(l));
  const pollMs = opts.pollMs ?? 1000;
  const plans = planRuns(spec);
  const budgetOf = (r: RunPlan) => spec.budgetPerTask * r.taskNames.length;
  const done = new Set(plans.filter((r) => isFinished(sweepDir, r)).map((r) => r.id));

  // A run trained here (a local sweep stopped part-way) holds a checkpoint the workers cannot see.
  let qf = readQueueFile(sweepDir);
  if (!qf) {
    const local = plans.filter((r) => !done.has(r.id) && existsSync(join(runDir(sweepDir, r), CHECKPOINT_FILE))).map((r) => r.id);
    if (local.length) {
      throw new Error(
        `${sweepDir}: ${local.length} unfinished run(s) were started by a local sweep and hold checkpoints the workers cannot see (${local.slice(0, 5).join(', ')}${local.length > 5 ? ', ...' : ''}): ` +
          'finish them locally (the same command without --queue), or delete their folders to run them over through the queue',
      );
    }
  }
  await checkRedis(target);
  mkdirSync(join(sweepDir, 'runs'), { recursive: true });
  writeFileSync(join(sweepDir, SWEEP_FILE), JSON.stringify(spec, null, 2) + '\n');
  if (!qf) {
    qf = { sweepId: newSweepId(sweepDir), queue: target.display, createdAt: new Date().toISOString() };
    writeAtomic(join(sweepDir, QUEUE_FILE), JSON.stringify(qf, null, 2) + '\n');
  }
  const sweepId = qf.sweepId;
  const key = eventsKey(sweepId);

  const queue = new Queue(QUEUE_NAME, { connection: target.options });
  queue.on('error', (e) => log(`redis: ${e.message}`));
  // Plain commands (the stream); BullMQ's own connections serve the queue.
  const redis = new Redis(target.options);
  redis.on('error', (e) => log(`redis: ${e.message}`));

  const ledgers = new Map(plans.map((r) => [r.id, new RunLedger()]));
  // Attempts the run's folder records from earlier sessions: a Redis without persistence (or a new
  // one) streams only this session's, and the folder's record must keep them.
  const earlier = new Map(plans.filter((r) => !done.has(r.id)).map((r) => [r.id, readJsonl<AttemptRecord>(join(runDir(sweepDir, r), ATTEMPTS_FILE))]));
  const attemptsOf = (id: string, streamed: readonly AttemptRecord[]) => mergeAttempts(earlier.get(id) ?? [], streamed);
  const failed = new Map<string, string>();
  const active = new Map<string, { worker: string | null; envSteps: number }>();
  // Who finished each run, for the per-worker counts (from done.json for runs of earlier sessions).
  const finishedBy = new Map<string, string | null>();
  for (const id of done) {
    try {
      finishedBy.set(id, (JSON.parse(readFileSync(join(sweepDir, 'runs', id, DONE_FILE), 'utf8')) as { worker?: string }).worker ?? null);
    } catch {
      finishedBy.set(id, null);
    }
  }
  let idleWorkers: string[] = [];
  let otherSweeps: Record<string, number> = {};

  const dataOf = (r: RunPlan): RunJobData => ({ sweepId, runId: r.id, spec, commit: opts.commit });
  const addJob = (r: RunPlan) => queue.add('run', dataOf(r), { ...JOB_OPTIONS, jobId: jobIdOf(sweepId, r.id) });

  // 1. enqueue
  const todo = startOrder(plans).filter((r) => !done.has(r.id));
  if (done.size) log(`${done.size} of ${plans.length} runs already finished; ${todo.length} to go`);
  let added = 0;
  let retried = 0;
  for (const r of todo) {
    const id = jobIdOf(sweepId, r.id);
    const state = await queue.getJobState(id);
    if (state === 'unknown') {
      await addJob(r);
      added++;
    } else if (state === 'failed') {
      // As the local sweep does: running the command again retries failed runs.
      await (await queue.getJob(id))?.retry('failed');
      rmSync(join(runDir(sweepDir, r), ERROR_FILE), { force: true });
      retried++;
    }
  }
  log(
    `sweep ${sweepId} on ${target.display} (queue ${QUEUE_NAME}): ${added} run(s) enqueued${retried ? `, ${retried} failed run(s) retried` : ''}${todo.length - added - retried ? `, ${todo.length - added - retried} already queued` : ''}; ` +
      'start workers with: npm run worker -- --queue URL',
  );

  // 2. the stream: attempts and rows as they come
  const applyEntry = (fields: string[]) => {
    const e = decodeEvent(fields);
    const plan = e && plans.find((r) => r.id === e.run);
    if (!e || !plan || done.has(e.run)) return;
    const dir = runDir(sweepDir, plan);
    const ledger = ledgers.get(e.run)!;
    const res = ledger.apply(e);
    if (res.kind === 'restart') {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, METRICS_FILE), ledger.rows.map((x) => JSON.stringify(x) + '\n').join(''));
      const all = attemptsOf(e.run, ledger.attempts);
      writeFileSync(join(dir, ATTEMPTS_FILE), all.map((a) => JSON.stringify(a) + '\n').join(''));
      rmSync(join(dir, ERROR_FILE), { force: true });
      failed.delete(e.run);
      const a = all[all.length - 1];
      const how = a.resumedFrom > 0 ? `, resumed from its checkpoint at ${a.resumedFrom} env steps` : all.length > 1 ? ', from the start' : '';
      log(`${e.run}: started on ${a.worker} (attempt ${a.attempt}${how})`);
      trained.restarted(e.run, a.resumedFrom);
    } else if (res.kind === 'row') {
      appendFileSync(join(dir, METRICS_FILE), JSON.stringify(res.row) + '\n');
    }
  };
  let lastId = '0';
  /** Applies every stream entry written so far. */
  const drainStream = async () => {
    for (;;) {
      const res = (await redis.xread('COUNT', 1000, 'STREAMS', key, lastId)) as [string, [string, string[]][]][] | null;
      const entries = res?.[0]?.[1] ?? [];
      for (const [id, fields] of entries) {
        lastId = id;
        applyEntry(fields);
      }
      if (entries.length < 1000) return;
    }
  };

  // 3. finished and failed runs, progress
  const collect = async (r: RunPlan, job: Job) => {
    const rv = job.returnvalue as RunJobResult | null;
    const dir = runDir(sweepDir, r);
    if (!rv || typeof rv.metrics !== 'string' || typeof rv.done !== 'object' || rv.done === null) {
      markFailed(r, `job ${job.id} completed without a run record (a worker of another version?)`);
      return;
    }
    const ledger = ledgers.get(r.id)!;
    const fromWorker = Array.isArray(rv.done.attempts) ? (rv.done.attempts as AttemptRecord[]) : [];
    // Every attempt the stream told of (across workers), else what the finishing worker's folder knew.
    const attempts = ledger.attempts.length ? attemptsOf(r.id, ledger.attempts) : fromWorker;
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, METRICS_FILE), rv.metrics);
    if (rv.config !== null && rv.config !== undefined) writeFileSync(join(dir, 'config.json'), JSON.stringify(rv.config, null, 2));
    writeFileSync(join(dir, ATTEMPTS_FILE), attempts.map((a) => JSON.stringify(a) + '\n').join(''));
    rmSync(join(dir, ERROR_FILE), { force: true });
    const record = { ...rv.done, worker: rv.worker, attempts, resumed: attempts.some((a) => a.resumedFrom > 0) };
    // done.json last: its presence is what "finished" means.
    writeAtomic(join(dir, DONE_FILE), JSON.stringify(record, null, 2));
    done.add(r.id);
    finishedBy.set(r.id, rv.worker);
    failed.delete(r.id);
    log(`${r.id}: done on ${rv.worker} (attempt ${rv.attempt})`);
    // Its record is in the folder now; the job's copy would only fill Redis.
    await job.remove().catch(() => {});
  };

  const markFailed = (r: RunPlan, why: string, worker?: string) => {
    failed.set(r.id, why);
    mkdirSync(runDir(sweepDir, r), { recursive: true });
    writeFileSync(join(runDir(sweepDir, r), ERROR_FILE), why.endsWith('\n') ? why : `${why}\n`);
    log(`${r.id}: FAILED${worker ? ` on ${worker}` : ''}; see ${join(runDir(sweepDir, r), ERROR_FILE)}`);
  };

  const stepsOf = (r: RunPlan) => (done.has(r.id) ? budgetOf(r) : (active.get(r.id)?.envSteps ?? ledgers.get(r.id)!.rows.at(-1)?.envSteps ?? 0));
  // Started after the first look at the queue, so the rate counts only this session's progress.
  let etaClock: EtaClock | null = null;
  const trained = new TrainedSteps();
  const runProgress = (): RunProgress[] =>
    plans.map((r) => {
      const a = active.get(r.id);
      const state = done.has(r.id) ? 'done' : failed.has(r.id) ? 'failed' : a ? 'running' : 'queued';
      const ledger = ledgers.get(r.id)!;
      const worker = state === 'done' ? (finishedBy.get(r.id) ?? null) : (a?.worker ?? ledger.attempts.at(-1)?.worker ?? null);
      return { id: r.id, state, worker, envSteps: stepsOf(r), budget: budgetOf(r) };
    });
  const eta = (): number | null => {
    for (const r of plans) trained.see(r.id, stepsOf(r));
    const left = plans.reduce((a, r) => a + budgetOf(r) - stepsOf(r), 0);
    return etaClock?.eta(trained.total(), left) ?? null;
  };
  const publish = (state: 'running' | 'finished' | 'stopped') => {
    const p = progressFile(runProgress(), { state, mode: 'queue', queue: target.display, sweepId, eta: eta(), idleWorkers, otherSweeps });
    try {
      writeProgressFile(opts.reportDir, p);
    } catch (e) {
      log(`progress not written: ${(e as Error).message}`);
    }
    opts.onProgress?.({ total: p.total, done: p.done, running: p.running, failed: p.failed, left: p.queued, stepsDone: p.stepsDone, stepsTotal: p.stepsTotal, eta: p.eta, workers: p.workers });
  };
  const report = async () => {
    const results = await collectResults(sweepDir, spec, opts.bootstrap);
    return { results, reportPath: writeReport(sweepDir, opts.reportDir, results) };
  };

  let lastWorkers = 0;
  // The stream first, then the job states (and the stream again before a collection): a worker
  // writes a run's entries before it completes the job, so a run is collected only after every
  // attempt it made has been read.
  const poll = async (): Promise<boolean> => {
    let changed = false;
    await drainStream();
    const pending = plans.filter((r) => !done.has(r.id));
    const states = await Promise.all(pending.map((r) => queue.getJobState(jobIdOf(sweepId, r.id))));
    active.clear();
    for (let i = 0; i < pending.length; i++) {
      const r = pending[i];
      const id = jobIdOf(sweepId, r.id);
      const state = states[i];
      if (state === 'completed') {
        const job = await queue.getJob(id);
        if (job) {
          // Entries written after the drain above came before this completion: read them too.
          await drainStream();
          await collect(r, job);
          changed = true;
        }
      } else if (state === 'failed') {
        if (!failed.has(r.id)) {
          const job = await queue.getJob(id);
          markFailed(r, job?.failedReason || 'failed (no reason recorded)', job?.processedBy);
          changed = true;
        }
      } else if (state === 'active') {
        const job = await queue.getJob(id);
        const p = job?.progress as { envSteps?: number } | undefined;
        active.set(r.id, { worker: job?.processedBy ?? null, envSteps: typeof p?.envSteps === 'number' ? p.envSteps : (ledgers.get(r.id)!.rows.at(-1)?.envSteps ?? 0) });
        failed.delete(r.id);
      } else if (state === 'unknown') {
        if (isFinished(sweepDir, r)) {
          // Collected meanwhile by another coordinator on this folder, which removed the job.
          done.add(r.id);
          changed = true;
          continue;
        }
        // Not in Redis (flushed, or a server without persistence restarted): enqueue it again.
        await addJob(r);
        log(`${r.id}: its job was missing from Redis; enqueued again`);
      } else {
        failed.delete(r.id);
      }
    }
    if (performance.now() - lastWorkers > 5000) {
      lastWorkers = performance.now();
      // Connected workers, busy or not (CLIENT LIST; some hosted Redis refuse it).
      // A named worker's connection is called bull:<queue, base64>:w:<name>.
      idleWorkers = await queue.getWorkers().then(
        (ws) => ws.map((w) => w.rawname?.split(':w:')[1]).filter((n): n is string => typeof n === 'string' && n.length > 0),
        () => [],
      );
      // Workers busy with another sweep's run on the same queue (BullMQ records who took a job).
      otherSweeps = await queue.getActive().then(
        (jobs) => {
          const n: Record<string, number> = {};
          for (const j of jobs) if (j.data?.sweepId !== sweepId && j.processedBy) n[j.processedBy] = (n[j.processedBy] ?? 0) + 1;
          return n;
        },
        () => ({}),
      );
    }
    return changed;
  };

  let stopped = false;
  let reported = false;
  try {
    for (;;) {
      if (opts.shouldStop?.()) {
        stopped = true;
        break;
      }
      let changed = false;
      try {
        changed = await poll();
      } catch (e) {
        log(`reading the queue: ${(e as Error).message}`);
      }
      if (!etaClock) {
        etaClock = new EtaClock();
        eta(); // its first sample: the steps done before this session
      }
      // A report from the start (the report page lists folders that hold one), then after each change.
      if (changed || !reported) await report().catch((e: Error) => log(`report not written: ${e.message}`));
      reported = true;
      if (plans.every((r) => done.has(r.id) || failed.has(r.id))) break;
      publish('running');
      const until = performance.now() + pollMs;
      while (performance.now() < until && !opts.shouldStop?.()) await new Promise((r) => setTimeout(r, 100));
    }
    const { results, reportPath } = await report();
    publish(stopped ? 'stopped' : 'finished');
    // A finished sweep needs nothing more from Redis: its stream goes (failed runs keep their
    // jobs, so the command can retry them).
    if (plans.every((r) => done.has(r.id))) await redis.del(key).catch(() => {});
    if (stopped) log('stopped collecting; the workers go on with the sweep. Run the same command to collect what they finish');
    const unfinished = plans.filter((r) => !done.has(r.id) && !failed.has(r.id)).map((r) => r.id);
    return { done: plans.filter((r) => done.has(r.id)).map((r) => r.id), failed: [...failed.keys()], unfinished, results, reportPath };
  } finally {
    redis.disconnect();
    await queue.close().catch(() => {});
  }
}
