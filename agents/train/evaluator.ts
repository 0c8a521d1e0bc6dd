// The trainer's evaluations: deterministic actions on seeds training never uses, every evalEvery
// env steps and at the run's last step; the best so far kept in best.bin; the success target
// (stopAtSuccess) checked on each.
import type { TaskSummary } from '../../sim/rollout.ts';
import { evaluate } from '../evaluate.ts';
import { nextOnGrid, type StepView, type TrainObserver } from './observer.ts';
import type { TrainRun } from './run.ts';

export class Evaluator implements TrainObserver {
  private next: number;
  /** Evaluations so far: each gets its own seed. */
  private round: number;

  constructor(private readonly run: TrainRun) {
    const every = run.cfg.evalEvery;
    this.next = nextOnGrid(run.envSteps, every);
    this.round = every > 0 ? Math.floor(run.envSteps / every) : 0;
  }

  async afterStep(step: StepView): Promise<void> {
    if (step.envSteps < this.next && !step.final) return;
    const rows = await this.evaluate(step.final ? 'final eval' : 'eval');
    step.evaluation = rows;
    this.next = nextOnGrid(step.envSteps, this.run.cfg.evalEvery);
    const target = this.run.cfg.stopAtSuccess;
    if (target !== null && rows.every((e) => e.successRate >= target)) {
      this.run.log(`every task at or above ${(100 * target).toFixed(0)}% success: stopping`);
      step.stop = 'target';
    }
  }

  /** The evaluation at the run's current step: the one made there, or a new one (a run resumed at its end). */
  async atCurrentStep(): Promise<TaskSummary[]> {
    const last = this.run.state.lastEval;
    return last?.envSteps === this.run.envSteps ? last.tasks : this.evaluate('final eval');
  }

  private evaluate(what: string): Promise<TaskSummary[]> {
    const { run } = this;
    const { cfg, state } = run;
    return run.clock.measureAsync('evaluation', async () => {
      const rows = await evaluate(run.agent, run.tasks, { episodesPerTask: cfg.evalEpisodes, seed: (1_000_003 + cfg.seed * 7 + this.round++) >>> 0, reward: cfg.reward });
      state.lastEval = { envSteps: state.envSteps, tasks: rows };
      run.log(`${what} @ ${state.envSteps} env steps: ${rows.map((e) => `${e.task} ${(100 * e.successRate).toFixed(0)}%`).join(', ')}`);
      this.keepBest(rows);
      return rows;
    });
  }

  /** best.bin: the agent of the highest mean success so far (the later one on a tie). */
  private keepBest(rows: TaskSummary[]): void {
    const { run } = this;
    const { state } = run;
    const meanSuccess = rows.reduce((a, e) => a + e.successRate, 0) / Math.max(1, rows.length);
    if (state.best && meanSuccess < state.best.meanSuccess) return;
    state.best = { envSteps: state.envSteps, wallSeconds: run.wall(), meanSuccess };
    run.clock.measure('checkpointing', () => run.folder.saveBest({ spec: run.spec, run: { ...state, rng: run.rng.getState() }, agent: run.agent.getState() }));
  }
}
