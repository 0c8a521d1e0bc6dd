// bench:viewer: does streaming to viewers slow the stepping loop? One process runs what `npm start`
// runs (a source stepping the simulator as fast as it can, the hub, the HTTP/WebSocket server;
// `--source training` for the trainer itself, updates included, `policy` for random actions,
// which makes the per-frame cost weigh most);
// viewers are WebSocket clients in a separate process (as browsers would be) that decode every
// frame. Env-steps per second are measured in short alternating windows with no viewer and with 4
// viewers (paired per round, so drift and other load on the machine hit both alike; medians
// reported), along with the main-thread time the hub spends sending. A last phase stalls one of
// the viewers (it stops reading) until the server starts dropping its frames, and measures the
// stepping rate and the other viewers' frame rate while it does.
//
//   npm run bench:viewer [-- --envs 8 --seconds 2 --rounds 8 --viewers 4 --json]
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { intFlag, MAX, parseFlags, UsageError } from '../sim/cli/args.ts';
import { BUILTIN_TASKS } from '../sim/registry.ts';
import { startViewerServer } from './http.ts';
import { Hub } from './hub.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { makeConfig } from '../agents/config.ts';
import { selectBackend } from '../agents/tensor/index.ts';
import { PolicySource } from './policy-source.ts';
import { TrainingSource } from './training-source.ts';
import { sleep } from './source.ts';
import { VIEWER_DIST } from './viewer-build.ts';

const USAGE = 'usage: npm run bench:viewer -- [--source policy|training] [--envs 8] [--seconds 2] [--rounds 8] [--viewers 4] [--warmup 3] [--stall-timeout 90] [--json]';
let parsed;
try {
  parsed = parseFlags(process.argv.slice(2), {
    envs: { type: 'string' },
    seconds: { type: 'string' },
    rounds: { type: 'string' },
    viewers: { type: 'string' },
    warmup: { type: 'string' },
    'stall-timeout': { type: 'string' },
    source: { type: 'string', default: 'policy' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  }).values;
  if (parsed.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (parsed.source !== 'policy' && parsed.source !== 'training') throw new UsageError(`--source must be policy or training, got "${parsed.source}"`);
} catch (e) {
  console.error(`error: ${(e as Error).message}\n${USAGE}`);
  process.exit(2);
}
const values = parsed;
// Integers, in the shared strict parser (sim/cli/args.ts); a bad one ends the run with its name.
const flag = (name: string, def: number, min: number, max: number): number => {
  try {
    return intFlag(name, values[name as 'envs'], def, min, max);
  } catch (e) {
    console.error(`error: ${(e as Error).message}\n${USAGE}`);
    process.exit(2);
  }
};
const envs = flag('envs', 8, 1, 1024);
const seconds = flag('seconds', 2, 1, 600);
const rounds = flag('rounds', 8, 1, 1000);
const viewers = flag('viewers', 4, 1, 64);
const warmup = flag('warmup', 3, 0, 600);
const stallTimeout = flag('stall-timeout', 90, 1, 3600);
const log = (s: string): void => {
  if (!values.json) console.error(s);
};

const here = dirname(fileURLToPath(import.meta.url));
const tsx = join(here, '..', 'node_modules', '.bin', 'tsx');
const SEND_HZ = 30;

async function makeSource(): Promise<PolicySource | TrainingSource> {
  if (values.source === 'policy') return new PolicySource({ tasks: [...BUILTIN_TASKS], numEnvs: envs, policy: 'random', speed: 'max', seed: 1 });
  await selectBackend({ log: !values.json });
  const out = join(mkdtempSync(join(tmpdir(), 'rrl-bench-viewer-')), 'run');
  // Learning starts within the warm-up, so every window includes gradient updates.
  const cfg = makeConfig({ tasks: [...BUILTIN_TASKS], envSteps: MAX.envSteps, numEnvs: envs, out, learningStartsPerTask: 50, evalEvery: 0, evalEpisodes: 1, checkpointEvery: MAX.envSteps, logEvery: 1_000_000 });
  return new TrainingSource(cfg, { log: () => {} });
}
const source = await makeSource();
const hub = new Hub(source, { sendHz: SEND_HZ });
const ac = new AbortController();
const running = source.run(hub, ac.signal);
const server = await startViewerServer({ hub, port: 0, distDir: VIEWER_DIST });
hub.start();

// The viewers' process, driven line by line (see bench-clients.ts).
const clients: ChildProcess = spawn(tsx, [join(here, 'bench-clients.ts'), `ws://127.0.0.1:${server.port}/ws`], { stdio: ['pipe', 'pipe', 'inherit'] });
const lines: string[] = [];
let wake: (() => void) | null = null;
let pending = '';
clients.stdout!.on('data', (d: Buffer) => {
  pending += d;
  let k: number;
  while ((k = pending.indexOf('\n')) >= 0) {
    lines.push(pending.slice(0, k));
    pending = pending.slice(k + 1);
    wake?.();
  }
});
clients.once('exit', (code) => {
  if (!ac.signal.aborted) throw new Error(`bench clients exited early (${code})`);
});
async function command(line: string): Promise<string> {
  clients.stdin!.write(`${line}\n`);
  const t0 = Date.now();
  while (lines.length === 0) {
    if (Date.now() - t0 > 60_000) throw new Error(`bench clients did not answer "${line}"`);
    await new Promise<void>((r) => {
      wake = r;
      setTimeout(r, 200);
    });
  }
  return lines.shift()!;
}

interface Window {
  envStepsPerSec: number;
  /** Env-steps per CPU-second of this process: the cost side, less sensitive to other load on the machine. */
  envStepsPerCpuSec: number;
  framesSentPerSec: number;
  sendCpuShare: number;
  dropped: number;
}
async function measure(): Promise<Window> {
  const s0 = source.steps;
  const h0 = hub.getStats();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const ms = performance.now() - t0;
  const c1 = process.cpuUsage(c0);
  const h1 = hub.getStats();
  return {
    envStepsPerSec: ((source.steps - s0) * envs * 1000) / ms,
    envStepsPerCpuSec: ((source.steps - s0) * envs * 1e6) / (c1.user + c1.system),
    framesSentPerSec: ((h1.framesSent - h0.framesSent) * 1000) / ms,
    sendCpuShare: (h1.flushMs - h0.flushMs) / ms,
    dropped: h1.framesDropped - h0.framesDropped,
  };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

log(`bench:viewer: ${envs} envs (${BUILTIN_TASKS.join(', ')}), ${values.source === 'training' ? "training (SAC updates included)" : "random policy"} at full speed, ${SEND_HZ} frames/s per viewer, ${rounds} rounds of ${seconds} s windows`);
log(`warming up ${warmup} s...`);
await sleep(warmup * 1000);

const none: Window[] = [];
const withViewers: Window[] = [];
const ratios: number[] = [];
const cpuRatios: number[] = [];
for (let r = 0; r < rounds; r++) {
  const viewersFirst = r % 2 === 1;
  let a: Window;
  let b: Window;
  const runViewers = async (): Promise<Window> => {
    if ((await command(`open ${viewers} 0`)) !== 'ready') throw new Error('viewers did not get ready');
    const w = await measure();
    await command('close');
    return w;
  };
  if (viewersFirst) {
    b = await runViewers();
    a = await measure();
  } else {
    a = await measure();
    b = await runViewers();
  }
  none.push(a);
  withViewers.push(b);
  ratios.push(b.envStepsPerSec / a.envStepsPerSec);
  cpuRatios.push(b.envStepsPerCpuSec / a.envStepsPerCpuSec);
  log(`  round ${r + 1}: none ${a.envStepsPerSec.toFixed(0)}, ${viewers} viewers ${b.envStepsPerSec.toFixed(0)} env-steps/s (${(100 * ratios[r]).toFixed(1)}%), ${b.framesSentPerSec.toFixed(0)} frames/s sent`);
}

// Stall one viewer and wait until its socket is backed up and its frames are being dropped.
log(`stalling 1 of ${viewers} viewers until the server drops its frames (up to ${stallTimeout} s)...`);
if ((await command(`open ${viewers} 1`)) !== 'ready') throw new Error('viewers did not get ready');
const tStall = performance.now();
let firstDropAfter: number | null = null;
while ((performance.now() - tStall) / 1000 < stallTimeout) {
  if (hub.getStats().framesDropped > 0 && hub.clientStats().some((c) => c.dropped > 0)) {
    firstDropAfter = (performance.now() - tStall) / 1000;
    break;
  }
  await sleep(100);
}
const stalledWindow = await measure();
const perClient = hub.clientStats();
const stalledStats = JSON.parse(await command('close')) as { stalled: boolean; frames: number }[];
const afterStall = await measure();
const liveFrames = stalledStats.filter((c) => !c.stalled).map((c) => c.frames);
ac.abort();
clients.stdin!.end();
await running;
hub.stop();
await server.close();

const base = median(none.map((w) => w.envStepsPerSec));
const rows = [
  { config: 'no viewer', envStepsPerSec: base, relative: 1, perCpuSec: median(none.map((w) => w.envStepsPerCpuSec)), relativeCpu: 1, framesSentPerSec: 0, sendCpuShare: median(none.map((w) => w.sendCpuShare)), dropped: 0 },
  {
    config: `${viewers} viewers`,
    envStepsPerSec: median(withViewers.map((w) => w.envStepsPerSec)),
    relative: median(ratios),
    perCpuSec: median(withViewers.map((w) => w.envStepsPerCpuSec)),
    relativeCpu: median(cpuRatios),
    framesSentPerSec: median(withViewers.map((w) => w.framesSentPerSec)),
    sendCpuShare: median(withViewers.map((w) => w.sendCpuShare)),
    dropped: withViewers.reduce((a, w) => a + w.dropped, 0),
  },
  {
    config: `${viewers} viewers, 1 stalled`,
    envStepsPerSec: stalledWindow.envStepsPerSec,
    relative: stalledWindow.envStepsPerSec / afterStall.envStepsPerSec,
    perCpuSec: stalledWindow.envStepsPerCpuSec,
    relativeCpu: stalledWindow.envStepsPerCpuSec / afterStall.envStepsPerCpuSec,
    framesSentPerSec: stalledWindow.framesSentPerSec,
    sendCpuShare: stalledWindow.sendCpuShare,
    dropped: stalledWindow.dropped,
  },
];
const within = median(ratios) >= 0.9;
const stall = {
  secondsUntilFirstDrop: firstDropAfter,
  stalledSocketBufferedBytes: Math.max(...perClient.map((c) => c.buffered)),
  framesDroppedForStalled: Math.max(...perClient.map((c) => c.dropped)),
  liveViewerFramesTotal: liveFrames,
};
if (values.json) {
  console.log(JSON.stringify({ bench: 'viewer', source: values.source, envs, seconds, rounds, viewers, sendHz: SEND_HZ, rows, pairedRatios: ratios, pairedCpuRatios: cpuRatios, within10Percent: within, stall }, null, 2));
} else {
  const head = ['configuration', 'env-steps/s', 'vs no viewer', 'env-steps/CPU-s', 'vs no viewer ', 'frames sent/s', 'hub send time', 'frames dropped'];
  const body = rows.map((r) => [r.config, r.envStepsPerSec.toFixed(0), `${(100 * r.relative).toFixed(1)}%`, r.perCpuSec.toFixed(0), `${(100 * r.relativeCpu).toFixed(1)}%`, r.framesSentPerSec.toFixed(0), `${(100 * r.sendCpuShare).toFixed(2)}%`, String(r.dropped)]);
  const w = head.map((h, k) => Math.max(h.length, ...body.map((b) => b[k].length)));
  const line = (cells: string[]): string => `| ${cells.map((c, k) => (k === 0 ? c.padEnd(w[k]) : c.padStart(w[k]))).join(' | ')} |`;
  console.log([line(head), `|${w.map((n, k) => (k === 0 ? '-'.repeat(n + 2) : `${'-'.repeat(n + 1)}:`)).join('|')}|`, ...body.map(line)].join('\n'));
  console.log(`\n"vs no viewer" for ${viewers} viewers is the median of ${rounds} paired rounds: ${ratios.map((r) => (100 * r).toFixed(0) + '%').join(' ')} (wall), ${cpuRatios.map((r) => (100 * r).toFixed(0) + '%').join(' ')} (CPU)`);
  console.log(
    firstDropAfter === null
      ? `the stalled viewer's frames were not dropped within ${stallTimeout} s (the kernel's socket buffers absorbed them)`
      : `stalled viewer: frames dropped from ${firstDropAfter.toFixed(1)} s after it stopped reading (socket buffer ${(stall.stalledSocketBufferedBytes / 1024).toFixed(0)} KiB unsent, limit ${(hub.maxBufferedBytes / 1024).toFixed(0)} KiB); the live viewers got ${liveFrames.join(' / ')} frames meanwhile; its row compares to a window right after it was closed`,
  );
  console.log(`with ${viewers} viewers, stepping speed within 10% of none: ${within ? 'yes' : 'NO'}`);
}
