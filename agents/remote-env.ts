// A VecEnv stepped in a worker thread (agents/env-worker.ts): the training loop sends a step, runs
// learner updates while the worker simulates, then collects the result. Same results as a local
// VecEnv with the same seed.
import { Worker } from 'node:worker_threads';
import type { ResetResult, SceneDescription, StepResult } from '../sim/vec-env.ts';
import type { WorkerInit, WorkerRequest } from './env-worker.ts';

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };
type Req = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

export class RemoteVecEnv {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private dead: Error | null = null;

  constructor(readonly init: WorkerInit) {
    // The worker is TypeScript: its entry registers tsx first, whichever runner started us.
    this.worker = new Worker(new URL('./env-worker-entry.mjs', import.meta.url), { workerData: init });
    this.worker.on('message', (m: { id: number; ok: boolean; result?: unknown; error?: string; name?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else {
        const e = new Error(m.error);
        e.name = m.name ?? 'Error';
        p.reject(e);
      }
    });
    const fail = (e: Error) => {
      this.dead = e;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => {
      if (code !== 0) fail(new Error(`env worker exited with code ${code}`));
    });
  }

  private call<T>(req: Req, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ ...req, id }, transfer);
    });
  }

  reset(seed: number): Promise<ResetResult> {
    return this.call({ op: 'reset', seed });
  }

  /**
   * The actions array is transferred (unusable by the caller afterwards). With `transforms`, the
   * result also carries every body's pose (VecEnv.writeTransforms), for viewers.
   */
  step(actions: Float32Array, transforms = false): Promise<StepResult & { transforms: Float32Array | null }> {
    return this.call({ op: 'step', actions, transforms }, [actions.buffer as ArrayBuffer]);
  }

  describeScene(): Promise<SceneDescription> {
    return this.call({ op: 'describe' });
  }

  expertActions(observation: Float32Array): Promise<Float32Array> {
    return this.call({ op: 'expert', observation: observation.slice() });
  }

  async close(): Promise<void> {
    if (!this.dead) await this.call({ op: 'close' }).catch(() => undefined);
    await this.worker.terminate();
  }
}
