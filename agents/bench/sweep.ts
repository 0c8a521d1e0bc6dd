// Runs a sweep: every planned run in its own child process (agents/bench/run-one.ts), at most
// `jobs` at a time, each writing its own folder under <sweep>/runs/. Finished runs (done.json) are
// skipped, so running the sweep again picks up where it stopped; a run that fails is recorded in
// its folder's error.txt and the others go on. After every run ends the report is rewritten, so a
// stopped sweep always has an up-to-date (partial) report, and progress.json beside it says where
// the sweep stands (progress.ts). A sweep through a queue runs in coordinator.ts instead.
import { fork, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { EXIT_STOPPED, type RunMessage } from './run-one.ts';
import type { BootstrapOptions } from './bootstrap.ts';
import { EtaClock, progressFile, writeProgressFile, type RunProgress, type WorkerProgress } from './progress.ts';
import { QUEUE_FILE } from './queue.ts';
import { collectResults, loadRun, writeReport, type Results } from './report.ts';
import { DONE_FILE, ERROR_FILE, planRuns, startOrder, SWEEP_FILE, type RunPlan, type SweepSpec } from './spec.ts';

const RUN_ONE = fileURLToPath(new URL('./run-one.ts', import.meta.url));
// The tsx loader by absolute URL, so children start the same from any working directory
// (`node --import tsx` resolves "tsx" from the working directory).
export const TSX_LOADER = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist', 'loader.mjs')).href;

export interface SweepProgress {
  total: number;
  done: number;
  running: number;
  failed: number;
  left: number;
  /** Env steps over all runs: spent so far and in total. */
  stepsDone: number;
  stepsTotal: number;
  /** Seconds, from the env-step rate of this session; null until there is a rate. */
  eta: number | null;
  /** Per worker (a sweep through a queue). */
  workers?: WorkerProgress[];
}

export interface SweepOptions {
  sweepDir: string;
  spec: SweepSpec;
  jobs: number;
  reportDir: string;
  log?: (line: string) => void;
  onProgress?: (p: SweepProgress) => void;
  /** Polled; when true, running runs are stopped (each checkpoints where it is and resumes from there) and no new run starts. */
  shouldStop?: () => boolean;
  /** Extra environment for the run processes. */
  env?: NodeJS.ProcessEnv;
  /** The report's bootstrap settings (defaults: bootstrap.ts). */
  bootstrap?: Partial<BootstrapOptions>;
}

export interface SweepOutcome {
  done: string[];
  failed: string[];
  /** Runs stopped part-way (by shouldStop) or never started. */
  unfinished: string[];
  results: Results;
  reportPath: string;
}

export function isFinished(sweepDir: string, run: RunPlan): boolean {
  return existsSync(join(sweepDir, 'runs', run.id, DONE_FILE));
}

export async function runSweep(opts: SweepOptions): Promise<SweepOutcome> {
  const { sweepDir, spec } = opts;
  const log = opts.log ?? ((l: string) => console.log(l));
  if (existsSync(join(sweepDir, QUEUE_FILE))) {
    throw new Error(`${sweepDir} runs through a queue (${QUEUE_FILE}): add --queue with its Redis URL; or, to finish it on this machine instead, delete ${QUEUE_FILE} (its unfinished runs then start over here)`);
  }
  mkdirSync(join(sweepDir, 'runs'), { recursive: true });
  writeFileSync(join(sweepDir, SWEEP_FILE), JSON.stringify(spec, null, 2) + '\n');
  const plans = planRuns(spec);
  const budgetOf = (r: RunPlan) => spec.budgetPerTask * r.taskNames.length;
  const steps = new Map<string, number>();
  const queue: RunPlan[] = [];
  const done: string[] = [];
  const failed: string[] = [];
  for (const r of startOrder(plans)) {
    if (isFinished(sweepDir, r)) {
      done.push(r.id);
      steps.set(r.id, budgetOf(r));
    } else {
      queue.push(r);
      steps.set(r.id, loadRun(sweepDir, r).stepsPerTask * r.taskNames.length);
    }
  }
  if (done.length) log(`${done.length} of ${plans.length} runs already finished; ${queue.length} to go`);
  const stepsTotal = plans.reduce((a, r) => a + budgetOf(r), 0);
  const etaClock = new EtaClock();
  etaClock.eta([...steps.values()].reduce((a, b) => a + b, 0), 0); // its first sample: the steps done before this session
  const running = new Map<string, ChildProcess>();
  let stopping = false;

  const progress = (): SweepProgress => {
    const stepsDone = [...steps.values()].reduce((a, b) => a + b, 0);
    return {
      total: plans.length,
      done: done.length,
      running: running.size,
      failed: failed.length,
      left: plans.length - done.length - running.size - failed.length,
      stepsDone,
      stepsTotal,
      eta: etaClock.eta(stepsDone, stepsTotal - stepsDone),
    };
  };
  // progress.json for the report page: this machine is the one worker.
  const here = hostname();
  const publish = (state: 'running' | 'finished' | 'stopped') => {
    const runs: RunProgress[] = plans.map((r) => {
      const st = done.includes(r.id) ? 'done' : failed.includes(r.id) ? 'failed' : running.has(r.id) ? 'running' : 'queued';
      return { id: r.id, state: st, worker: st === 'queued' ? null : here, envSteps: steps.get(r.id) ?? 0, budget: budgetOf(r) };
    });
    try {
      writeProgressFile(opts.reportDir, progressFile(runs, { state, mode: 'local', eta: progress().eta }));
    } catch (e) {
      log(`progress not written: ${(e as Error).message}`);
    }
  };
  let published = 0;
  const report = async () => {
    const results = await collectResults(sweepDir, spec, opts.bootstrap);
    return { results, reportPath: writeReport(sweepDir, opts.reportDir, results) };
  };

  const start = (run: RunPlan) =>
    new Promise<void>((resolveRun) => {
      const dir = join(sweepDir, 'runs', run.id);
      mkdirSync(dir, { recursive: true });
      rmSync(join(dir, ERROR_FILE), { force: true });
      const logFile = join(dir, 'log.txt');
      const child = fork(RUN_ONE, [sweepDir, run.id], {
        execArgv: ['--import', TSX_LOADER],
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        // One BLAS thread per run: runs go out one per core, and sgemm splits then never depend
        // on how busy the machine is.
        env: { ...process.env, RRL_BLAS_THREADS: process.env.RRL_BLAS_THREADS ?? '1', ...opts.env },
      });
      running.set(run.id, child);
      let errTail = '';
      child.stdout!.on('data', (b: Buffer) => appendFileSync(logFile, b));
      child.stderr!.on('data', (b: Buffer) => {
        appendFileSync(logFile, b);
        errTail = (errTail + b.toString()).slice(-8000);
      });
      child.on('message', (m: RunMessage) => {
        if (m.type === 'progress') {
          steps.set(run.id, m.envSteps);
          opts.onProgress?.(progress());
        } else if (m.type === 'started' && m.resumedFrom > 0) log(`${run.id}: resumed from its checkpoint at ${m.resumedFrom} env steps`);
      });
      child.on('error', (e) => (errTail += `\n${e.message}`));
      child.on('exit', (code, signal) => {
        running.delete(run.id);
        if (code === 0 && isFinished(sweepDir, run)) {
          done.push(run.id);
          steps.set(run.id, budgetOf(run));
          log(`${run.id}: done`);
        } else if (code === EXIT_STOPPED || (stopping && signal)) {
          log(`${run.id}: stopped at ${steps.get(run.id)} env steps (resumes next time from its checkpoint)`);
        } else {
          failed.push(run.id);
          const why = `run ${run.id} failed: exit code ${code}${signal ? `, signal ${signal}` : ''}\n\n${errTail.trim()}\n`;
          writeFileSync(join(dir, ERROR_FILE), why);
          log(`${run.id}: FAILED (exit ${code ?? signal}); see ${join(dir, ERROR_FILE)}`);
        }
        opts.onProgress?.(progress());
        resolveRun();
      });
    });

  const stopAll = () => {
    if (stopping) return;
    stopping = true;
    log(`stopping ${running.size} running run(s); the same command resumes the sweep from their last checkpoints`);
    for (const c of running.values()) c.kill('SIGTERM');
  };
  const poll = setInterval(() => {
    if (opts.shouldStop?.()) stopAll();
    opts.onProgress?.(progress());
    if (performance.now() - published > 2000) {
      published = performance.now();
      publish('running');
    }
  }, 200);

  const inFlight = new Set<Promise<void>>();
  opts.onProgress?.(progress());
  // A report and progress.json from the start: the report page lists folders that hold a report.
  await report().catch((e: Error) => log(`report not written: ${e.message}`));
  publish('running');
  try {
    while (queue.length || inFlight.size) {
      while (!stopping && !opts.shouldStop?.() && queue.length && inFlight.size < Math.max(1, opts.jobs)) {
        const run = queue.shift()!;
        log(`${run.id}: started`);
        const p = start(run).then(async () => {
          inFlight.delete(p);
          // Rewrite the report after every run: a sweep stopped at any point has one.
          await report().catch((e: Error) => log(`report not written: ${e.message}`));
        });
        inFlight.add(p);
      }
      if (!inFlight.size) break;
      await Promise.race(inFlight);
    }
  } finally {
    clearInterval(poll);
  }
  const { results, reportPath } = await report();
  const unfinished = plans.filter((r) => !done.includes(r.id) && !failed.includes(r.id)).map((r) => r.id);
  publish(unfinished.length ? 'stopped' : 'finished');
  return { done, failed, unfinished, results, reportPath };
}

/** The sweep stored in a folder, if any. */
export function readStoredSpec(sweepDir: string): unknown | null {
  const p = join(sweepDir, SWEEP_FILE);
  return existsSync(p) ? JSON.parse(readFileSync(p, 'utf8')) : null;
}
