// Loads a trained agent from a checkpoint file, with the task arguments (names or task-file paths)
// its run was trained on. Used by the evaluate CLI and the rollout CLI's --checkpoint.
import { MultiTaskAgent } from './agent.ts';
import { loadCheckpoint, restoreAgent } from './checkpoint.ts';
import { selectBackend } from './tensor/index.ts';

export async function loadAgent(path: string, opts: { backend?: string; log?: boolean } = {}): Promise<{ agent: MultiTaskAgent; taskArgs: string[]; envSteps: number }> {
  await selectBackend({ force: opts.backend, log: opts.log ?? true });
  const ck = loadCheckpoint(path);
  const agent = new MultiTaskAgent(ck.spec);
  try {
    restoreAgent(agent, ck, path);
  } catch (e) {
    agent.dispose();
    throw e;
  }
  const saved = ck.run.config?.tasks;
  const taskArgs = Array.isArray(saved) && saved.length === ck.spec.tasks.length && saved.every((t) => typeof t === 'string') ? (saved as string[]) : ck.spec.tasks;
  return { agent, taskArgs, envSteps: ck.run.envSteps };
}
