// A sweep's progress as progress.json beside its report: how many runs are done, running, queued
// and failed, per worker, and each run's env steps. The local sweep and the queue coordinator both
// write it while they run; the viewer's report page polls it (viewer/src/bench.ts).
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROGRESS_FILE } from './queue.ts';

export type RunProgressState = 'done' | 'running' | 'queued' | 'failed';

export interface RunProgress {
  id: string;
  state: RunProgressState;
  /** The worker running it, or that finished it (null when unknown or not started). */
  worker: string | null;
  envSteps: number;
  budget: number;
}

export interface WorkerProgress {
  name: string;
  /** Run ids it is training now. */
  running: string[];
  /** Runs it finished, and runs that failed on it. */
  done: number;
  failed: number;
  /** Runs of other sweeps on the same queue it is training now (so it is busy, not idle). */
  otherSweeps: number;
}

export interface ProgressFile {
  version: 1;
  updatedAt: string;
  /** The writer's state: still collecting, every run done or failed, or stopped (runs may go on on the workers). */
  state: 'running' | 'finished' | 'stopped';
  mode: 'local' | 'queue';
  /** The queue's Redis address (no password) and the sweep's id there; null for a local sweep. */
  queue: string | null;
  sweepId: string | null;
  total: number;
  done: number;
  running: number;
  queued: number;
  failed: number;
  stepsDone: number;
  stepsTotal: number;
  /** Seconds, from this session's env-step rate; null until there is one. */
  eta: number | null;
  workers: WorkerProgress[];
  runs: RunProgress[];
}

/**
 * Per-worker lines from the runs; workers that hold no run of this sweep can be named in `idle`
 * (connected to the queue), and `otherSweeps` counts the runs of other sweeps each is training.
 */
export function workersOf(runs: readonly RunProgress[], idle: readonly string[] = [], otherSweeps: Readonly<Record<string, number>> = {}): WorkerProgress[] {
  const by = new Map<string, WorkerProgress>();
  const of = (name: string) => by.get(name) ?? by.set(name, { name, running: [], done: 0, failed: 0, otherSweeps: 0 }).get(name)!;
  for (const n of idle) of(n);
  for (const [n, k] of Object.entries(otherSweeps)) of(n).otherSweeps = k;
  for (const r of runs) {
    if (!r.worker) continue;
    const w = of(r.worker);
    if (r.state === 'running') w.running.push(r.id);
    else if (r.state === 'done') w.done++;
    else if (r.state === 'failed') w.failed++;
  }
  return [...by.values()].sort((a, b) => a.name.localeCompare(b.name));
}

export function progressFile(runs: RunProgress[], o: { state: ProgressFile['state']; mode: ProgressFile['mode']; queue?: string | null; sweepId?: string | null; eta: number | null; idleWorkers?: string[]; otherSweeps?: Record<string, number> }): ProgressFile {
  const count = (s: RunProgressState) => runs.filter((r) => r.state === s).length;
  return {
    version: 1,
    updatedAt: new Date().toISOString(),
    state: o.state,
    mode: o.mode,
    queue: o.queue ?? null,
    sweepId: o.sweepId ?? null,
    total: runs.length,
    done: count('done'),
    running: count('running'),
    queued: count('queued'),
    failed: count('failed'),
    stepsDone: runs.reduce((a, r) => a + (r.state === 'done' ? r.budget : Math.min(r.envSteps, r.budget)), 0),
    stepsTotal: runs.reduce((a, r) => a + r.budget, 0),
    eta: o.eta,
    workers: workersOf(runs, o.idleWorkers, o.otherSweeps),
    runs,
  };
}

/**
 * Time left from the env-step rate of the last `windowSeconds` (ten minutes by default), not of
 * the whole session: after a pause, or a stretch of slow multi-task runs, the estimate recovers
 * within the window instead of staying hours off for the rest of the sweep.
 */
export class EtaClock {
  private readonly samples: { t: number; trained: number }[] = [];

  constructor(
    private readonly windowSeconds = 600,
    private readonly now: () => number = () => performance.now() / 1000,
  ) {}

  /**
   * Records `trained`, the env steps trained so far (only its changes count), and returns the
   * seconds left for `stepsLeft` more, or null while there is no rate yet.
   */
  eta(trained: number, stepsLeft: number): number | null {
    const t = this.now();
    this.samples.push({ t, trained });
    // Keep one sample at or beyond the window's start, so the rate spans the whole window.
    while (this.samples.length > 2 && this.samples[1].t <= t - this.windowSeconds) this.samples.shift();
    const first = this.samples[0];
    const dt = t - first.t;
    const rate = (trained - first.trained) / Math.max(1e-9, dt);
    return dt > 5 && rate > 0 ? Math.max(0, stepsLeft) / rate : null;
  }
}

/**
 * The env steps trained while this process watched, per run: a run that resumes from a checkpoint
 * starts at its checkpoint's steps, and those were trained before, so they must not read as
 * progress (they made a resumed sweep's first estimates minutes instead of hours). A run seen for
 * the first time counts from where it is; an attempt that starts over keeps what the attempts before
 * it had trained.
 */
export class TrainedSteps {
  private readonly runs = new Map<string, { base: number; seen: number; banked: number }>();

  /** The run's env steps now. */
  see(run: string, steps: number): void {
    const r = this.runs.get(run);
    if (r) r.seen = steps;
    else this.runs.set(run, { base: steps, seen: steps, banked: 0 });
  }

  /** A new attempt of the run starts at `from` env steps (0: from scratch). */
  restarted(run: string, from: number): void {
    const r = this.runs.get(run);
    const banked = r ? r.banked + Math.max(0, r.seen - r.base) : 0;
    this.runs.set(run, { base: from, seen: from, banked });
  }

  total(): number {
    let n = 0;
    for (const r of this.runs.values()) n += r.banked + Math.max(0, r.seen - r.base);
    return n;
  }
}

/** Written whole and renamed into place, so a page never reads half a file. */
export function writeProgressFile(reportDir: string, p: ProgressFile): void {
  mkdirSync(reportDir, { recursive: true });
  const path = join(reportDir, PROGRESS_FILE);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(p, null, 1) + '\n');
  renameSync(tmp, path);
}

/** "a (1 running, 2 done); b (idle); c (1 of another sweep running)": the terminal's per-worker line. */
export function workersText(ws: readonly WorkerProgress[]): string {
  return ws
    .map((w) => {
      const parts = [
        ...(w.running.length ? [`${w.running.length} running`] : []),
        ...(w.done ? [`${w.done} done`] : []),
        ...(w.failed ? [`${w.failed} failed`] : []),
        ...(w.otherSweeps ? [`${w.otherSweeps} of another sweep running`] : []),
      ];
      return `${w.name} (${parts.join(', ') || 'idle'})`;
    })
    .join('; ');
}
