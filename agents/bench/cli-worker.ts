// `npm run worker -- --queue redis://HOST:6379`: a worker of benchmark sweeps run through a queue
// (`npm run bench -- ... --queue URL`). Any number of them, on any machines that reach the Redis.
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { intFlag, parseFlags, runCli, UsageError } from '../../sim/cli/args.ts';
import { onStopSignals, signalExitCode } from '../../sim/cli/signals.ts';
import { defaultWorkerName, parseRedisUrl, PASSWORD_ENV } from './queue.ts';
import { startQueueWorker } from './worker.ts';

const USAGE = `usage: npm run worker -- --queue redis://HOST:6379 [options]
Takes runs of benchmark sweeps (npm run bench -- ... --queue URL) from the queue, trains each in
its own process, and sends its metrics and final record back through Redis. Start one per machine.

  --queue URL          Redis: redis://[:PASSWORD@]HOST[:PORT][/DB], or rediss:// for TLS; the
                       password may come from $${PASSWORD_ENV} instead (the URL shows in ps)
  --jobs N             runs at a time (default: cores = ${availableParallelism()})
  --dir DIR            where runs train and keep their checkpoints: DIR/<sweep>/runs/<run>/
                       (default: runs/worker). The same shared folder on every worker (NFS and
                       the like) lets a run whose worker was lost resume from its last checkpoint
                       on another; otherwise it starts over there.
  --name NAME          this worker in the sweep's progress (default: host:pid)
  --lock-seconds N     a run's lock lasts N s unless renewed (every N/4 to N/2 s); a worker lost
                       mid-run gives its run back to the queue within about 2 x N s (default: 30)
  -h, --help

Ctrl-C, SIGTERM or SIGHUP: the running runs stop with a checkpoint and go back to the queue at
once, and the worker exits with 128 + the signal's number (130 for Ctrl-C). A second Ctrl-C a
moment later aborts at once (the runs then still checkpoint; their jobs return after the lock
expires).`;

await runCli(USAGE, async () => {
  const { values: v } = parseFlags(process.argv.slice(2), {
    queue: { type: 'string' },
    jobs: { type: 'string' },
    dir: { type: 'string' },
    name: { type: 'string' },
    'lock-seconds': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help) {
    console.log(USAGE);
    return;
  }
  if (v.queue === undefined) throw new UsageError('--queue is required: the Redis the sweep was enqueued on, e.g. --queue redis://HOST:6379');
  let queue;
  try {
    queue = parseRedisUrl(v.queue);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const jobs = intFlag('jobs', v.jobs, availableParallelism(), 1, 256);
  const lockSeconds = intFlag('lock-seconds', v['lock-seconds'], 30, 2, 3600);
  const name = v.name ?? defaultWorkerName();
  if (!name.trim() || name.length > 100 || /[\s]/.test(name)) throw new UsageError(`--name must be 1 to 100 characters without spaces, got "${name}"`);
  const dir = resolve(v.dir ?? 'runs/worker');

  const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
  let worker: Awaited<ReturnType<typeof startQueueWorker>> | null = null;
  const signals = onStopSignals((signal) => {
    log(`${signal}: stopping; Ctrl-C again in a moment aborts at once`);
    void worker?.stop();
  });
  worker = await startQueueWorker({ queue, dir, jobs, name, lockSeconds, log });
  if (signals.received) void worker.stop();
  await worker.closed;
  if (signals.received) {
    log('stopped');
    process.exitCode = signalExitCode(signals.received);
  } else {
    log('the worker stopped by itself (see the messages above)');
    process.exitCode = 1;
  }
});
// Exit explicitly: a Redis reconnect timer must not keep a stopped worker alive.
process.exit(process.exitCode ?? 0);
