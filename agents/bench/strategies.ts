// bench:strategies — what each multi-task strategy costs per SAC update: one MultiTaskAgent update
// (hidden 256x2, batch 256, the four default tasks) timed for each condition on the selected
// backend, interleaved over rounds so load drifts hit every condition alike; prints the median
// ms per update and the ratio to the plain architecture. The `weighted` strategy changes only
// which rows are drawn (replay.ts), so its update costs what its architecture's does; the count
// rule itself is timed separately.
import { runCli, parseFlags, intFlag, listFlag } from '../../sim/cli/args.ts';
import { getTask } from '../../sim/registry.ts';
import { Rng } from '../../sim/rng.ts';
import { agentSpec, MultiTaskAgent } from '../agent.ts';
import { MultiTaskReplay } from '../replay.ts';
import { selectBackend } from '../tensor/index.ts';
import { parseCondition } from './spec.ts';
import { median } from '../../bench/compare.ts';
import { taskCounts } from '../task-sampling.ts';

const TASKS = ['reach', 'push', 'pick-place', 'peg-insert'];
const BATCH = 256;
const WARMUP = 5;
const DEFAULT_CONDITIONS = ['multihead', 'multihead+pcgrad', 'concat', 'concat+pcgrad', 'independent', 'soft'];

const USAGE = `usage: npm run bench:strategies -- [options]
One multi-task SAC update (hidden 256x2, batch ${BATCH}, tasks ${TASKS.join(', ')}) per condition.

  --conditions c,...  ARCH[+STRATEGY] conditions (default: ${DEFAULT_CONDITIONS.join(',')})
  --rounds N          rounds, each timing every condition once (default: 5)
  --updates N         timed updates per condition and round, after ${WARMUP} warm-up ones (default: 20)
  -h, --help          this text`;

await runCli(USAGE, async () => {
  const { values: v } = parseFlags(process.argv.slice(2), {
    conditions: { type: 'string' },
    rounds: { type: 'string' },
    updates: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help) {
    console.log(USAGE);
    return;
  }
  const conditions = listFlag(v.conditions, DEFAULT_CONDITIONS);
  const rounds = intFlag('rounds', v.rounds, 5, 1, 1000);
  const updates = intFlag('updates', v.updates, 20, 1, 100_000);
  const backend = await selectBackend({ log: false });
  console.log(`backend: ${backend.line}`);
  const tasks = TASKS.map(getTask);
  const replay = new MultiTaskReplay({ tasks, capacityPerTask: 2000, herK: 4, reward: 'sparse', terminateOnSuccess: false, demoFraction: 0 });
  const rng = new Rng(1);
  // Random transitions: what the networks compute does not depend on the values.
  for (const buf of replay.buffers) {
    const ep = Array.from({ length: 50 }, () => ({
      obs: Float32Array.from({ length: 52 }, () => rng.uniform(-1, 1)),
      achieved: Float32Array.from({ length: 3 }, () => rng.uniform(-0.2, 0.2)),
      action: Float32Array.from({ length: 4 }, () => rng.uniform(-1, 1)),
      reward: -1,
      nextObs: Float32Array.from({ length: 52 }, () => rng.uniform(-1, 1)),
      nextAchieved: Float32Array.from({ length: 3 }, () => rng.uniform(-0.2, 0.2)),
      desired: Float32Array.from({ length: 3 }, () => rng.uniform(-0.2, 0.2)),
      terminated: false,
    }));
    for (let e = 0; e < 10; e++) buf.addEpisode(ep);
  }
  const batch = replay.sample(BATCH, rng);
  const agents = conditions.map((c) => {
    const cond = parseCondition(c);
    if (cond.kind !== 'multi') throw new Error(`--conditions: ${c} is not a multi-task condition`);
    const agent = new MultiTaskAgent(agentSpec(tasks, { arch: cond.arch, descriptor: cond.descriptor, strategy: cond.strategy, softLambda: 0.01 }));
    for (let u = 0; u < WARMUP; u++) agent.update(batch, false);
    return { id: cond.id, agent, ms: [] as number[] };
  });
  for (let r = 0; r < rounds; r++) {
    for (const a of agents) {
      const t0 = performance.now();
      for (let u = 0; u < updates; u++) a.agent.update(batch, false);
      a.ms.push((performance.now() - t0) / updates);
    }
  }
  const base = (id: string) => agents.find((a) => a.id === id.split('+')[0]);
  for (const a of agents) {
    const m = median(a.ms);
    const b = base(a.id);
    const ratio = b && b !== a ? ` (${(m / median(b.ms)).toFixed(2)}x ${b.id})` : '';
    console.log(`${a.id.padEnd(26)} ${m.toFixed(1).padStart(7)} ms/update  [${Math.min(...a.ms).toFixed(1)} - ${Math.max(...a.ms).toFixed(1)}]${ratio}`);
    a.agent.dispose();
  }
  const t0 = performance.now();
  for (let i = 0; i < 100_000; i++) taskCounts([0.9, 0.5, 0.1, 0], BATCH, 0.5, 0.5);
  console.log(`taskCounts (4 tasks, batch ${BATCH}): ${((performance.now() - t0) / 100).toFixed(2)} us per call (the weighted strategy calls it once per env step)`);
});
