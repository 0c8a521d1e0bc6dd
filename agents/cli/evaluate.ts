// Evaluation CLI: deterministic (mean) actions of a checkpoint's policy, K episodes per task on
// fresh seeds; prints the per-task success table, or one JSON object with --json.
import { resolveTaskArgs } from '../../sim/registry.ts';
import { formatTable } from '../../sim/rollout.ts';
import { evaluate } from '../evaluate.ts';
import { loadAgent } from '../load-agent.ts';
import { fmt, intFlag, listFlag, MAX, parseFlags, runCli, UsageError } from '../../sim/cli/args.ts';

const USAGE = `usage: npm run evaluate -- --checkpoint FILE [options]
  --checkpoint FILE   a checkpoint.bin written by training (required)
  --tasks a,b,...     evaluate on these of its tasks (default: all it was trained on)
  --episodes K        episodes per task, at most ${fmt(MAX.episodes)} (default: 50)
  --seed S            evaluation seed, 0 to ${fmt(MAX.seed)} (default: 12345; training evaluations use other seeds)
  --envs-per-task N   envs per task stepped together, at most 1,024 (default: 4)
  --json              one JSON object instead of the table
  --backend NAME      force a tensor backend`;

await runCli(USAGE, async () => {
  const { values: v } = parseFlags(process.argv.slice(2), {
    checkpoint: { type: 'string' },
    tasks: { type: 'string' },
    episodes: { type: 'string' },
    seed: { type: 'string' },
    'envs-per-task': { type: 'string' },
    json: { type: 'boolean' },
    backend: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help) {
    console.log(USAGE);
    return;
  }
  if (!v.checkpoint) throw new UsageError('--checkpoint is required');
  const episodes = intFlag('episodes', v.episodes, 50, 1, MAX.episodes);
  const seed = intFlag('seed', v.seed, 12345, 0, MAX.seed);
  const envsPerTask = intFlag('envs-per-task', v['envs-per-task'], 4, 1, 1024);
  const { agent, taskArgs, envSteps } = await loadAgent(v.checkpoint, { backend: v.backend, log: !v.json });
  const chosen = v.tasks === undefined ? taskArgs : listFlag(v.tasks, []);
  const tasks = await resolveTaskArgs(chosen);
  const t0 = performance.now();
  const rows = await evaluate(agent, tasks, { episodesPerTask: episodes, seed, envsPerTask });
  const seconds = (performance.now() - t0) / 1000;
  agent.dispose();
  if (v.json) {
    console.log(JSON.stringify({ checkpoint: v.checkpoint, trainedEnvSteps: envSteps, arch: agent.spec.arch, seed, episodesPerTask: episodes, seconds, tasks: rows }));
  } else {
    console.log(`${v.checkpoint}: ${agent.spec.arch} (${agent.spec.descriptor}) after ${envSteps} env steps; deterministic actions, seed ${seed}, ${episodes} episodes per task (${seconds.toFixed(1)} s)\n`);
    console.log(formatTable(rows));
  }
});
