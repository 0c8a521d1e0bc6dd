// From env steps to replay: each env's transitions are staged until its episode ends, then go to
// its task's buffer whole (replay.ts relabels goals within an episode). Training envs run to their
// time limit (no termination on success), so an episode counts as a success when it succeeded at
// any step.
import { ACTION_DIM, GOAL_DIM, OBS_DIM } from '../../sim/layout.ts';
import type { ResetResult, StepResult } from '../../sim/vec-env.ts';
import { EpisodeStager, type TaskReplay, type Transition } from '../replay.ts';
import type { EpisodeEnd } from './observer.ts';

export class EpisodeRecorder {
  private readonly stager: EpisodeStager;
  private readonly succeeded: Uint8Array;

  constructor(private readonly taskOfEnv: ArrayLike<number>) {
    this.stager = new EpisodeStager(taskOfEnv.length);
    this.succeeded = new Uint8Array(taskOfEnv.length);
  }

  /** Stages one step of every env; an ended episode goes to `buffers[its task]`. Returns the episodes that ended. */
  record(before: ResetResult, actions: Float32Array, r: StepResult, buffers: readonly TaskReplay[]): EpisodeEnd[] {
    const ended: EpisodeEnd[] = [];
    for (let i = 0; i < this.taskOfEnv.length; i++) {
      const fin = r.finalInfo[i];
      this.stager.push(i, transitionOf(before, actions, r, i));
      if ((fin ?? r.info[i]).success) this.succeeded[i] = 1;
      if (!fin) continue;
      const task = this.taskOfEnv[i];
      this.stager.finish(i, buffers[task]);
      ended.push({ task, success: this.succeeded[i] === 1, return: fin.episodeReturn });
      this.succeeded[i] = 0;
    }
    return ended;
  }
}

/**
 * Env i's transition of one step: from the state it acted in to the step's result, where an
 * ended episode's next state is its final observation (the row in `r.observation` is already the
 * next episode's first).
 */
export function transitionOf(before: ResetResult, actions: Float32Array, r: StepResult, i: number): Transition {
  const ended = r.finalInfo[i] !== null;
  return {
    obs: before.observation.slice(i * OBS_DIM, (i + 1) * OBS_DIM),
    achieved: before.achievedGoal.slice(i * GOAL_DIM, (i + 1) * GOAL_DIM),
    action: actions.slice(i * ACTION_DIM, (i + 1) * ACTION_DIM),
    reward: r.reward[i],
    nextObs: ended ? r.finalObservation[i]! : r.observation.slice(i * OBS_DIM, (i + 1) * OBS_DIM),
    nextAchieved: ended ? r.finalAchievedGoal[i]! : r.achievedGoal.slice(i * GOAL_DIM, (i + 1) * GOAL_DIM),
    desired: before.desiredGoal.slice(i * GOAL_DIM, (i + 1) * GOAL_DIM),
    terminated: r.terminated[i] === 1,
  };
}
