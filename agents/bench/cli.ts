// `npm run bench -- ...`: the multi-task vs single-task benchmark sweep. Running the same command
// again resumes it (finished runs are kept, unfinished ones resume from their checkpoints);
// `--report-only` rewrites the report from whatever the sweep folder holds.
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import { intFlag, listFlag, MAX, numFlag, parseFlags, runCli, UsageError } from '../../sim/cli/args.ts';
import { onStopSignals, signalExitCode } from '../../sim/cli/signals.ts';
import { looksLikeTaskFile, resolveTaskArgs } from '../../sim/registry.ts';
import { BOOTSTRAP_DEFAULTS, type BootstrapOptions } from './bootstrap.ts';
import { collectFromReport, collectResults, INVOCATIONS_FILE, RESULTS_FILE, writeReport, type Invocation } from './report.ts';
import { parseCondition, specDiff, SWEEP_DEFAULTS, SWEEP_FILE, sweepSchema, type SweepSpec } from './spec.ts';
import { readStoredSpec, runSweep, type SweepProgress } from './sweep.ts';
import { runQueuedSweep } from './coordinator.ts';
import { workersText } from './progress.ts';
import { checkRedis, parseRedisUrl, PASSWORD_ENV, redactArgs } from './queue.ts';

const D = SWEEP_DEFAULTS;
const USAGE = `usage: npm run bench -- --out DIR [options]
Runs tasks x conditions x seeds, one training run per process, and writes a report
(report.md, results.json/.csv, learning-curve and performance-profile SVGs). The same command
again resumes the sweep.

  --out DIR              sweep folder: runs/, sweep.json, report/ (default: runs/bench)
  --tasks a,b,...        task names or task-file paths (default: reach,push,pick-place,peg-insert)
  --conditions c,...     single | ARCH[:DESCRIPTOR], ARCH in concat, multihead, gated, moe,
                         independent; DESCRIPTOR onehot (default) or metadata
                         (default: single,multihead,concat)
  --seeds 0,1,...        seeds (default: ${D.seeds.join(',')})
  --budget N             env steps per task (multi-task runs get N x tasks) (default: ${D.budgetPerTask})
  --eval-every N         evaluate every N env steps per task (default: ${D.evalEveryPerTask})
  --eval-episodes N      evaluation episodes per task (default: ${D.evalEpisodes})
  --envs-per-task N      envs per task stepped together (default: ${D.envsPerTask})
  --reward NAME          sparse | dense-v1 (default: ${D.reward})
  --her K                relabels per transition (default: ${D.herK})
  --batch N              batch size (default: ${D.batchSize})
  --utd R                updates per env step (default: ${D.utd})
  --learning-starts N    random env steps per task before learning (default: ${D.learningStartsPerTask})
  --replay N             replay capacity per task (default: ${D.replayPerTask})
  --demos N              scripted-expert episodes per task as demonstrations, every run (default: ${D.demoEpisodes})
  --hidden a,b           hidden widths (default: ${D.hidden.join(',')})
  --jobs N               runs in parallel (default: cores = ${availableParallelism()})
  --queue URL            run the sweep on workers through Redis, redis://[:PASSWORD@]HOST[:PORT][/DB]
                         (or rediss:// for TLS; the password may come from $${PASSWORD_ENV}):
                         enqueues each run and collects results as they come; start workers with
                         npm run worker -- --queue URL (README: "Running a sweep on several machines")
  --report DIR           report folder (default: <out>/report)
  --report-only          only (re)write the report from the sweep folder; with --out naming a
                         report folder (results.json and raw/, no sweep.json), rebuild it in place
  --bootstrap-reps N     bootstrap resamples per interval (default: ${BOOTSTRAP_DEFAULTS.reps})
  --bootstrap-seed N     seed of the bootstrap; the same runs and seed give the same report, byte
                         for byte (default: ${BOOTSTRAP_DEFAULTS.seed})
  -h, --help

Numbers are plain decimals (not 1e5 or 0x10): env-step counts at most 1,000,000,000, episodes
1,000,000, replay 10,000,000 per task. Ctrl-C, SIGTERM or SIGHUP stop the running runs, each with
a checkpoint, and write the report (exit code 128 + the signal's number, 130 for Ctrl-C); the same
command resumes the sweep. A second Ctrl-C a moment later aborts at once.`;

function gitInfo(): Invocation['git'] {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const changed = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')
      .map((l) => l.slice(3).trim())
      .filter(Boolean);
    // Which files differed from the commit, so a reader can judge whether they touch the results.
    return { commit, dirty: changed.length > 0, changed: changed.slice(0, 50) };
  } catch {
    return { commit: null, dirty: null };
  }
}

function fmtEta(s: number | null): string {
  if (s === null) return '...';
  if (s >= 3600) return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
  if (s >= 60) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.round(s)} s`;
}

await runCli(USAGE, async () => {
  const { values: v } = parseFlags(process.argv.slice(2), {
    out: { type: 'string' },
    tasks: { type: 'string' },
    conditions: { type: 'string' },
    seeds: { type: 'string' },
    budget: { type: 'string' },
    'eval-every': { type: 'string' },
    'eval-episodes': { type: 'string' },
    'envs-per-task': { type: 'string' },
    reward: { type: 'string' },
    her: { type: 'string' },
    batch: { type: 'string' },
    utd: { type: 'string' },
    'learning-starts': { type: 'string' },
    demos: { type: 'string' },
    replay: { type: 'string' },
    hidden: { type: 'string' },
    jobs: { type: 'string' },
    report: { type: 'string' },
    'report-only': { type: 'boolean' },
    'bootstrap-reps': { type: 'string' },
    'bootstrap-seed': { type: 'string' },
    queue: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help) {
    console.log(USAGE);
    return;
  }
  const sweepDir = resolve(v.out ?? 'runs/bench');
  const reportDir = resolve(v.report ?? join(sweepDir, 'report'));
  const bootstrap: Partial<BootstrapOptions> = {};
  if (v['bootstrap-reps'] !== undefined) bootstrap.reps = intFlag('bootstrap-reps', v['bootstrap-reps'], BOOTSTRAP_DEFAULTS.reps, 100, 10_000_000);
  if (v['bootstrap-seed'] !== undefined) bootstrap.seed = intFlag('bootstrap-seed', v['bootstrap-seed'], BOOTSTRAP_DEFAULTS.seed, 0, 2 ** 32 - 1);

  // A report folder (a committed one, say) rebuilt from its own raw data: no sweep folder needed.
  if (v['report-only'] && !existsSync(join(sweepDir, SWEEP_FILE)) && existsSync(join(sweepDir, RESULTS_FILE))) {
    if (v.report !== undefined && resolve(v.report) !== sweepDir) throw new UsageError(`--report-only on the report folder ${sweepDir} rewrites it in place; copy the folder first to keep the old report, and leave out --report`);
    const sweepFlags = ['tasks', 'conditions', 'seeds', 'budget', 'eval-every', 'eval-episodes', 'envs-per-task', 'reward', 'her', 'batch', 'utd', 'learning-starts', 'demos', 'replay', 'hidden', 'jobs'].filter((k) => v[k as keyof typeof v] !== undefined);
    if (sweepFlags.length) throw new UsageError(`--report-only on a report folder takes its settings from its results.json; leave out ${sweepFlags.map((k) => `--${k}`).join(', ')}`);
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
  const given: Partial<SweepSpec> = {};
  if (v.tasks !== undefined) given.tasks = listFlag(v.tasks, []).map((t) => (looksLikeTaskFile(t) ? resolve(t) : t));
  if (v.conditions !== undefined) {
    try {
      given.conditions = listFlag(v.conditions, []).map(parseCondition);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  if (v.seeds !== undefined) given.seeds = listFlag(v.seeds, []).map((s) => intFlag('seeds', s, 0, 0, MAX.seed));
  if (v.budget !== undefined) given.budgetPerTask = intFlag('budget', v.budget, 1, 1, MAX.envSteps);
  if (v['eval-every'] !== undefined) given.evalEveryPerTask = intFlag('eval-every', v['eval-every'], 1, 1, MAX.envSteps);
  if (v['eval-episodes'] !== undefined) given.evalEpisodes = intFlag('eval-episodes', v['eval-episodes'], 1, 1, MAX.episodes);
  if (v['envs-per-task'] !== undefined) given.envsPerTask = intFlag('envs-per-task', v['envs-per-task'], 1, 1, 256);
  if (v.reward !== undefined) given.reward = v.reward as SweepSpec['reward'];
  if (v.her !== undefined) given.herK = numFlag('her', v.her, 0, 0, 64);
  if (v.batch !== undefined) given.batchSize = intFlag('batch', v.batch, 1, 1, MAX.batch);
  if (v.utd !== undefined) given.utd = numFlag('utd', v.utd, 0, 0, 64, { minExclusive: true });
  if (v['learning-starts'] !== undefined) given.learningStartsPerTask = intFlag('learning-starts', v['learning-starts'], 0, 0, MAX.envSteps);
  if (v.replay !== undefined) given.replayPerTask = intFlag('replay', v.replay, 1, 1, MAX.replay);
  if (v.demos !== undefined) given.demoEpisodes = intFlag('demos', v.demos, 0, 0, MAX.demos);
  if (v.hidden !== undefined) given.hidden = listFlag(v.hidden, []).map((h) => intFlag('hidden', h, 1, 1, MAX.hidden));
  const jobs = v.jobs === undefined ? availableParallelism() : intFlag('jobs', v.jobs, 1, 1, 256);
  let queue: ReturnType<typeof parseRedisUrl> | null = null;
  if (v.queue !== undefined) {
    if (v['report-only']) throw new UsageError('--report-only reads the sweep folder only; leave out --queue');
    if (v.jobs !== undefined) throw new UsageError('--jobs does not apply with --queue: each worker takes its own (npm run worker -- --jobs N)');
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
    if (v['report-only']) throw new UsageError(`--report-only: no sweep in ${sweepDir} (no sweep.json)`);
    base = { version: 1, tasks: ['reach', 'push', 'pick-place', 'peg-insert'], conditions: ['single', 'multihead', 'concat'].map(parseCondition), ...D };
  }
  const merged = { ...base, ...given } as Record<string, unknown>;
  if (!stored || given.tasks) {
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

  if (v['report-only']) {
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
    git: gitInfo(),
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
