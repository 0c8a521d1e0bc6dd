// `npm start`: trains the multi-task agent (the default), or runs a fixed policy (--policy) or a
// recording (--play), and serves the browser viewer that watches it. Its training options are the
// training settings (agents/config.ts), with this CLI's own defaults where it says so; --help is
// generated from the declarations.
import { resolve } from 'node:path';
import { BACKEND, SUITE, suitesSection, tasksOf } from '../agents/cli/common.ts';
import { choice, defaultsOf, flagSwitch, given, givenFlags, HELP_LINE, int, optionsHelp, overlay, readFlags, text, valuesOf } from '../agents/cli/options.ts';
import { ConfigError, makeConfig, SETTINGS } from '../agents/config.ts';
import { selectBackend } from '../agents/tensor/index.ts';
import { ProgressLine } from '../agents/train/progress.ts';
import { holdsRun, savedSettings } from '../agents/train/run-folder.ts';
import { numFlag, runCli, UsageError } from '../sim/cli/args.ts';
import { onStopSignals } from '../sim/cli/signals.ts';
import { resolveTaskArgs } from '../sim/registry.ts';
import { suiteTasks } from '../sim/suites.ts';
import { TrainingSource } from './training-source.ts';
import { POLICY_NAMES, PolicySource } from './policy-source.ts';
import { MODES, type Speed } from './protocol.ts';
import { PlaybackSource, loadRecording } from './recording.ts';
import { serveRollouts, type Serving } from './serve.ts';
import type { RolloutSource } from './source.ts';

const VIEWER = 'Viewer';

const OWN = {
  port: int({ default: null, none: '8080, or the next free one', min: 0, max: 65535, flag: 'port', group: VIEWER, help: 'HTTP port (an explicitly given busy port is an error; 0 = any free port)' }),
  host: text({ default: '127.0.0.1', flag: 'host', metavar: 'ADDR', group: VIEWER, help: 'address to bind (anything but loopback needs --token)' }),
  token: text({ default: null, none: 'RRL_VIEWER_TOKEN, or none', flag: 'token', metavar: 'SECRET', group: VIEWER, help: 'clients must present it (open the printed URL, which carries it)' }),
  speed: text({
    default: '1',
    flag: 'speed',
    metavar: 'X',
    group: VIEWER,
    help: 'real-time factor of the shown rollouts: 0.05 to 64, or "max"',
    fromFlag: (t) => (t === 'max' ? t : String(numFlag('speed', t, 1, 0.05, 64))),
  }),
  mode: choice({ default: 'train', values: MODES, flag: 'mode', group: VIEWER, help: 'which rollouts to show first' }),
  sendHz: int({ default: 30, min: 1, max: 120, flag: 'send-hz', group: VIEWER, help: 'frames per second sent to each viewer' }),
  policy: choice({ default: null, none: 'train', values: POLICY_NAMES, flag: 'policy', group: 'Instead of training', help: 'show a fixed policy instead of training' }),
  record: text({ default: null, none: 'none', flag: 'record', metavar: 'FILE', group: 'Instead of training', help: 'record every step (scenes, frames, curves) to FILE (.rrlrec, gzip)' }),
  play: text({ default: null, none: 'none', flag: 'play', metavar: 'FILE', group: 'Instead of training', help: 'play a recording instead of running the simulator' }),
  once: flagSwitch({ flag: 'once', group: 'Instead of training', help: 'with --play: stop at the end instead of looping' }),
  headless: flagSwitch({ flag: 'headless', group: 'Instead of training', help: 'do not serve the viewer (e.g. only --record, which needs --steps); exits when done' }),
  budget: text({ default: null, none: 'none', flag: 'budget', group: 'Instead of training', help: 'renamed: the training budget is --steps, as in npm run train' }),
  suite: SUITE,
  resume: flagSwitch({ flag: 'resume', group: 'Run', help: 'continue the training run in --out, with its own settings (flags given change those only; one stopped before its first checkpoint starts over)' }),
  backend: BACKEND,
};

/** This CLI's own takes on some training settings (a viewer seed also seeds --policy rollouts, whose evaluation envs add 1,000,003 to it). */
const SETTINGS_HERE = {
  ...SETTINGS,
  seed: SETTINGS.seed.derive({ default: 1, max: 2 ** 31 - 1, help: 'seeds training, the env resets and the random policy' }),
  out: SETTINGS.out.derive({ default: 'runs/viewer' }),
  // The whole family by default: what a new user watches is one policy learning every task.
  tasks: SETTINGS.tasks.derive({ default: suiteTasks('all') }),
  numEnvs: SETTINGS.numEnvs.derive({ none: '4 per task; 2 per task with --policy' }),
  // Fourteen tasks make an evaluation round 14 x 20 episodes: every 20,000 env steps that took 11%
  // of the first 15 minutes, every 40,000 about half as much.
  evalEvery: SETTINGS.evalEvery.derive({ default: 40_000 }),
  // The weighted strategy's temperature: with thirteen tasks solved, at 0.3 the one still failing
  // (peg-insert) got 21-69 of 266 batch rows, at 0.15 54-118 (seed 1; BENCHMARKS.md, "Bar 4").
  sampleTemperature: SETTINGS.sampleTemperature.derive({ default: 0.15 }),
  // Demonstrations that end at the expert's success: the collection takes about 60 s instead of
  // about 115 s of the first 15 minutes, which go to training instead (BENCHMARKS.md, "Bar 4").
  demoEndOnSuccess: SETTINGS.demoEndOnSuccess.derive({ default: true }),
  // About 29k env steps per task over the fourteen (BENCHMARKS.md, "Bar 4").
  envSteps: SETTINGS.envSteps.derive({ default: 400_000, help: 'environment-step budget of training, all envs and tasks together; with --policy, control steps to run (default then: until stopped)' }),
};
const TREES = [OWN, SETTINGS_HERE];
/** Settings that also apply to --policy rollouts. */
const POLICY_SETTINGS = ['--tasks', '--envs', '--seed', '--steps'];

const HELP = `usage: npm start -- [options]

Trains one multi-task policy on every built-in task (or the ones given) and serves a live
browser viewer of it: the robots at work, training or evaluation rollouts, and per-task learning
curves. The terminal shows the training's progress line under the viewer's address.

${optionsHelp(TREES, { skip: ['budget'] })}
${HELP_LINE}

${suitesSection()}

It prints the viewer's address and its own process id. Ctrl-C, SIGTERM or SIGHUP to that process
(or to npm) stop it cleanly: the trainer writes a checkpoint (--resume continues), a recording is
closed, the server shuts its port.`;

async function main(): Promise<void> {
  const flags = readFlags(process.argv.slice(2), TREES);
  if (flags.help) {
    console.log(HELP);
    return;
  }
  const v = valuesOf(OWN, flags);
  if (v.budget !== null) throw new UsageError('--budget was renamed: the training budget in env steps is --steps, as in npm run train');
  const settings = given(SETTINGS_HERE, flags);
  const here = valuesOf(SETTINGS_HERE, flags);
  const tasks = tasksOf(v.suite, settings.tasks);
  const speed: Speed = v.speed === 'max' ? 'max' : Number(v.speed);
  const token = v.token ?? process.env.RRL_VIEWER_TOKEN ?? null;
  const trainingOnly = givenFlags(SETTINGS_HERE, flags).filter((f) => !POLICY_SETTINGS.includes(f));
  if (v.play && (v.record || v.policy || v.resume || v.suite || givenFlags(SETTINGS_HERE, flags).length)) {
    throw new UsageError(`--play replays a recording; it does not combine with --record, --policy, --resume, --suite or training settings (${[...givenFlags(SETTINGS_HERE, flags)].join(', ') || 'none given'})`);
  }
  if (v.policy && (trainingOnly.length || v.resume)) throw new UsageError(`${[...trainingOnly, ...(v.resume ? ['--resume'] : [])].join(', ')}: training settings, which do not apply to --policy rollouts`);
  if (v.headless && !v.record) throw new UsageError('--headless only makes sense with --record (nothing would be shown or kept)');
  if (v.headless && settings.envSteps === undefined && !v.play) throw new UsageError('--headless needs --steps (or it would record forever)');

  // The progress line shares the terminal with this CLI's own lines: they go through it.
  const progress = new ProgressLine(process.stderr.isTTY ? process.stderr : process.stdout);
  const say = (line: string) => progress.log(line);
  let source: RolloutSource;
  if (v.play) {
    const path = resolve(v.play);
    const rec = loadRecording(path);
    source = new PlaybackSource(rec, v.play, { speed, loop: !v.once });
    say(`playing ${v.play}: ${rec.frames} frames in ${rec.segments.length} scene(s)`);
  } else if (!v.policy) {
    let cfg;
    try {
      // This CLI's defaults, then (--resume) the run's own settings, then the command line's.
      const saved = v.resume ? savedSettings(here.out) : null;
      cfg = makeConfig(overlay(overlay(defaultsOf(SETTINGS_HERE), saved ?? {}), { ...settings, tasks }));
      await resolveTaskArgs(cfg.tasks);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    if (holdsRun(cfg.out) && !v.resume) throw new UsageError(`${cfg.out} already holds a training run: add --resume to continue it, or --out DIR for a new one`);
    await selectBackend({ force: v.backend ?? undefined });
    source = new TrainingSource(cfg, { resume: v.resume, speed, mode: v.mode, log: say, observers: [progress] });
    say(`training: ${cfg.arch} SAC on ${cfg.tasks.join(', ')}, ${cfg.envSteps} env steps, output in ${cfg.out}`);
  } else {
    let resolved;
    try {
      resolved = await resolveTaskArgs(tasks ?? here.tasks);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const envs = here.numEnvs ?? 2 * resolved.length;
    if (envs < resolved.length) throw new UsageError(`--envs ${envs} is fewer than the ${resolved.length} tasks: every task needs an env`);
    source = new PolicySource({ tasks: resolved, numEnvs: envs, policy: v.policy, seed: here.seed, speed, mode: v.mode, maxSteps: settings.envSteps });
    say(`rollouts: ${v.policy} policy on ${resolved.map((t) => t.name).join(', ')} with ${envs} envs`);
  }

  // Registered before the slow start (viewer build, server): a signal before the source runs
  // has nothing to save and exits at once.
  let serving: Serving | null = null;
  const signals = onStopSignals((signal) => {
    say(`${signal}: stopping${source instanceof TrainingSource ? ' (the trainer writes a checkpoint first)' : ''}; again in a moment to abort`);
    void (serving?.stop() ?? Promise.resolve()).then(() => process.exit(0));
  });
  const s = await serveRollouts({
    source,
    serve: !v.headless,
    host: v.host,
    port: v.port ?? 8080,
    portExplicit: v.port !== null,
    token,
    record: v.record,
    sendHz: v.sendHz,
    log: say,
  });
  serving = s;
  // The process that serves: npm and a shell may stand between it and the terminal.
  say(`process ${process.pid}: Ctrl-C or \`kill ${process.pid}\` stops it cleanly`);

  await s.done;
  if (signals.received) return;
  if (!s.server) process.exit(0);
  say('the source has finished; still serving the last frame (Ctrl-C to stop)');
}

await runCli(HELP, main);
// A failed start may leave a source's worker or timers alive: leave now rather than linger.
if (process.exitCode) process.exit(process.exitCode);
