// checkpoint.bin: every checkpointEvery env steps, at the run's last step, when an observer ends
// the run (the success target), and where an interrupted run stopped. It records how many bytes
// of metrics.jsonl belong to it (rows are written before it at the same step).
//
// A checkpoint holds the whole replay, so its cost grows with the run: on a ten-task run it
// reaches seconds per write within the first hour. After a write that took more than
// SLOW_CHECKPOINT_S, grid points are skipped until MAX_SHARE of the training time since it would
// have gone to it, so checkpointing stays near that share of a long run. Which grid points are
// written never changes what the learner does; the last step and stop signals always checkpoint.
import { nextOnGrid, type StepView, type TrainObserver } from './observer.ts';
import type { TrainRun } from './run.ts';

/** Writes faster than this are never stretched apart (small runs checkpoint on every grid point). */
export const SLOW_CHECKPOINT_S = 1;
/** The share of training time checkpoints may take once they are slow. */
export const MAX_SHARE = 0.05;

export class Checkpointer implements TrainObserver {
  private next: number;
  private savedAt: number;
  /** Training seconds before which no grid checkpoint is written (after a slow one). */
  private notBefore = 0;

  constructor(private readonly run: TrainRun) {
    this.next = nextOnGrid(run.envSteps, run.cfg.checkpointEvery);
    this.savedAt = run.resumed ? run.envSteps : -1;
  }

  afterStep(step: StepView): void {
    if (!step.final && !step.stop) {
      if (step.envSteps < this.next) return;
      if (this.run.wall() < this.notBefore) {
        this.next = nextOnGrid(step.envSteps, this.run.cfg.checkpointEvery);
        return;
      }
    }
    this.save();
    step.checkpointed = true;
  }

  /** A checkpoint at the current step, unless one was written there. */
  ensure(): void {
    if (this.savedAt !== this.run.envSteps) this.save();
  }

  private save(): void {
    const { run } = this;
    const { state } = run;
    const t0 = performance.now();
    run.clock.measure('checkpointing', () => {
      state.wallSeconds = run.wall();
      state.rng = run.rng.getState();
      state.metricsBytes = run.folder.metricsBytes();
      run.folder.saveCheckpoint({
        spec: run.spec,
        run: state,
        agent: run.agent.getState(),
        replay: { buffers: run.replay.buffers.map((b) => b.exportState()), demos: run.replay.demos.map((b) => b.exportState()) },
      });
    });
    const took = (performance.now() - t0) / 1000;
    this.notBefore = took > SLOW_CHECKPOINT_S ? run.wall() + took * (1 / MAX_SHARE - 1) : 0;
    this.savedAt = state.envSteps;
    this.next = nextOnGrid(state.envSteps, run.cfg.checkpointEvery);
  }
}
