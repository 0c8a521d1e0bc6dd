// bench:nn --agent SUITE: the update the trainer runs for a suite (`npm start` trains `all`), where
// the default benchmark times plain SAC of a fixed shape. The multi-task agent is built as a
// training run builds it from the training defaults (conditioning architecture, descriptor,
// behaviour cloning, one temperature per task); the batch has the trainer's shape (rounded up to a
// multiple of the tasks, half of it demonstration rows) and fixed pseudo-random contents. Its time
// per update is what the training loop's "updates" phase spends per update; the PyTorch peer has
// plain SAC only, so it does not run beside it.
import { MultiTaskAgent } from '../agent.ts';
import { batchSizeOf, makeConfig } from '../config.ts';
import { trainingAgentSpec } from '../train/run.ts';
import { STATE_DIM, type BatchArrays } from '../replay.ts';
import { ACTION_DIM } from '../../sim/layout.ts';
import { resolveTaskArgs } from '../../sim/registry.ts';
import { Rng } from '../../sim/rng.ts';
import { suiteTasks } from '../../sim/suites.ts';

export interface AgentUpdate {
  update(): void;
  /** One line: suite, tasks, architecture, batch, input width. */
  describe: string;
}

export async function agentUpdate(suite: string): Promise<AgentUpdate> {
  const cfg = makeConfig({ tasks: suiteTasks(suite) });
  const tasks = await resolveTaskArgs(cfg.tasks);
  const K = tasks.length;
  const agent = new MultiTaskAgent(trainingAgentSpec(cfg, tasks));
  const B = batchSizeOf(cfg, K);
  const rng = new Rng(1, 0xbe4c);
  const normal = (n: number) => {
    const a = new Float32Array(n);
    rng.fillNormal(a);
    return a;
  };
  const batch: BatchArrays = {
    state: normal(B * STATE_DIM),
    nextState: normal(B * STATE_DIM),
    action: normal(B * ACTION_DIM).map((v) => Math.tanh(v)),
    reward: Float32Array.from({ length: B }, (_, i) => (i % 3 === 0 ? 0 : -1)),
    terminated: new Float32Array(B),
    task: Int32Array.from({ length: B }, (_, i) => i % K),
    demo: Float32Array.from({ length: B }, (_, i) => (cfg.demoEpisodes > 0 && i % 2 === 0 ? 1 : 0)),
  };
  const sac = cfg.sac;
  return {
    update: () => void agent.update(batch, false),
    describe: `the training update of suite ${suite} (${K} tasks): ${cfg.arch} (${cfg.descriptor}), input ${agent.inDim}, hidden ${sac.hidden.join('x')}, batch ${B}, ${sac.numCritics} critics${sac.layerNorm ? ', LayerNorm' : ''}, behaviour cloning ${cfg.demoEpisodes > 0 && sac.bcWeight > 0 ? 'on' : 'off'}`,
  };
}
