// The `weighted` strategy's side of the loop: each task's recent training outcomes (kept in the
// run's checkpointed state, so a resumed run samples as the uninterrupted one would), and from them
// the rows per task of each update's batch (agents/task-sampling.ts).
import { emptyWindow, recordOutcome, successRates, taskCounts } from '../task-sampling.ts';
import type { StepView, TrainObserver } from './observer.ts';
import type { TrainRun } from './run.ts';

export class TaskWeights implements TrainObserver {
  private readonly window: number[][];

  constructor(private readonly run: TrainRun) {
    const saved = run.state.recentSuccess;
    this.window = saved?.length === run.numTasks ? saved : emptyWindow(run.numTasks);
    run.state.recentSuccess = this.window;
  }

  /** Rows per task for the next batches; undefined for task-balanced ones (no strategy, or one task). */
  counts(): number[] | undefined {
    const { cfg } = this.run;
    if (cfg.strategy !== 'weighted' || this.run.numTasks === 1) return undefined;
    return taskCounts(successRates(this.window), this.run.batchSize, cfg.sampleTemperature, cfg.sampleFloor);
  }

  afterStep(step: StepView): void {
    for (const e of step.episodes) recordOutcome(this.window, e.task, e.success, this.run.cfg.successWindow);
  }
}
