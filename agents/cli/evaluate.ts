// Evaluation CLI: deterministic (mean) actions of a checkpoint's policy, K episodes per task on
// fresh seeds; prints the per-task success table, or one JSON object with --json. Its options are
// declared like the training settings (agents/cli/options.ts), --tasks being that very setting.
import { runCli, UsageError, MAX } from '../../sim/cli/args.ts';
import { resolveTaskArgs } from '../../sim/registry.ts';
import { formatTable } from '../../sim/rollout.ts';
import { SETTINGS } from '../config.ts';
import { evaluate } from '../evaluate.ts';
import { loadAgent } from '../load-agent.ts';
import { BACKEND, SUITE, suitesSection, tasksOf } from './common.ts';
import { flagSwitch, given, HELP_LINE, int, optionsHelp, readFlags, text, valuesOf } from './options.ts';

const OPTIONS = {
  checkpoint: text({ default: null, none: 'required', flag: 'checkpoint', metavar: 'FILE', help: 'a checkpoint.bin or best.bin written by training' }),
  suite: SUITE.derive({ group: 'Options', help: 'evaluate on the tasks of this suite (each must be one the agent was trained on)' }),
  tasks: SETTINGS.tasks.derive({ group: 'Options', help: 'evaluate on these of its tasks', shown: 'every task it was trained on' }),
  episodes: int({ default: 50, min: 1, max: MAX.episodes, flag: 'episodes', metavar: 'K', help: 'episodes per task' }),
  seed: SETTINGS.seed.derive({ default: 12345, group: 'Options', help: 'evaluation seed (training evaluations use other seeds)' }),
  envsPerTask: int({ default: 4, min: 1, max: 1024, flag: 'envs-per-task', help: 'envs per task stepped together' }),
  json: flagSwitch({ flag: 'json', help: 'one JSON object instead of the table' }),
  backend: BACKEND.derive({ group: 'Options' }),
};

const USAGE = `usage: npm run evaluate -- --checkpoint FILE [options]

${optionsHelp([OPTIONS])}
${HELP_LINE}

${suitesSection()}`;

await runCli(USAGE, async () => {
  const flags = readFlags(process.argv.slice(2), [OPTIONS]);
  if (flags.help) {
    console.log(USAGE);
    return;
  }
  const v = valuesOf(OPTIONS, flags);
  const chosen = tasksOf(v.suite, given(OPTIONS, flags).tasks);
  if (!v.checkpoint) throw new UsageError('--checkpoint is required');
  const { agent, taskArgs, envSteps } = await loadAgent(v.checkpoint, { backend: v.backend ?? undefined, log: !v.json });
  const tasks = await resolveTaskArgs(chosen ?? taskArgs);
  const t0 = performance.now();
  const rows = await evaluate(agent, tasks, { episodesPerTask: v.episodes, seed: v.seed, envsPerTask: v.envsPerTask });
  const seconds = (performance.now() - t0) / 1000;
  agent.dispose();
  if (v.json) {
    console.log(JSON.stringify({ checkpoint: v.checkpoint, trainedEnvSteps: envSteps, arch: agent.spec.arch, seed: v.seed, episodesPerTask: v.episodes, seconds, tasks: rows }));
  } else {
    console.log(`${v.checkpoint}: ${agent.spec.arch} (${agent.spec.descriptor}) after ${envSteps} env steps; deterministic actions, seed ${v.seed}, ${v.episodes} episodes per task (${seconds.toFixed(1)} s)\n`);
    console.log(formatTable(rows));
  }
});
