// Training CLI: one multi-task goal-conditioned SAC run (or, with --arch independent, one network
// per task in the same code path). Progress bar with per-task success on a terminal, plain log
// lines otherwise; metrics to <out>/metrics.jsonl; checkpoints to <out>/checkpoint.bin.
import { resolve } from 'node:path';
import cliProgress from 'cli-progress';
import { looksLikeTaskFile } from '../../sim/registry.ts';
import { ARCHS, DESCRIPTORS } from '../nn/conditioned.ts';
import { ConfigError, makeConfig, TRAIN_DEFAULTS, type TrainConfig } from '../config.ts';
import { selectBackend } from '../tensor/index.ts';
import { train } from '../train.ts';
import { fmt, listFlag, MAX, optIntFlag, optNumFlag, parseFlags, runCli, UsageError } from '../../sim/cli/args.ts';
import { onStopSignals, signalExitCode } from '../../sim/cli/signals.ts';

const D = TRAIN_DEFAULTS;
const USAGE = `usage: npm run train -- [options]
  --tasks a,b,...       task names or task-file paths (default: ${D.tasks.join(',')})
  --arch NAME           ${ARCHS.join(' | ')} (default: ${D.arch})
  --descriptor NAME     ${DESCRIPTORS.join(' | ')} (default: ${D.descriptor})
  --steps N             environment-step budget, all tasks together, at most ${fmt(MAX.envSteps)} (default: ${D.envSteps})
  --seed S              0 to ${fmt(MAX.seed)} (default: ${D.seed})
  --envs N              envs stepped together, at most ${fmt(MAX.envs)} (default: 4 per task)
  --out DIR             output folder (default: ${D.out})
  --resume              continue the run in --out from its checkpoint (a run stopped before its
                        first checkpoint starts over, and says so)
  --reward NAME         sparse | dense-v1 (default: ${D.reward})
  --her K               relabels per transition, 0 = off, at most 64 (default: ${D.herK})
  --demos N             scripted-expert episodes per task as demonstrations, at most ${fmt(MAX.demos)} (default: ${D.demoEpisodes})
  --utd R               updates per environment step, above 0 and at most 64 (default: ${D.utd})
  --batch N             batch size, at most ${fmt(MAX.batch)} (default: ${D.batchSize})
  --hidden a,b          hidden widths, each at most ${fmt(MAX.hidden)} (default: ${D.sac.hidden.join(',')})
  --eval-every N        env steps between evaluations, 0 = only at the end (default: ${D.evalEvery})
  --eval-episodes N     evaluation episodes per task, at most ${fmt(MAX.episodes)} (default: ${D.evalEpisodes})
  --log-every N         env steps between metrics rows (default: ${D.logEvery})
  --checkpoint-every N  env steps between checkpoints (default: ${D.checkpointEvery})
  --learning-starts N   random-action env steps per task before learning (default: ${D.learningStartsPerTask})
  --max-minutes M       stop (with a checkpoint and a final evaluation) after M minutes of wall
                        time, M above 0; leave it out for no time limit
  --stop-at-success P   stop once an evaluation has every task at or above P, above 0 and at
                        most 1 (default: never)
  --backend NAME        force a tensor backend (see README, "Tensor backends")
  -h, --help

Ctrl-C, SIGTERM or SIGHUP stop the run with a checkpoint (--resume continues it); the exit code
is then 128 + the signal's number (130 for Ctrl-C). A second Ctrl-C a moment later aborts.`;

await runCli(USAGE, async () => {
  const { values: v } = parseFlags(process.argv.slice(2), {
    tasks: { type: 'string' },
    arch: { type: 'string' },
    descriptor: { type: 'string' },
    steps: { type: 'string' },
    seed: { type: 'string' },
    envs: { type: 'string' },
    out: { type: 'string' },
    resume: { type: 'boolean' },
    reward: { type: 'string' },
    her: { type: 'string' },
    demos: { type: 'string' },
    utd: { type: 'string' },
    batch: { type: 'string' },
    hidden: { type: 'string' },
    'eval-every': { type: 'string' },
    'eval-episodes': { type: 'string' },
    'log-every': { type: 'string' },
    'checkpoint-every': { type: 'string' },
    'learning-starts': { type: 'string' },
    'max-minutes': { type: 'string' },
    'stop-at-success': { type: 'string' },
    backend: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help) {
    console.log(USAGE);
    return;
  }
  let cfg: TrainConfig;
  try {
    const over: Record<string, unknown> = {
      // Task files by absolute path, so the checkpoint can be evaluated from any folder.
      tasks: v.tasks === undefined ? undefined : listFlag(v.tasks, []).map((t) => (looksLikeTaskFile(t) ? resolve(t) : t)),
      arch: v.arch,
      descriptor: v.descriptor,
      envSteps: optIntFlag('steps', v.steps, 1, MAX.envSteps),
      seed: optIntFlag('seed', v.seed, 0, MAX.seed),
      numEnvs: optIntFlag('envs', v.envs, 1, MAX.envs),
      out: v.out,
      reward: v.reward,
      herK: optNumFlag('her', v.her, 0, 64),
      demoEpisodes: optIntFlag('demos', v.demos, 0, MAX.demos),
      utd: optNumFlag('utd', v.utd, 0, 64, { minExclusive: true }),
      batchSize: optIntFlag('batch', v.batch, 1, MAX.batch),
      evalEvery: optIntFlag('eval-every', v['eval-every'], 0, MAX.envSteps),
      evalEpisodes: optIntFlag('eval-episodes', v['eval-episodes'], 1, MAX.episodes),
      logEvery: optIntFlag('log-every', v['log-every'], 1, MAX.envSteps),
      checkpointEvery: optIntFlag('checkpoint-every', v['checkpoint-every'], 1, MAX.envSteps),
      learningStartsPerTask: optIntFlag('learning-starts', v['learning-starts'], 0, MAX.envSteps),
      maxSeconds: maxMinutes(v['max-minutes']),
      stopAtSuccess: optNumFlag('stop-at-success', v['stop-at-success'], 0, 1, { minExclusive: true }),
      sac: v.hidden === undefined ? undefined : { hidden: listFlag(v.hidden, []).map((h) => optIntFlag('hidden', h, 1, MAX.hidden)!) },
    };
    cfg = makeConfig(Object.fromEntries(Object.entries(over).filter(([, x]) => x !== undefined)) as never);
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(e.message);
    throw e;
  }
  // Before the slow start-up (backend, tasks, demonstrations): a signal then stops at step 0, with a checkpoint.
  const signals = onStopSignals((signal) => console.error(`\n${signal}: stopping after this step with a checkpoint (Ctrl-C again in a moment to abort without one)`));
  await selectBackend({ force: v.backend });

  const tty = process.stderr.isTTY;
  const bar = tty
    ? new cliProgress.SingleBar(
        { format: '{bar} {percentage}% | {value}/{total} env steps | {rate} steps/s | ETA {eta_formatted} | {success}', hideCursor: true, stream: process.stderr },
        cliProgress.Presets.shades_classic,
      )
    : null;
  let barStarted = false;
  // Over a live bar: clear its line, print, and let the next update redraw it.
  const log = (line: string) => (bar ? process.stderr.write(`\r\x1b[K${line}\n`) : console.log(line));

  const result = await train(cfg, {
    resume: v.resume,
    hooks: {
      shouldStop: () => signals.received !== null,
      log,
      onProgress: (p) => {
        if (!bar) return;
        const success = Object.entries(p.recentSuccess)
          .map(([t, s]) => `${t} ${s === null ? '-' : `${Math.round(100 * s)}%`}`)
          .join(' ');
        if (!barStarted) {
          bar.start(p.budget, p.envSteps, { success, rate: '0' });
          barStarted = true;
        }
        bar.update(p.envSteps, { success, rate: (p.envSteps / Math.max(1e-9, p.wallSeconds)).toFixed(0) });
      },
      onRow: (row) => {
        if (bar) return;
        const per = Object.entries(row.tasks)
          .map(([t, r]) => `${t} train ${r.trainSuccess === null ? '-' : `${Math.round(100 * r.trainSuccess)}%`}${r.evalSuccess === undefined ? '' : ` eval ${Math.round(100 * r.evalSuccess)}%`}`)
          .join(', ');
        console.log(`[${row.envSteps} steps, ${row.wallSeconds.toFixed(0)} s, ${row.updatesPerSec.toFixed(1)} upd/s, ${row.envStepsPerSec.toFixed(0)} steps/s] ${per}`);
      },
    },
  });
  bar?.stop();
  const how = { budget: 'done', target: 'reached the success target', time: 'time limit reached', interrupted: `stopped by ${signals.received ?? 'request'}` }[result.stopReason];
  console.log(
    `${how} after ${result.envSteps} env steps, ${result.updates} updates, ${(result.wallSeconds / 60).toFixed(1)} min; checkpoint and metrics in ${cfg.out}${result.best ? `; best evaluation (${Math.round(100 * result.best.meanSuccess)}% mean success at ${result.best.envSteps} env steps) in ${cfg.out}/best.bin` : ''}${result.stopReason === 'interrupted' ? `; continue with --resume --out ${cfg.out}` : ''}`,
  );
  if (signals.received) process.exitCode = signalExitCode(signals.received);
});

/** --max-minutes as seconds. 0 is refused: the trainer reads 0 as "no limit", which leaving the flag out says. */
function maxMinutes(v: string | undefined): number | undefined {
  const m = optNumFlag('max-minutes', v, 0, 10 * 365 * 24 * 60);
  if (m === 0) throw new UsageError(`--max-minutes must be above 0, got "${v}"; leave it out for no time limit`);
  return m === undefined ? undefined : 60 * m;
}
