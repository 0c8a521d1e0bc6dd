// Evaluation: deterministic (mean) actions of a trained agent, K episodes per task on fresh seeds,
// summarised per task with the same table as the rollout CLI. Training calls it at intervals and
// the evaluate CLI on any checkpoint.
import { runEpisodes, type Policy, type TaskSummary } from '../sim/rollout.ts';
import type { TaskDefinition } from '../sim/task.ts';
import { VecEnv } from '../sim/vec-env.ts';
import type { MultiTaskAgent } from './agent.ts';

/** The agent as a rollout Policy for a VecEnv whose tasks it knows (by name). */
export function agentPolicy(agent: MultiTaskAgent, env: VecEnv, deterministic = true): Policy {
  const index = env.tasks.map((t) => {
    const k = agent.spec.tasks.indexOf(t.name);
    if (k < 0) throw new Error(`the agent was not trained on task "${t.name}" (it knows: ${agent.spec.tasks.join(', ')})`);
    return k;
  });
  const task = Int32Array.from(env.taskOfEnv, (t) => index[t]);
  return {
    name: `agent(${agent.spec.arch})`,
    act: (_env, s) => agent.act(s.observation, s.achievedGoal, s.desiredGoal, task, deterministic),
  };
}

export interface EvalOptions {
  episodesPerTask: number;
  seed: number;
  /** Envs per task (default 4). */
  envsPerTask?: number;
  reward?: 'sparse' | 'dense-v1';
}

/** Success rate, mean return and length per task; episodes end on success (terminateOnSuccess). */
export async function evaluate(agent: MultiTaskAgent, tasks: readonly TaskDefinition[], opts: EvalOptions): Promise<TaskSummary[]> {
  const env = await VecEnv.create({
    tasks: [...tasks],
    numEnvs: tasks.length * (opts.envsPerTask ?? 4),
    reward: opts.reward ?? 'sparse',
    terminateOnSuccess: true,
  });
  try {
    return runEpisodes(env, agentPolicy(agent, env), { episodesPerTask: opts.episodesPerTask, seed: opts.seed });
  } finally {
    env.close();
  }
}
