// `npm run bench -- ...`: the multi-task vs single-task benchmark sweep. Running the same command
// again resumes it (finished runs are kept, unfinished ones resume from their checkpoints; in a
// fresh clone of a committed sweep, the finished runs come back from the report's raw/ folder);
// `--report-only` rewrites the report from whatever the sweep folder holds.
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import { MAX, runCli, UsageError } from '../../sim/cli/args.ts';
import { onStopSignals, signalExitCode } from '../../sim/cli/signals.ts';
import { resolveTaskArgs } from '../../sim/registry.ts';
import { SUITE, suitesSection, tasksOf } from '../cli/common.ts';
import { flagSwitch, given, givenFlags, HELP_LINE, int, list, optionsHelp, readFlags, text, valuesOf } from '../cli/options.ts';
import { SETTINGS } from '../config.ts';
import { ARCHS, DESCRIPTORS } from '../nn/conditioned.ts';
import { BOOTSTRAP_DEFAULTS, type BootstrapOptions } from './bootstrap.ts';
import { runQueuedSweep } from './coordinator.ts';
import { gitState } from './git-state.ts';
import { workersText } from './progress.ts';
import { checkRedis, parseRedisUrl, PASSWORD_ENV, redactArgs } from './queue.ts';
import { collectFromReport, collectResults, INVOCATIONS_FILE, RESULTS_FILE, writeReport, type Invocation } from './report.ts';
import { restoreFinishedRuns } from './restore.ts';
import { CONDITION_STRATEGIES, parseCondition, planRuns, specDiff, SWEEP_DEFAULTS, SWEEP_FILE, sweepSchema, type SweepSpec } from './spec.ts';
import { readStoredSpec, runSweep, type SweepProgress } from './sweep.ts';

const D = SWEEP_DEFAULTS;
const SWEEP = 'Sweep';
const REPORT = 'Report';
const DEFAULT_CONDITIONS = 'single,multihead,concat';

/** The sweep's own options; their defaults are SWEEP_DEFAULTS (or the stored sweep's, on resume). */
const OWN = {
  out: text({ default: 'runs/bench', flag: 'out', metavar: 'DIR', group: SWEEP, help: 'sweep folder: runs/, sweep.json, report/' }),
  suite: SUITE.derive({ group: SWEEP }),
  conditions: text({
    default: DEFAULT_CONDITIONS,
    flag: 'conditions',
    metavar: 'c,...',
    group: SWEEP,
    help: `single | ARCH[:DESCRIPTOR][+STRATEGY], ARCH one of ${ARCHS.join(', ')}; DESCRIPTOR ${DESCRIPTORS.join(', ')} (onehot when left out); STRATEGY ${CONDITION_STRATEGIES.join(', ')} (README: "Conditions")`,
  }),
  seeds: list({ default: D.seeds, flag: 'seeds', group: SWEEP, help: 'seeds', item: SETTINGS.seed, unique: 'a seed is listed twice' }),
  budget: int({ default: D.budgetPerTask, min: 1, max: MAX.envSteps, flag: 'budget', group: SWEEP, help: 'env steps per task (multi-task runs get N x tasks)' }),
  evalEvery: int({ default: D.evalEveryPerTask, min: 1, max: MAX.envSteps, flag: 'eval-every', group: SWEEP, help: 'evaluate every N env steps per task' }),
  envsPerTask: int({ default: D.envsPerTask, min: 1, max: 256, flag: 'envs-per-task', group: SWEEP, help: 'envs per task stepped together' }),
  jobs: int({ default: null, none: `cores = ${availableParallelism()}`, min: 1, max: 256, flag: 'jobs', group: SWEEP, help: 'runs in parallel' }),
  queue: text({
    default: null,
    none: 'a local sweep',
    flag: 'queue',
    metavar: 'URL',
    group: SWEEP,
    help: `run the sweep on workers through Redis, redis://[:PASSWORD@]HOST[:PORT][/DB] (or rediss:// for TLS; the password may come from $${PASSWORD_ENV}): enqueues each run and collects results as they come; start workers with npm run worker -- --queue URL (README: "Running a sweep on several machines")`,
  }),
  report: text({ default: null, none: '<out>/report', flag: 'report', metavar: 'DIR', group: REPORT, help: 'report folder' }),
  reportOnly: flagSwitch({
    flag: 'report-only',
    group: REPORT,
    help: 'only (re)write the report from the sweep folder; with --out naming a report folder (results.json and raw/, no sweep.json), rebuild it in place',
  }),
  bootstrapReps: int({ default: BOOTSTRAP_DEFAULTS.reps, min: 100, max: 10_000_000, flag: 'bootstrap-reps', group: REPORT, help: 'bootstrap resamples per interval' }),
  bootstrapSeed: int({ default: BOOTSTRAP_DEFAULTS.seed, min: 0, max: MAX.seed, flag: 'bootstrap-seed', group: REPORT, help: 'seed of the bootstrap; the same runs and seed give the same report, byte for byte' }),
};

/** Training settings every run of the sweep gets (agents/config.ts declares them; the sweep stores them). */
const RUN_SETTINGS = {
  tasks: SETTINGS.tasks,
  evalEpisodes: SETTINGS.evalEpisodes,
  reward: SETTINGS.reward,
  herK: SETTINGS.herK,
  batchSize: SETTINGS.batchSize,
  utd: SETTINGS.utd,
  learningStartsPerTask: SETTINGS.learningStartsPerTask,
  replayPerTask: SETTINGS.replayPerTask,
  demoEpisodes: SETTINGS.demoEpisodes,
  softLambda: SETTINGS.softLambda,
  sampleTemperature: SETTINGS.sampleTemperature,
  sampleFloor: SETTINGS.sampleFloor,
  successWindow: SETTINGS.successWindow,
  sac: { hidden: SETTINGS.sac.hidden },
};
const TREES = [OWN, RUN_SETTINGS];

const USAGE = `usage: npm run bench -- --out DIR [options]
Runs tasks x conditions x seeds, one training run per process, and writes a report
(report.md, results.json/.csv, learning-curve and performance-profile SVGs). The same command
again resumes the sweep.

${optionsHelp(TREES)}
${HELP_LINE}

${suitesSection()}

Numbers are plain decimals (not 1e5 or 0x10). Ctrl-C, SIGTERM or SIGHUP stop the running runs,
each with a checkpoint, and write the report (exit code 128 + the signal's number, 130 for
Ctrl-C); the same command resumes the sweep. A second Ctrl-C a moment later aborts at once.`;

function fmtEta(s: number | null): string {
  if (s === null) return '...';
  if (s >= 3600) return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
  if (s >= 60) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.round(s)} s`;
}

await runCli(USAGE, async () => {
  const flags = readFlags(process.argv.slice(2), TREES);
  if (flags.help) {
    console.log(USAGE);
    return;
  }
  const v = valuesOf(OWN, flags);
  const sweepDir = resolve(v.out);
  const reportDir = resolve(v.report ?? join(sweepDir, 'report'));
  const bootstrap: Partial<BootstrapOptions> = {};
  if (flags['bootstrap-reps'] !== undefined) bootstrap.reps = v.bootstrapReps;
  if (flags['bootstrap-seed'] !== undefined) bootstrap.seed = v.bootstrapSeed;

  // A report folder (a committed one, say) rebuilt from its own raw data: no sweep folder needed.
  if (v.reportOnly && !existsSync(join(sweepDir, SWEEP_FILE)) && existsSync(join(sweepDir, RESULTS_FILE))) {
    if (v.report !== null && resolve(v.report) !== sweepDir) throw new UsageError(`--report-only on the report folder ${sweepDir} rewrites it in place; copy the folder first to keep the old report, and leave out --report`);
    const sweepFlags = [...givenFlags(RUN_SETTINGS, flags), ...['suite', 'conditions', 'seeds', 'budget', 'eval-every', 'envs-per-task', 'jobs'].filter((k) => flags[k] !== undefined).map((k) => `--${k}`)];
    if (sweepFlags.length) throw new UsageError(`--report-only on a report folder takes its settings from its results.json; leave out ${sweepFlags.join(', ')}`);
    let results;
    try {
      results = await collectFromReport(sweepDir, bootstrap);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const path = writeReport(null, sweepDir, results);
    console.log(`report: ${path} (rebuilt from its raw/ folder; ${results.runsDone} of ${results.runsTotal} runs finished)`);
    return;
  }
  const stored = readStoredSpec(sweepDir);

  // Flags given on this command line; the rest come from the stored sweep (resume) or defaults.
  const run = given(RUN_SETTINGS, flags);
  const given_: Partial<SweepSpec> = {};
  const tasks = tasksOf(v.suite, run.tasks);
  if (tasks !== undefined) given_.tasks = tasks;
  if (flags.conditions !== undefined) {
    try {
      given_.conditions = v.conditions.split(',').map((c) => c.trim()).filter(Boolean).map(parseCondition);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  if (flags.seeds !== undefined) given_.seeds = v.seeds;
  if (flags.budget !== undefined) given_.budgetPerTask = v.budget;
  if (flags['eval-every'] !== undefined) given_.evalEveryPerTask = v.evalEvery;
  if (flags['envs-per-task'] !== undefined) given_.envsPerTask = v.envsPerTask;
  for (const k of ['evalEpisodes', 'reward', 'herK', 'batchSize', 'utd', 'learningStartsPerTask', 'replayPerTask', 'demoEpisodes', 'softLambda', 'sampleTemperature', 'sampleFloor', 'successWindow'] as const) {
    if (run[k] !== undefined) (given_ as Record<string, unknown>)[k] = run[k];
  }
  if (run.sac?.hidden !== undefined) given_.hidden = run.sac.hidden;
  const jobs = v.jobs ?? availableParallelism();
  let queue: ReturnType<typeof parseRedisUrl> | null = null;
  if (v.queue !== null) {
    if (v.reportOnly) throw new UsageError('--report-only reads the sweep folder only; leave out --queue');
    if (flags.jobs !== undefined) throw new UsageError('--jobs does not apply with --queue: each worker takes its own (npm run worker -- --jobs N)');
    try {
      queue = parseRedisUrl(v.queue);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }

  let base: Record<string, unknown>;
  if (stored) {
    base = stored as Record<string, unknown>;
  } else {
    if (v.reportOnly) throw new UsageError(`--report-only: no sweep in ${sweepDir} (no sweep.json)`);
    base = { version: 1, tasks: SETTINGS.tasks.default, conditions: DEFAULT_CONDITIONS.split(',').map(parseCondition), ...D };
  }
  const merged = { ...base, ...given_ } as Record<string, unknown>;
  if (!stored || given_.tasks) {
    try {
      merged.taskNames = (await resolveTaskArgs(merged.tasks as string[])).map((t) => t.name);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  const parsed = sweepSchema.safeParse(merged);
  if (!parsed.success) throw new UsageError(parsed.error.issues.map((i) => `${i.path.join('.') || '(sweep)'}: ${i.message}`).join('; '));
  const spec = parsed.data;
  if (stored) {
    const old = sweepSchema.safeParse(stored);
    if (!old.success) throw new Error(`${join(sweepDir, 'sweep.json')} is not a valid sweep file; choose another --out`);
    const diff = specDiff(old.data, spec);
    if (diff.length) {
      throw new UsageError(`${sweepDir} holds a sweep with other settings (${diff.join(', ')}): run the same command to resume it, or choose another --out`);
    }
  }

  // A fresh clone of a committed sweep has no runs/ folder: its finished runs come back from the
  // report's raw/ folder, so they are neither trained again nor dropped from the rewritten report.
  if (stored) {
    const restored = restoreFinishedRuns(sweepDir, reportDir, planRuns(spec));
    if (restored.length) console.log(`${restored.length} finished run(s) restored from ${join(reportDir, 'raw')} (a sweep's runs/ folder is not committed)`);
  }

  if (v.reportOnly) {
    const results = await collectResults(sweepDir, spec, bootstrap);
    const path = writeReport(sweepDir, reportDir, results);
    console.log(`report: ${path} (${results.runsDone} of ${results.runsTotal} runs finished)`);
    return;
  }

  // Before the command is recorded: a wrong address or password changes nothing.
  if (queue) await checkRedis(queue);
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const inv: Invocation = {
    command: ['npm run bench --', ...redactArgs(process.argv.slice(2)).map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`))].join(' '),
    cwd: process.cwd(),
    startedAt: new Date().toISOString(),
    git: gitState(),
    node: process.version,
    machine: { cpu, cores: availableParallelism(), memoryGiB: Math.round(totalmem() / 2 ** 30), platform: process.platform, arch: process.arch },
    // The runs get RRL_BLAS_THREADS=1 unless it is set (agents/bench/sweep.ts).
    env: { RRL_BACKEND: process.env.RRL_BACKEND ?? 'auto', RRL_BLAS_THREADS: process.env.RRL_BLAS_THREADS ?? '1', RRL_RAPIER: process.env.RRL_RAPIER ?? 'default' },
  };
  mkdirSync(sweepDir, { recursive: true });
  appendFileSync(join(sweepDir, INVOCATIONS_FILE), JSON.stringify(inv) + '\n');
  if (!existsSync(join(sweepDir, 'runs'))) console.log(`sweep: ${sweepDir}`);


  const tty = process.stderr.isTTY;
  const bar = tty
    ? new cliProgress.SingleBar(
        { format: '{bar} {percentage}% env steps | runs: {done} done, {running} running, {left} {leftWord}{failedText}{workersCount} | ETA {etaText}', hideCursor: true, stream: process.stderr, fps: 4 },
        cliProgress.Presets.shades_classic,
      )
    : null;
  let started = false;
  let lastLine = 0;
  const leftWord = queue ? 'queued' : 'left';
  const status = (p: SweepProgress) =>
    `runs: ${p.done} done, ${p.running} running, ${p.left} ${leftWord}${p.failed ? `, ${p.failed} failed` : ''} | ${((100 * p.stepsDone) / p.stepsTotal).toFixed(1)}% of env steps | ETA ${fmtEta(p.eta)}${p.workers ? ` | workers: ${workersText(p.workers) || 'none yet'}` : ''}`;
  const log = (line: string) => {
    const stamped = `[${new Date().toISOString().slice(11, 19)}] ${line}`;
    if (bar) process.stderr.write(`\r\x1b[K${stamped}\n`);
    else console.log(stamped);
  };
  const signals = onStopSignals((signal) =>
    log(queue ? `${signal}: stopping the collecting (the workers go on); Ctrl-C again in a moment aborts at once` : `${signal}: stopping the running runs (each writes a checkpoint); Ctrl-C again in a moment aborts at once`),
  );
  let lastWorkers = '';
  const onProgress = (p: SweepProgress) => {
    // Per worker: a line whenever the split changes (the bar has room for a count only).
    const ws = p.workers ? workersText(p.workers) : '';
    if (ws && ws !== lastWorkers) {
      lastWorkers = ws;
      if (bar) log(`workers: ${ws}`);
    }
    if (bar) {
      const payload = { done: p.done, running: p.running, left: p.left, leftWord, failedText: p.failed ? `, ${p.failed} failed` : '', workersCount: p.workers ? ` | ${p.workers.length} worker(s)` : '', etaText: fmtEta(p.eta) };
      if (!started) {
        bar.start(p.stepsTotal, p.stepsDone, payload);
        started = true;
      }
      bar.update(p.stepsDone, payload);
    } else if (performance.now() - lastLine > 30_000) {
      lastLine = performance.now();
      log(status(p));
    }
  };
  const shouldStop = () => signals.received !== null;
  const outcome = queue
    ? await runQueuedSweep({ sweepDir, spec, reportDir, bootstrap, log, shouldStop, onProgress, queue, commit: inv.git.commit })
    : await runSweep({ sweepDir, spec, jobs, reportDir, bootstrap, log, shouldStop, onProgress });
  bar?.stop();
  console.log(`report: ${outcome.reportPath} (${outcome.results.runsDone} of ${outcome.results.runsTotal} runs finished${outcome.failed.length ? `, ${outcome.failed.length} failed: ${outcome.failed.join(', ')}` : ''})`);
  if (outcome.failed.length) process.exitCode = 1;
  else if (outcome.unfinished.length) {
    console.log(queue ? `stopped with ${outcome.unfinished.length} run(s) unfinished on the workers; run the same command to collect them` : `stopped with ${outcome.unfinished.length} run(s) unfinished; run the same command to resume`);
    process.exitCode = signalExitCode(signals.received ?? 'SIGINT');
  }
});
