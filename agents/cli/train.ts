// Training CLI: one multi-task goal-conditioned SAC run (or, with --arch independent, one network
// per task in the same code path). Its options are the training settings (agents/config.ts) plus a
// few of its own; --help is generated from those declarations. A progress line on the terminal
// (plain lines otherwise), a line per metrics row; metrics to <out>/metrics.jsonl, checkpoints to
// <out>/checkpoint.bin.
import { runCli, UsageError } from '../../sim/cli/args.ts';
import { onStopSignals, signalExitCode } from '../../sim/cli/signals.ts';
import { ConfigError, makeConfig, SETTINGS, type TrainConfig } from '../config.ts';
import { selectBackend } from '../tensor/index.ts';
import { ProgressLine } from '../train/progress.ts';
import { savedSettings } from '../train/run-folder.ts';
import { train } from '../train/train.ts';
import { BACKEND, SUITE, suitesSection, tasksOf } from './common.ts';
import { flagSwitch, given, HELP_LINE, optionsHelp, overlay, readFlags, valuesOf } from './options.ts';

const OWN = {
  suite: SUITE,
  resume: flagSwitch({ flag: 'resume', group: 'Run', help: 'continue the run in --out from its checkpoint, with its own settings (flags given change those only; a run stopped before its first checkpoint starts over, and says so)' }),
  backend: BACKEND,
};
const TREES = [OWN, SETTINGS];

const USAGE = `usage: npm run train -- [options]

${optionsHelp(TREES)}
${HELP_LINE}

${suitesSection()}

Numbers are plain decimals (200000, not 2e5 or 0x10). Ctrl-C, SIGTERM or SIGHUP stop the run with
a checkpoint (--resume continues it); the exit code is then 128 + the signal's number (130 for
Ctrl-C). A second Ctrl-C a moment later aborts.`;

await runCli(USAGE, async () => {
  const flags = readFlags(process.argv.slice(2), TREES);
  if (flags.help) {
    console.log(USAGE);
    return;
  }
  const own = valuesOf(OWN, flags);
  const settings = given(SETTINGS, flags);
  let cfg: TrainConfig;
  try {
    // --resume: the run's own settings, changed only where the command line says.
    const saved = own.resume ? savedSettings(settings.out ?? SETTINGS.out.default) : null;
    cfg = makeConfig(overlay(saved ?? {}, { ...settings, tasks: tasksOf(own.suite, settings.tasks) }));
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(e.message);
    throw e;
  }
  const progress = new ProgressLine(process.stderr.isTTY ? process.stderr : process.stdout);
  // Before the slow start-up (backend, tasks, demonstrations): a signal then stops at step 0, with a checkpoint.
  const stop = new AbortController();
  const signals = onStopSignals((signal) => {
    progress.log(`${signal}: stopping after this step with a checkpoint (Ctrl-C again in a moment to abort without one)`);
    stop.abort();
  });
  await selectBackend({ force: own.backend ?? undefined });

  const result = await train(cfg, { resume: own.resume, signal: stop.signal, observers: [progress], log: (line) => progress.log(line) });
  const how = { budget: 'done', target: 'reached the success target', time: 'time limit reached', interrupted: `stopped by ${signals.received ?? 'request'}` }[result.stopReason];
  console.log(
    `${how} after ${result.envSteps} env steps, ${result.updates} updates, ${(result.wallSeconds / 60).toFixed(1)} min; checkpoint and metrics in ${cfg.out}${result.best ? `; best evaluation (${Math.round(100 * result.best.meanSuccess)}% mean success at ${result.best.envSteps} env steps) in ${cfg.out}/best.bin` : ''}${result.stopReason === 'interrupted' ? `; continue with --resume --out ${cfg.out}` : ''}`,
  );
  if (signals.received) process.exitCode = signalExitCode(signals.received);
});
