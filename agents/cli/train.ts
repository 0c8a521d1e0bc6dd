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
import { intFlag, listFlag, parseFlags, runCli, UsageError } from '../../sim/cli/args.ts';

const D = TRAIN_DEFAULTS;
const USAGE = `usage: npm run train -- [options]
  --tasks a,b,...       task names or task-file paths (default: ${D.tasks.join(',')})
  --arch NAME           ${ARCHS.join(' | ')} (default: ${D.arch})
  --descriptor NAME     ${DESCRIPTORS.join(' | ')} (default: ${D.descriptor})
  --steps N             environment-step budget, all tasks together (default: ${D.envSteps})
  --seed S              (default: ${D.seed})
  --envs N              envs stepped together (default: 4 per task)
  --out DIR             output folder (default: ${D.out})
  --resume              continue the run in --out from its checkpoint
  --reward NAME         sparse | dense-v1 (default: ${D.reward})
  --her K               relabels per transition, 0 = off (default: ${D.herK})
  --demos N             scripted-expert episodes per task as demonstrations (default: ${D.demoEpisodes})
  --utd R               updates per environment step (default: ${D.utd})
  --batch N             batch size (default: ${D.batchSize})
  --hidden a,b          hidden widths (default: ${D.sac.hidden.join(',')})
  --eval-every N        env steps between evaluations (default: ${D.evalEvery})
  --eval-episodes N     evaluation episodes per task (default: ${D.evalEpisodes})
  --max-minutes M       stop (with a checkpoint) after M minutes of wall time
  --stop-at-success P   stop once an evaluation has every task at or above P (0-1; default: never)
  --backend NAME        force a tensor backend (see README, "Tensor backends")
  -h, --help`;

function num(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got "${v}"`);
  return n;
}

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
      envSteps: v.steps === undefined ? undefined : intFlag('steps', v.steps, 1),
      seed: v.seed === undefined ? undefined : intFlag('seed', v.seed, 0, 0, 2 ** 32 - 1),
      numEnvs: v.envs === undefined ? undefined : intFlag('envs', v.envs, 1, 1, 4096),
      out: v.out,
      reward: v.reward,
      herK: num('her', v.her),
      demoEpisodes: v.demos === undefined ? undefined : intFlag('demos', v.demos, 0, 0),
      utd: num('utd', v.utd),
      batchSize: v.batch === undefined ? undefined : intFlag('batch', v.batch, 1),
      evalEvery: v['eval-every'] === undefined ? undefined : intFlag('eval-every', v['eval-every'], 0, 0),
      evalEpisodes: v['eval-episodes'] === undefined ? undefined : intFlag('eval-episodes', v['eval-episodes'], 1),
      maxSeconds: v['max-minutes'] === undefined ? undefined : 60 * num('max-minutes', v['max-minutes'])!,
      stopAtSuccess: num('stop-at-success', v['stop-at-success']),
      sac: v.hidden === undefined ? undefined : { hidden: listFlag(v.hidden, []).map((h) => intFlag('hidden', h, 1, 1, 4096)) },
    };
    cfg = makeConfig(Object.fromEntries(Object.entries(over).filter(([, x]) => x !== undefined)) as never);
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(e.message);
    throw e;
  }
  await selectBackend({ force: v.backend });

  let stop = false;
  process.once('SIGINT', () => {
    stop = true;
    console.error('\nstopping: writing a checkpoint (Ctrl-C again to abort)');
    process.once('SIGINT', () => process.exit(130));
  });

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
      shouldStop: () => stop,
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
  console.log(
    `${result.stoppedEarly ? 'stopped' : 'done'} after ${result.envSteps} env steps, ${result.updates} updates, ${(result.wallSeconds / 60).toFixed(1)} min; checkpoint and metrics in ${cfg.out}${result.best ? `; best evaluation (${Math.round(100 * result.best.meanSuccess)}% mean success at ${result.best.envSteps} env steps) in ${cfg.out}/best.bin` : ''}`,
  );
});
