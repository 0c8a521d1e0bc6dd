// Runs a policy (random, the scripted expert, or later a trained checkpoint) on any tasks for K
// episodes per task and prints a per-task table: success rate, mean return, mean episode length.
import { BUILTIN_TASKS, resolveTaskArgs } from '../registry.ts';
import { expertPolicy, formatTable, randomPolicy, runEpisodes, type Policy } from '../rollout.ts';
import { REWARD_NAMES, VecEnv, type RewardName } from '../vec-env.ts';
import { fmt, intFlag, listFlag, MAX, parseFlags, runCli, UsageError } from './args.ts';
import { suitesSection, tasksOf } from './suite-flag.ts';

const USAGE = `usage: npm run rollout -- [options]
  --tasks a,b,...     task names or paths of task files (default: ${BUILTIN_TASKS.join(', ')})
  --suite NAME        a named task list instead of --tasks (listed below)
  --policy NAME       random | expert (default: expert)
  --checkpoint FILE   run a trained policy (deterministic actions) instead; tasks default to its own
  --episodes K        episodes per task, at most ${fmt(MAX.episodes)} (default: 100)
  --envs N            envs stepped together, at most ${fmt(MAX.envs)} (default: 16)
  --seed S            seed, 0 to ${fmt(MAX.seed)} (default: 0)
  --reward NAME       ${REWARD_NAMES.join(' | ')} (default: sparse)
  --json              print one JSON object instead of the table
  -h, --help          this text

${suitesSection()}`;

await runCli(USAGE, async () => {
  const { values } = parseFlags(process.argv.slice(2), {
    tasks: { type: 'string' },
    suite: { type: 'string' },
    policy: { type: 'string' },
    episodes: { type: 'string' },
    envs: { type: 'string' },
    seed: { type: 'string' },
    reward: { type: 'string' },
    checkpoint: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  // A trained policy comes from agents/ (loaded only when asked, so sim/ needs no tensor library).
  const trained = values.checkpoint ? await (await import('../../agents/load-agent.ts')).loadAgent(values.checkpoint, { log: !values.json }) : null;
  const taskArgs = tasksOf(values.suite, values.tasks === undefined ? undefined : listFlag(values.tasks, [])) ?? (trained ? trained.taskArgs : [...BUILTIN_TASKS]);
  const episodes = intFlag('episodes', values.episodes, 100, 1, MAX.episodes);
  const seed = intFlag('seed', values.seed, 0, 0, MAX.seed);
  const reward = (values.reward ?? 'sparse') as RewardName;
  if (!REWARD_NAMES.includes(reward)) throw new UsageError(`--reward must be one of ${REWARD_NAMES.join(', ')}, got "${values.reward}"`);
  const tasks = await resolveTaskArgs(taskArgs);
  const numEnvs = intFlag('envs', values.envs, Math.max(16, tasks.length), tasks.length, MAX.envs);
  const policyName = values.policy ?? 'expert';
  if (trained && values.policy) throw new UsageError('give either --policy or --checkpoint, not both');
  let policy: Policy | null = null;
  if (!trained) {
    if (policyName === 'random') policy = randomPolicy(seed);
    else if (policyName === 'expert') {
      const missing = tasks.filter((t) => !t.expert).map((t) => t.name);
      if (missing.length) throw new UsageError(`no scripted expert for: ${missing.join(', ')}; use --policy random`);
      policy = expertPolicy;
    } else throw new UsageError(`--policy must be random or expert, got "${policyName}"`);
  }

  const env = await VecEnv.create({ tasks, numEnvs, reward });
  if (trained) policy = (await import('../../agents/evaluate.ts')).agentPolicy(trained.agent, env);
  if (!policy) throw new UsageError('no policy');
  const t0 = performance.now();
  const rows = runEpisodes(env, policy, { episodesPerTask: episodes, seed });
  const seconds = (performance.now() - t0) / 1000;
  env.close();
  if (values.json) {
    console.log(JSON.stringify({ policy: policy.name, reward, seed, numEnvs, episodesPerTask: episodes, seconds, tasks: rows }));
  } else {
    console.log(`policy ${policy.name}, reward ${reward}, seed ${seed}, ${numEnvs} envs, ${episodes} episodes per task (${seconds.toFixed(1)} s)\n`);
    console.log(formatTable(rows));
  }
});
