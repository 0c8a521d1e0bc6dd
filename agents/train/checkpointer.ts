// checkpoint.bin: every checkpointEvery env steps, at the run's last step, when an observer ends
// the run (the success target), and where an interrupted run stopped. It records how many bytes
// of metrics.jsonl belong to it (rows are written before it at the same step).
import { nextOnGrid, type StepView, type TrainObserver } from './observer.ts';
import type { TrainRun } from './run.ts';

export class Checkpointer implements TrainObserver {
  private next: number;
  private savedAt: number;

  constructor(private readonly run: TrainRun) {
    this.next = nextOnGrid(run.envSteps, run.cfg.checkpointEvery);
    this.savedAt = run.resumed ? run.envSteps : -1;
  }

  afterStep(step: StepView): void {
    if (step.envSteps < this.next && !step.final && !step.stop) return;
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
    this.savedAt = state.envSteps;
    this.next = nextOnGrid(state.envSteps, run.cfg.checkpointEvery);
  }
}
