// metrics.jsonl: a row every logEvery env steps and at every evaluation, with the training
// episodes finished since the previous row, the evaluation when one ran, the last update's losses
// and temperatures, the rates, and where the time went.
import type { TaskSummary } from '../../sim/rollout.ts';
import { breakdown, type PhaseTotals } from './clock.ts';
import { nextOnGrid, type MetricsRow, type StepView, type TaskRow, type TrainObserver } from './observer.ts';
import type { TrainRun } from './run.ts';

export class MetricsLog implements TrainObserver {
  private next: number;
  /** Training episodes per task since the last row (in the run state: checkpoints keep it). */
  private readonly window: { episodes: number; successes: number; ret: number }[];
  private since: { wall: number; envSteps: number; updates: number; clock: PhaseTotals };

  constructor(private readonly run: TrainRun) {
    const { state } = run;
    this.next = nextOnGrid(run.envSteps, run.cfg.logEvery);
    this.window = state.window?.length === run.numTasks ? state.window : run.tasks.map(() => ({ episodes: 0, successes: 0, ret: 0 }));
    state.window = this.window;
    // The first row of a session covers it from its start (demonstrations included).
    this.since = { ...this.mark(), wall: run.wallBefore, clock: run.sessionStart };
  }

  afterStep(step: StepView): void {
    for (const e of step.episodes) {
      const w = this.window[e.task];
      w.episodes++;
      w.successes += e.success ? 1 : 0;
      w.ret += e.return;
    }
    if (step.envSteps >= this.next || step.evaluation) step.row = this.write(step.evaluation);
  }

  /** Env steps of the last row written (this session or before). */
  get lastRowAt(): number | undefined {
    return this.run.state.lastRowEnvSteps;
  }

  write(evaluation?: TaskSummary[]): MetricsRow {
    const { run } = this;
    const now = this.mark();
    const dt = Math.max(1e-9, now.wall - this.since.wall);
    const m = run.lastMetrics;
    const alphas = m?.alpha ?? Array.from(run.agent.sac.logAlpha.dataSync(), Math.exp);
    const row: MetricsRow = {
      envSteps: run.envSteps,
      wallSeconds: now.wall,
      updates: run.updates,
      envStepsPerSec: (run.envSteps - this.since.envSteps) / dt,
      updatesPerSec: (run.updates - this.since.updates) / dt,
      tasks: Object.fromEntries(run.taskNames.map((name, k) => [name, this.taskRow(k, alphas[k], evaluation?.find((e) => e.task === name))])),
      qLoss: m?.qLoss ?? null,
      actorLoss: m?.actorLoss ?? null,
      alphaLoss: m?.alphaLoss ?? null,
      meanQ: m?.meanQ ?? null,
      time: breakdown(this.since.clock, now.clock),
    };
    run.folder.appendRow(row);
    run.state.lastRowEnvSteps = run.envSteps;
    for (const w of this.window) Object.assign(w, { episodes: 0, successes: 0, ret: 0 });
    this.since = now;
    this.next = nextOnGrid(run.envSteps, run.cfg.logEvery);
    return row;
  }

  private taskRow(k: number, alpha: number, e: TaskSummary | undefined): TaskRow {
    const w = this.window[k];
    const r: TaskRow = { episodes: w.episodes, trainSuccess: w.episodes ? w.successes / w.episodes : null, trainReturn: w.episodes ? w.ret / w.episodes : null, alpha };
    if (this.run.batchCounts) r.batchRows = this.run.batchCounts[k];
    if (e) {
      r.evalSuccess = e.successRate;
      r.evalReturn = e.meanReturn;
    }
    return r;
  }

  private mark() {
    return { wall: this.run.wall(), envSteps: this.run.envSteps, updates: this.run.updates, clock: this.run.clock.snapshot() };
  }
}
