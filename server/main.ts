// `npm start`: trains the multi-task agent (the default), or runs a fixed policy (--policy) or a
// recording (--play), and serves the browser viewer that watches it.
import { resolve } from 'node:path';
import { makeConfig, TRAIN_DEFAULTS } from '../agents/config.ts';
import { selectBackend } from '../agents/tensor/index.ts';
import { holdsRun } from '../agents/train.ts';
import { fmt, intFlag, listFlag, MAX, numFlag, optIntFlag, parseFlags, runCli, UsageError } from '../sim/cli/args.ts';
import { onStopSignals } from '../sim/cli/signals.ts';
import { BUILTIN_TASKS, looksLikeTaskFile, resolveTaskArgs } from '../sim/registry.ts';
import { TrainingSource } from './training-source.ts';
import { POLICY_NAMES, PolicySource, type PolicyName } from './policy-source.ts';
import { MODES, type Mode, type Speed } from './protocol.ts';
import { PlaybackSource, loadRecording } from './recording.ts';
import { serveRollouts, type Serving } from './serve.ts';
import type { RolloutSource } from './source.ts';

const HELP = `usage: npm start -- [options]

Trains the multi-task policy on the built-in tasks and serves a live browser viewer of it:
the robots at work, training or evaluation rollouts, and per-task learning curves.

  --port N            HTTP port (default 8080; if 8080 is busy the next free one is used,
                      an explicitly given busy port is an error; 0 = any free port)
  --host ADDR         address to bind (default 127.0.0.1; anything else needs --token)
  --token SECRET      clients must present it (open the printed URL, which carries it);
                      also read from RRL_VIEWER_TOKEN
  --tasks a,b,...     task names or task files (default: ${BUILTIN_TASKS.join(',')})
  --envs N            envs in the training rollout, at most 1,024 (default: 4 per task; 2 with --policy)
  --arch NAME         conditioning architecture of the trained policy (default ${TRAIN_DEFAULTS.arch})
  --budget N          training budget in env steps, at most ${fmt(MAX.envSteps)} (default ${TRAIN_DEFAULTS.envSteps})
  --out DIR           training output: metrics, checkpoint (default runs/viewer)
  --resume            continue the training run in --out (one stopped before its first
                      checkpoint starts over)
  --policy NAME       ${POLICY_NAMES.join(' | ')}: show a fixed policy instead of training
  --seed N            seed of the env resets and the random policy (default 1)
  --speed X           real-time factor, 0.05-64, or "max" (default 1)
  --mode M            ${MODES.join(' | ')}: which rollouts to show first (default train)
  --steps N           stop stepping after N control steps, at most ${fmt(MAX.envSteps)} (default: run until stopped)
  --record FILE       record every step (scenes, frames, curves) to FILE (.rrlrec, gzip)
  --play FILE         play a recording instead of running the simulator
  --once              with --play: stop at the end instead of looping
  --headless          do not serve the viewer (e.g. only --record); exits when done
  --send-hz N         frames per second sent to each viewer, 1 to 120 (default 30)
  -h, --help          this text

It prints the viewer's address and its own process id. Ctrl-C, SIGTERM or SIGHUP to that process
(or to npm) stop it cleanly: the trainer writes a checkpoint (--resume continues), a recording is
closed, the server shuts its port.`;

/** A usage error: printed with the options, exit code 2 (runCli). */
function fail(msg: string): never {
  throw new UsageError(msg);
}

async function main(): Promise<void> {
  const { values } = parseFlags(process.argv.slice(2), {
    port: { type: 'string' },
    host: { type: 'string' },
    token: { type: 'string' },
    tasks: { type: 'string' },
    envs: { type: 'string' },
    arch: { type: 'string' },
    budget: { type: 'string' },
    out: { type: 'string' },
    resume: { type: 'boolean' },
    policy: { type: 'string' },
    seed: { type: 'string' },
    speed: { type: 'string' },
    mode: { type: 'string' },
    steps: { type: 'string' },
    record: { type: 'string' },
    play: { type: 'string' },
    once: { type: 'boolean' },
    headless: { type: 'boolean' },
    'send-hz': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const port = optIntFlag('port', values.port, 0, 65535);
  const seed = intFlag('seed', values.seed, 1, 0, 2 ** 31 - 1);
  const steps = optIntFlag('steps', values.steps, 1, MAX.envSteps);
  const sendHz = intFlag('send-hz', values['send-hz'], 30, 1, 120);
  const speed: Speed = values.speed === 'max' ? 'max' : numFlag('speed', values.speed, 1, 0.05, 64);
  const mode = (values.mode ?? 'train') as Mode;
  if (!MODES.includes(mode)) fail(`--mode must be one of ${MODES.join(', ')}, got "${values.mode}"`);
  const token = values.token ?? process.env.RRL_VIEWER_TOKEN ?? null;
  if (values.play && (values.record || values.policy || values.tasks || values.envs || values.arch || values.budget || values.resume)) {
    fail('--play replays a recording; it does not combine with --record, --policy, --tasks or --envs');
  }
  if (values.headless && !values.record) fail('--headless only makes sense with --record (nothing would be shown or kept)');
  if (values.headless && steps === undefined && !values.play) fail('--headless needs --steps (or it would record forever)');

  let source: RolloutSource;
  if (values.play) {
    const path = resolve(values.play);
    const rec = loadRecording(path);
    source = new PlaybackSource(rec, values.play, { speed, loop: !values.once });
    console.log(`playing ${values.play}: ${rec.frames} frames in ${rec.segments.length} scene(s)`);
  } else if (!values.policy) {
    let cfg;
    try {
      cfg = makeConfig({
        tasks: listFlag(values.tasks, [...BUILTIN_TASKS]).map((t) => (looksLikeTaskFile(t) ? resolve(t) : t)),
        ...(values.arch ? { arch: values.arch as never } : {}),
        ...(values.budget ? { envSteps: optIntFlag('budget', values.budget, 1, MAX.envSteps) } : {}),
        ...(values.envs ? { numEnvs: optIntFlag('envs', values.envs, 1, 1024) } : {}),
        seed,
        out: values.out ?? 'runs/viewer',
      });
      await resolveTaskArgs(cfg.tasks);
    } catch (e) {
      fail((e as Error).message);
    }
    if (holdsRun(cfg.out) && !values.resume) {
      fail(`${cfg.out} already holds a training run: add --resume to continue it, or --out DIR for a new one`);
    }
    await selectBackend({});
    source = new TrainingSource(cfg, { resume: values.resume, speed, mode });
    console.log(`training: ${cfg.arch} SAC on ${cfg.tasks.join(', ')}, ${cfg.envSteps} env steps, output in ${cfg.out}`);
  } else {
    const policy = values.policy as PolicyName;
    if (!POLICY_NAMES.includes(policy)) fail(`--policy must be one of ${POLICY_NAMES.join(', ')}, got "${values.policy}"`);
    let tasks;
    try {
      tasks = await resolveTaskArgs(listFlag(values.tasks, [...BUILTIN_TASKS]));
    } catch (e) {
      fail((e as Error).message);
    }
    const envs = intFlag('envs', values.envs, 2 * tasks.length, 1, 1024);
    if (envs < tasks.length) fail(`--envs ${envs} is fewer than the ${tasks.length} tasks: every task needs an env`);
    source = new PolicySource({ tasks, numEnvs: envs, policy, seed, speed, mode, maxSteps: steps });
    console.log(`rollouts: ${policy} policy on ${tasks.map((t) => t.name).join(', ')} with ${envs} envs`);
  }

  // Registered before the slow start (viewer build, server): a signal before the source runs
  // has nothing to save and exits at once.
  let serving: Serving | null = null;
  const signals = onStopSignals((signal) => {
    console.error(`\n${signal}: stopping${source instanceof TrainingSource ? ' (the trainer writes a checkpoint first)' : ''}; again in a moment to abort`);
    void (serving?.stop() ?? Promise.resolve()).then(() => process.exit(0));
  });
  const s = await serveRollouts({
    source,
    serve: !values.headless,
    host: values.host ?? '127.0.0.1',
    port: port ?? 8080,
    portExplicit: port !== undefined,
    token,
    record: values.record ?? null,
    sendHz,
  });
  serving = s;
  // The process that serves: npm and a shell may stand between it and the terminal.
  console.log(`process ${process.pid}: Ctrl-C or \`kill ${process.pid}\` stops it cleanly`);

  await s.done;
  if (signals.received) return;
  if (!s.server) process.exit(0);
  console.log('the source has finished; still serving the last frame (Ctrl-C to stop)');
}

await runCli(HELP, main);
// A failed start may leave a source's worker or timers alive: leave now rather than linger.
if (process.exitCode) process.exit(process.exitCode);
