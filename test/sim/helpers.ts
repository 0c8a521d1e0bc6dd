// Helpers the task tests share.
import { GOAL_DIM, OBS_DIM } from '../../sim/layout.ts';
import { getTask } from '../../sim/registry.ts';
import { TaskStateView } from '../../sim/task.ts';
import { VecEnv } from '../../sim/vec-env.ts';

/** Row i (d wide) of a flat array, copied. */
export const row = (a: Float32Array, i: number, d: number) => a.slice(i * d, (i + 1) * d);

/** Views of every env's first observation over `n` resets (n envs, one reset each). */
export async function resets(task: string, n: number, seed = 11) {
  const env = await VecEnv.create({ tasks: [task], numEnvs: n });
  const r = env.reset({ seed });
  env.close();
  const t = getTask(task);
  return Array.from({ length: n }, (_, i) => ({
    view: new TaskStateView(row(r.observation, i, OBS_DIM), row(r.desiredGoal, i, GOAL_DIM), t),
    achieved: row(r.achievedGoal, i, GOAL_DIM),
    desired: row(r.desiredGoal, i, GOAL_DIM),
  }));
}
