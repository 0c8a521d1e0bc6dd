// Worker thread that owns a VecEnv, so environment stepping runs on one core while the learner
// updates on the other (agents/remote-env.ts is the other side). Messages are request/response,
// one at a time; typed arrays go back as transfers.
import { parentPort, workerData } from 'node:worker_threads';
import { resolveTaskArgs } from '../sim/registry.ts';
import { VecEnv, type VecEnvOptions } from '../sim/vec-env.ts';

export interface WorkerInit {
  /** Registered names or task-file paths. */
  tasks: string[];
  numEnvs: number;
  /** Which task each env runs; default round-robin. */
  taskOfEnv?: number[];
  reward: VecEnvOptions['reward'];
  terminateOnSuccess: boolean;
}

export type WorkerRequest =
  | { id: number; op: 'reset'; seed: number }
  | { id: number; op: 'step'; actions: Float32Array; transforms?: boolean }
  | { id: number; op: 'describe' }
  | { id: number; op: 'expert'; observation: Float32Array }
  | { id: number; op: 'close' };

const port = parentPort!;
const buffers = (...arrays: ArrayBufferView[]): ArrayBuffer[] => arrays.map((a) => a.buffer as ArrayBuffer);
const init = workerData as WorkerInit;

const ready = (async () => {
  const tasks = await resolveTaskArgs(init.tasks);
  return VecEnv.create({ tasks, numEnvs: init.numEnvs, taskOfEnv: init.taskOfEnv, reward: init.reward, terminateOnSuccess: init.terminateOnSuccess });
})();

port.on('message', async (req: WorkerRequest) => {
  try {
    const env = await ready;
    switch (req.op) {
      case 'reset': {
        const r = env.reset({ seed: req.seed });
        port.postMessage({ id: req.id, ok: true, result: r }, buffers(r.observation, r.achievedGoal, r.desiredGoal));
        break;
      }
      case 'step': {
        const r = env.step(req.actions);
        // Body transforms only when a viewer wants them (they cost a read per body).
        const transforms = req.transforms ? env.writeTransforms() : null;
        const moved = buffers(r.observation, r.achievedGoal, r.desiredGoal, r.reward, ...(transforms ? [transforms] : []));
        port.postMessage({ id: req.id, ok: true, result: { ...r, transforms } }, moved);
        break;
      }
      case 'describe':
        port.postMessage({ id: req.id, ok: true, result: env.describeScene() });
        break;
      case 'expert': {
        const a = env.expertActions(req.observation);
        port.postMessage({ id: req.id, ok: true, result: a }, buffers(a));
        break;
      }
      case 'close':
        env.close();
        port.postMessage({ id: req.id, ok: true, result: null });
        port.close();
        break;
    }
  } catch (e) {
    port.postMessage({ id: req.id, ok: false, error: (e as Error).message, name: (e as Error).name });
  }
});
