// One run of a sweep, in its own process (forked by agents/bench/sweep.ts with the tsx loader):
// `node --import tsx agents/bench/run-one.ts <sweepDir> <runId>`.
//
// It trains into <sweepDir>/runs/<runId>/ and writes done.json only after train() returned with
// the whole budget spent, so "has done.json" is exactly "finished". A folder that holds a run is
// resumed (train(cfg, { resume: true })): from its checkpoint, with the metrics rows logged after
// that checkpoint dropped by train() itself, or from the start when it stopped before its first
// checkpoint. The sweep stops a run by SIGTERM (or Ctrl-C reaches it, or the sweep died and the
// IPC channel closed): train() stops after the step in progress with a checkpoint, and the run
// exits with code 3. A resumed run keeps evaluating on the sweep's grid (train() schedules
// evaluations at multiples of the interval). Checkpoints are written to a temporary file and
// renamed, so even a kill never leaves a broken one.
//
// Over IPC it reports its start (with the metrics rows its checkpoint covers: the rows train()
// keeps when it resumes) and every row as train() writes it, so a queue worker (worker.ts) can
// stream them to the sweep's coordinator.
//
// Under a queue worker the run folder may be shared with other workers: the worker names the
// attempt that owns it in owner.txt (and in $RRL_RUN_OWNER). Should another worker take the run
// over (this one's machine froze and came back, or was cut off from Redis), owner.txt names that
// one, and this run leaves within one env step without writing anything more (exit code 4).
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadCheckpoint, type RunState } from '../checkpoint.ts';
import { selectBackend } from '../tensor/index.ts';
import { onStopSignals } from '../../sim/cli/signals.ts';
import type { MetricsRow } from '../train/observer.ts';
import { CHECKPOINT_FILE, holdsRun, METRICS_FILE } from '../train/run-folder.ts';
import { train } from '../train/train.ts';
import { ATTEMPTS_FILE, DONE_FILE, planRuns, runConfig, SWEEP_FILE, sweepSchema } from './spec.ts';

export const EXIT_STOPPED = 3;
/** Left because another attempt owns the run folder now (owner.txt). */
export const EXIT_TAKEN_OVER = 4;
/** In a run folder under a queue worker: which attempt owns it. */
export const OWNER_FILE = 'owner.txt';

/** Messages a run sends to the sweep over the IPC channel. */
export type RunMessage =
  | { type: 'started'; resumedFrom: number; budget: number; backend: string; attempt: { startedAt: string; resumedFrom: number; backend: string; pid: number }; rows: MetricsRow[] }
  | { type: 'row'; row: MetricsRow }
  | { type: 'progress'; envSteps: number; budget: number }
  | { type: 'log'; line: string };

const send = (m: RunMessage) => {
  if (process.send && process.connected) process.send(m);
};

async function main(): Promise<void> {
  // A stop signal, or the sweep going away (killed): checkpoint and leave rather than train on
  // unsupervised. A second signal a moment later leaves at once.
  const stop = new AbortController();
  onStopSignals(() => stop.abort(), { onAbort: () => process.exit(EXIT_STOPPED) });
  process.on('disconnect', () => stop.abort());

  const [sweepDir, runId] = process.argv.slice(2);
  if (!sweepDir || !runId) throw new Error('usage: run-one.ts <sweepDir> <runId>');
  const spec = sweepSchema.parse(JSON.parse(readFileSync(join(sweepDir, SWEEP_FILE), 'utf8')));
  const run = planRuns(spec).find((r) => r.id === runId);
  if (!run) throw new Error(`run ${runId} is not part of the sweep in ${sweepDir}`);
  const out = join(sweepDir, 'runs', runId);
  mkdirSync(out, { recursive: true });
  const cfg = runConfig(spec, run, out);

  const backend = await selectBackend({ log: false });
  const ckpt = join(out, CHECKPOINT_FILE);
  let resumedFrom = 0;
  let rows: MetricsRow[] = [];
  if (existsSync(ckpt)) {
    try {
      const run = loadCheckpoint(ckpt).run;
      resumedFrom = run.envSteps;
      rows = committedRows(join(out, METRICS_FILE), run);
    } catch (e) {
      // Written atomically, so this is damage from outside: start the run over rather than fail
      // on every retry.
      console.error(`checkpoint unreadable (${(e as Error).message}); starting the run over`);
      rmSync(ckpt);
    }
  }
  const attempt = { startedAt: new Date().toISOString(), resumedFrom, backend: backend.line, pid: process.pid };
  appendFileSync(join(out, ATTEMPTS_FILE), JSON.stringify(attempt) + '\n');
  send({ type: 'started', resumedFrom, budget: cfg.envSteps, backend: backend.line, attempt, rows });

  // The owner check: at most every 200 ms, before each env step.
  const owner = process.env.RRL_RUN_OWNER;
  let ownerCheckedAt = 0;
  const checkOwner = () => {
    if (!owner || performance.now() - ownerCheckedAt < 200) return;
    ownerCheckedAt = performance.now();
    let now: string | null = null;
    try {
      now = readFileSync(join(out, OWNER_FILE), 'utf8');
    } catch {
      // gone: not ours either
    }
    if (now === owner) return;
    console.error(`${join(out, OWNER_FILE)} names ${now === null ? 'no one' : `"${now}"`} now, not "${owner}": another worker has taken this run over; leaving without writing anything more`);
    process.exit(EXIT_TAKEN_OVER);
  };
  checkOwner();

  let lastSent = 0;
  const result = await train(cfg, {
    resume: holdsRun(out),
    signal: stop.signal,
    log: (line) => {
      console.log(line);
      send({ type: 'log', line });
    },
    observers: [
      {
        beforeStep: () => checkOwner(),
        afterStep: (step) => {
          if (step.row) send({ type: 'row', row: step.row });
          // The sweep's progress display, at most four times a second.
          const now = performance.now();
          if (now - lastSent < 250 && step.envSteps < cfg.envSteps) return;
          lastSent = now;
          send({ type: 'progress', envSteps: step.envSteps, budget: cfg.envSteps });
        },
      },
    ],
  });
  if (result.stopReason === 'interrupted') {
    process.exitCode = EXIT_STOPPED;
    return;
  }
  if (result.stoppedEarly) throw new Error(`train() stopped early at ${result.envSteps} env steps (${result.stopReason})`);
  const attempts = readFileSync(join(out, ATTEMPTS_FILE), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const done = {
    runId,
    finishedAt: new Date().toISOString(),
    envSteps: result.envSteps,
    updates: result.updates,
    wallSeconds: result.wallSeconds,
    final: result.final,
    backend: backend.line,
    // A resumed run is deterministic from its checkpoint but not bit-identical to an uninterrupted
    // one (train() reseeds the envs on resume), so the report marks it.
    resumed: attempts.some((a: { resumedFrom: number }) => a.resumedFrom > 0),
    attempts,
  };
  const tmp = join(out, `${DONE_FILE}.tmp`);
  writeFileSync(tmp, JSON.stringify(done, null, 2));
  renameSync(tmp, join(out, DONE_FILE));
}

/**
 * The rows of metrics.jsonl that a checkpoint covers, which train() keeps when it resumes from it
 * (its commitMetrics): the first `metricsBytes` bytes, or for checkpoints of builds that did not
 * record them, the rows up to its env steps. A damaged line is left out.
 */
export function committedRows(path: string, run: Pick<RunState, 'envSteps' | 'metricsBytes'>): MetricsRow[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path);
  const kept = run.metricsBytes === undefined ? text : text.subarray(0, Math.min(text.length, run.metricsBytes));
  const rows: MetricsRow[] = [];
  for (const l of kept.toString('utf8').split('\n')) {
    if (!l.trim()) continue;
    try {
      const r = JSON.parse(l) as MetricsRow;
      if (run.metricsBytes !== undefined || r.envSteps <= run.envSteps) rows.push(r);
    } catch {
      // a half-written line
    }
  }
  return rows;
}

// Only as the entry point (the sweep imports this module's types and constants). Exit explicitly:
// a backend's thread pool or a leftover handle must not keep a finished run alive.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main().then(
  () => process.exit(process.exitCode ?? 0),
  (e: Error) => {
    console.error(e.stack ?? e.message);
    process.exit(1);
  },
);
