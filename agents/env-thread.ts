// Where the trainer's envs step. A worker thread (agents/remote-env.ts) when it can load every task
// itself: built-in names and task files. A task registered by code in this process (registerTask)
// exists only in this thread's registry, so its envs step here instead, with the same results and
// no overlap of simulation and learning.
import { isBuiltinTask, looksLikeTaskFile } from '../sim/registry.ts';
import type { TaskDefinition } from '../sim/task.ts';
import { VecEnv, type ResetResult, type SceneDescription, type StepResult } from '../sim/vec-env.ts';
import { RemoteVecEnv } from './remote-env.ts';
import type { WorkerInit } from './env-worker.ts';

/** What the trainer asks of its envs: RemoteVecEnv's methods. */
export type TrainingEnv = Pick<RemoteVecEnv, 'reset' | 'step' | 'describeScene' | 'expertActions' | 'close'>;

/** A VecEnv on this thread behind the worker's asynchronous interface. */
export class InThreadVecEnv implements TrainingEnv {
  constructor(private readonly env: VecEnv) {}

  async reset(seed: number): Promise<ResetResult> {
    return this.env.reset({ seed });
  }

  async step(actions: Float32Array, transforms = false): Promise<StepResult & { transforms: Float32Array | null }> {
    const r = this.env.step(actions);
    return { ...r, transforms: transforms ? this.env.writeTransforms() : null };
  }

  async describeScene(): Promise<SceneDescription> {
    return this.env.describeScene();
  }

  async expertActions(observation: Float32Array): Promise<Float32Array> {
    return this.env.expertActions(observation);
  }

  async close(): Promise<void> {
    this.env.close();
  }
}

/** The task arguments a worker thread cannot load (it starts with the built-in tasks only). */
export function tasksOnlyThisThreadKnows(args: readonly string[]): string[] {
  return args.filter((a) => !looksLikeTaskFile(a) && !isBuiltinTask(a));
}

/**
 * Envs for `init`, whose `tasks` are the arguments the definitions in `tasks` were resolved from:
 * in a worker thread where it can load them all, else on this thread (said once through `log`).
 */
export async function openTrainingEnv(init: WorkerInit, tasks: readonly TaskDefinition[], log: (line: string) => void): Promise<TrainingEnv> {
  const local = tasksOnlyThisThreadKnows(init.tasks);
  if (local.length === 0) return new RemoteVecEnv(init);
  log(
    `envs: ${local.map((t) => `"${t}"`).join(', ')} ${local.length === 1 ? 'was' : 'were'} registered by code, which a worker thread cannot load, so the envs step on this thread ` +
      '(no overlap with learning; a task file given by path steps in the worker)',
  );
  return new InThreadVecEnv(await VecEnv.create({ tasks: [...tasks], numEnvs: init.numEnvs, taskOfEnv: init.taskOfEnv, reward: init.reward, terminateOnSuccess: init.terminateOnSuccess }));
}
