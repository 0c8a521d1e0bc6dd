// A queue worker (`npm run worker`, cli-worker.ts): takes runs of benchmark sweeps from BullMQ and
// trains each in its own child process (run-one.ts, as the local sweep does), so a long run never
// blocks this process's event loop and BullMQ keeps renewing the job's lock. While a run trains, its
// start and metric rows go to the sweep's Redis stream and its env steps to the job's progress; a
// finished run's records are the job's return value (queue.ts says why these channels).
//
// Runs train in <dir>/<sweep id>/runs/<run id>/. When <dir> is shared between workers, a run whose
// worker was lost resumes from its last checkpoint on whichever worker takes it next; otherwise it
// resumes from this worker's own checkpoint of it, if any, else starts over.
//
// Stopping (SIGINT, SIGTERM, SIGHUP): the running runs checkpoint where they stand and their jobs
// go straight back to the queue. Killed outright (SIGKILL, a lost machine): the runs notice their
// worker is gone and stop with a checkpoint; BullMQ sees the job's lock expire and puts the job
// back within about lockDuration + stalledInterval. A worker that cannot renew a lock (cut off
// from Redis) kills that run before the lock expires rather than train on beside the worker that
// takes it next; a run whose worker froze and came back finds another attempt named in its
// folder's owner.txt and leaves (run-one.ts).
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, WaitingError, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { DONE_FILE, ERROR_FILE, planRuns, SWEEP_FILE, sweepSchema } from './spec.ts';
import { EXIT_STOPPED, EXIT_TAKEN_OVER, OWNER_FILE, type RunMessage } from './run-one.ts';
import { TSX_LOADER } from './sweep.ts';
import { checkRedis, encodeEvent, eventsKey, oneRowPerStep, QUEUE_NAME, type AttemptRecord, type RedisTarget, type RunJobData, type RunJobResult, type StreamEvent } from './queue.ts';
import { METRICS_FILE } from '../train/run-folder.ts';

const RUN_ONE = fileURLToPath(new URL('./run-one.ts', import.meta.url));

export interface QueueWorkerOptions {
  queue: RedisTarget;
  /** Where runs train and checkpoint: <dir>/<sweep id>/runs/<run id>/. */
  dir: string;
  /** Runs at a time. */
  jobs: number;
  /** This worker's name in the sweep's progress. */
  name: string;
  /** BullMQ's lockDuration and stalledInterval, in seconds. */
  lockSeconds: number;
  log?: (line: string) => void;
  /** Extra environment for the run processes. */
  env?: NodeJS.ProcessEnv;
}

export interface QueueWorker {
  /** Stops taking runs, stops the running ones (each checkpoints) and hands their jobs back. */
  stop(): Promise<void>;
  /** Resolves once the worker has stopped. */
  readonly closed: Promise<void>;
}

/** How many times a run may be lost with its worker before BullMQ fails it (its default is 1). */
export const MAX_STALLED = 3;
/** Env-step progress goes to the job at most this often. */
const PROGRESS_EVERY_MS = 2000;

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: fileURLToPath(new URL('.', import.meta.url)), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/** The sweep's definition in <dir>/<sweep id>/sweep.json (what run-one.ts reads); refuses a different one. */
function writeSweepFile(sweepDir: string, data: RunJobData): void {
  mkdirSync(join(sweepDir, 'runs'), { recursive: true });
  const path = join(sweepDir, SWEEP_FILE);
  const text = JSON.stringify(data.spec, null, 2) + '\n';
  if (existsSync(path)) {
    if (readFileSync(path, 'utf8') === text) return;
    throw new Error(`${path} holds another sweep than job ${data.sweepId}/${data.runId} describes; move that folder away`);
  }
  // Workers sharing the folder may write it at once: each its own temporary file, renamed.
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** The job's data, checked: a malformed job fails with a message rather than a crash deep inside. */
function jobData(job: Job): RunJobData {
  const d = job.data as Partial<RunJobData>;
  if (typeof d?.sweepId !== 'string' || !/^[\w.-]+$/.test(d.sweepId)) throw new Error(`job ${job.id}: no valid sweepId in its data`);
  if (typeof d.runId !== 'string') throw new Error(`job ${job.id}: no runId in its data`);
  const spec = sweepSchema.safeParse(d.spec);
  if (!spec.success) throw new Error(`job ${job.id}: its sweep is not valid (${spec.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})`);
  if (!planRuns(spec.data).some((r) => r.id === d.runId)) throw new Error(`job ${job.id}: run ${d.runId} is not part of its sweep`);
  return { sweepId: d.sweepId, runId: d.runId, spec: spec.data, commit: typeof d.commit === 'string' ? d.commit : null };
}

export async function startQueueWorker(opts: QueueWorkerOptions): Promise<QueueWorker> {
  const log = opts.log ?? ((l: string) => console.log(l));
  await checkRedis(opts.queue);
  const commit = gitCommit();
  // As the report's "Machine" line words the sweep command's machine.
  const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, ${process.platform}-${process.arch}, Node ${process.version}`;
  const lockMs = opts.lockSeconds * 1000;
  // Stream writes go through their own connection, in order.
  const events = new Redis(opts.queue.options);
  events.on('error', (e) => log(`redis: ${e.message}`));
  let stopping = false;

  interface Running {
    child: ChildProcess | null;
    /** When BullMQ last renewed the job's lock (or took the job). */
    renewedAt: number;
    lost: boolean;
  }
  const running = new Map<string, Running>();

  const lose = (jobId: string, why: string) => {
    const r = running.get(jobId);
    if (!r || r.lost) return;
    r.lost = true;
    log(`${jobId}: ${why}; killing its run (another worker may already hold it)`);
    // SIGKILL, not a graceful stop: a checkpoint written now could overwrite a newer one of the
    // worker that took the job over, in a shared folder.
    r.child?.kill('SIGKILL');
  };

  const processor = async (job: Job, token?: string): Promise<RunJobResult> => {
    const jobId = job.id!;
    const state: Running = { child: null, renewedAt: Date.now(), lost: false };
    running.set(jobId, state);
    try {
      let data: RunJobData;
      let sweepDir: string;
      try {
        data = jobData(job);
        sweepDir = join(opts.dir, data.sweepId);
        writeSweepFile(sweepDir, data);
      } catch (e) {
        log(`${jobId}: FAILED before it started: ${(e as Error).message}`);
        throw e;
      }
      const attempt = job.attemptsStarted;
      const key = eventsKey(data.sweepId);
      const dir = join(sweepDir, 'runs', data.runId);
      mkdirSync(dir, { recursive: true });
      rmSync(join(dir, ERROR_FILE), { force: true });
      if (data.commit && commit && data.commit !== commit) log(`${jobId}: note: this worker is at commit ${commit.slice(0, 12)}, the sweep's coordinator at ${data.commit.slice(0, 12)}`);
      log(`${jobId}: started (attempt ${attempt})`);

      // Stream entries in the order the run sends them; a failed write is logged, not fatal (the
      // final record goes with the job's completion anyway).
      let chain: Promise<unknown> = Promise.resolve();
      const emit = (e: StreamEvent) => {
        chain = chain.then(() => events.xadd(key, '*', ...encodeEvent(e))).catch((err: Error) => log(`${jobId}: stream write failed: ${err.message}`));
      };
      // This attempt owns the folder now: a run of an earlier attempt still going (its worker froze
      // and came back) sees the change and leaves (run-one.ts).
      const owner = `${opts.name} attempt ${attempt}`;
      writeFileSync(join(dir, `${OWNER_FILE}.${process.pid}.tmp`), owner);
      renameSync(join(dir, `${OWNER_FILE}.${process.pid}.tmp`), join(dir, OWNER_FILE));
      let lastProgress = 0;
      const logFile = join(dir, 'log.txt');
      let errTail = '';
      const child = fork(RUN_ONE, [sweepDir, data.runId], {
        execArgv: ['--import', TSX_LOADER],
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        // One BLAS thread per run, as in the local sweep (agents/bench/sweep.ts).
        env: { ...process.env, RRL_BLAS_THREADS: process.env.RRL_BLAS_THREADS ?? '1', ...opts.env, RRL_RUN_OWNER: owner },
      });
      state.child = child;
      if (stopping || state.lost) child.kill(state.lost ? 'SIGKILL' : 'SIGTERM');
      child.stdout!.on('data', (b: Buffer) => appendFileSync(logFile, b));
      child.stderr!.on('data', (b: Buffer) => {
        appendFileSync(logFile, b);
        errTail = (errTail + b.toString()).slice(-8000);
      });
      child.on('message', (m: RunMessage) => {
        if (state.lost) return;
        if (m.type === 'started') {
          const record: AttemptRecord = { ...m.attempt, attempt, worker: opts.name, commit, machine };
          emit({ type: 'started', run: data.runId, epoch: job.timestamp, attempt, record, rows: m.rows });
          if (m.resumedFrom > 0) log(`${jobId}: resumed from its checkpoint at ${m.resumedFrom} env steps`);
        } else if (m.type === 'row') {
          emit({ type: 'row', run: data.runId, epoch: job.timestamp, attempt, row: m.row });
        } else if (m.type === 'progress') {
          const now = Date.now();
          if (now - lastProgress < PROGRESS_EVERY_MS && m.envSteps < m.budget) return;
          lastProgress = now;
          job.updateProgress({ envSteps: m.envSteps, budget: m.budget, attempt }).catch(() => {});
        }
      });
      const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => {
        child.on('error', (e) => (errTail += `\n${e.message}`));
        child.on('exit', (code, signal) => res({ code, signal }));
      });
      await chain;
      if (state.lost || exit.code === EXIT_TAKEN_OVER) {
        // Still ours after all (a renewal only ran late)? Then back to the queue; else it is
        // another worker's now, and nothing is left to do here.
        const still = await job.moveToWait(token).then(
          () => true,
          () => false,
        );
        if (still) {
          log(`${jobId}: back to the queue`);
          throw new WaitingError();
        }
        log(`${jobId}: taken over by another worker; leaving it to that one`);
        throw new Error(`attempt ${attempt} of ${data.runId} lost its job to another worker`);
      }
      if (exit.code === 0 && existsSync(join(dir, DONE_FILE))) {
        const read = (f: string) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8') : null);
        const config = read('config.json');
        log(`${jobId}: done`);
        // One row per env step, increasing: a row a frozen earlier attempt wrote into a shared
        // folder before it noticed the takeover goes (each step's last row is this attempt's).
        return { attempt, worker: opts.name, done: JSON.parse(read(DONE_FILE)!), config: config ? JSON.parse(config) : null, metrics: oneRowPerStep(read(METRICS_FILE) ?? '') };
      }
      if (exit.code === EXIT_STOPPED || (stopping && exit.signal)) {
        // Stopped with a checkpoint: back to the queue at once, for this worker later or another.
        log(`${jobId}: stopped; back to the queue`);
        await job.moveToWait(token);
        throw new WaitingError();
      }
      const why = `run ${data.runId} failed on worker ${opts.name}: exit code ${exit.code}${exit.signal ? `, signal ${exit.signal}` : ''}\n\n${errTail.trim()}\n`;
      writeFileSync(join(dir, ERROR_FILE), why);
      log(`${jobId}: FAILED (exit ${exit.code ?? exit.signal}); see ${join(dir, ERROR_FILE)}`);
      throw new Error(why);
    } finally {
      running.delete(jobId);
    }
  };

  const worker = new Worker(QUEUE_NAME, processor, {
    connection: opts.queue.options,
    concurrency: opts.jobs,
    name: opts.name,
    lockDuration: lockMs,
    stalledInterval: lockMs,
    maxStalledCount: MAX_STALLED,
    autorun: false,
  });
  worker.on('error', (e) => log(`worker: ${e.message}`));
  worker.on('locksRenewed', ({ jobIds }) => {
    const now = Date.now();
    for (const id of jobIds) {
      const r = running.get(id);
      if (r) r.renewedAt = now;
    }
  });
  worker.on('lockRenewalFailed', (ids) => ids.forEach((id) => lose(id, 'its lock could not be renewed')));
  // Cut off from Redis, renewals fail without a word. BullMQ renews a lock every quarter to half of
  // its life; three quarters without a renewal, and the run is killed before the lock can expire
  // and another worker take the job (if it is still ours after all, it goes back to the queue).
  const watch = setInterval(() => {
    const now = Date.now();
    for (const [id, r] of running) if (now - r.renewedAt > 0.75 * lockMs) lose(id, `no lock renewal for ${((now - r.renewedAt) / 1000).toFixed(1)} s`);
  }, 250);
  watch.unref();

  const runLoop = worker.run();
  await worker.waitUntilReady();
  log(`worker ${opts.name}: taking runs from ${opts.queue.display} (queue ${QUEUE_NAME}), ${opts.jobs} at a time, training in ${opts.dir}`);

  let closing: Promise<void> | null = null;
  const stop = () => {
    if (!closing) {
      stopping = true;
      log(`stopping: ${running.size} running run(s) checkpoint and go back to the queue`);
      for (const r of running.values()) r.child?.kill('SIGTERM');
      closing = (async () => {
        await worker.close();
        await runLoop.catch(() => {});
        clearInterval(watch);
        await events.quit().catch(() => events.disconnect());
      })();
    }
    return closing;
  };
  const closed = runLoop.then(
    () => closing ?? stop(),
    () => closing ?? stop(),
  );
  return { stop, closed };
}
