// bench:nn — times one full SAC update (agents/sac/update.ts: actor, critic ensemble, per-task
// temperatures; hidden 256x2, batch 256, observation 40, action 4, 10 tasks) on the project's
// tfjs backends and the PyTorch peer (bench/peers/torch_sac_update.py, the same update written
// the PyTorch way), interleaved in one run, and prints min / median / max per side with the ratio
// of medians, flagged when the runs spread too widely to trust it (bench/compare.ts).
//
// Each backend runs in its own child process (a fresh tfjs engine and wasm heap; a backend that
// crashes cannot take the others down), as the peer does. Each round runs every backend, then the
// peer; a run times updates for --seconds after 20 warm-up updates and reports its mean. Backends
// slower than 100 ms per update (the stock kernels) run in the first round only. Each backend also
// reports how many tfjs kernels one update runs (tf.profile): the op count, independent of load
// (0 where the update calls the native kernels directly, agents/sac/direct.ts).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { intFlag, listFlag, parseFlags, runCli, UsageError } from '../../sim/cli/args.ts';
import { compare, formatComparison, formatSummary, median, summarize, type Comparison, type Summary } from '../../bench/compare.ts';
import { findPeerPython, runPeer, REPO_ROOT } from '../../bench/peer.ts';
import { suiteNames } from '../../sim/suites.ts';
import { CallLog, formatBreakdowns, sgemmRate, summarizeCalls, type Breakdown } from './nn-breakdown.ts';

const OBS = 40;
const ACT = 4;
const HIDDEN = 256;
const BATCH = 256;
const TASKS = 10;
const WARMUP = 20;
/** Backends slower than this (ms per update) run in the first round only. */
const SLOW_MS = 100;

const USAGE = `usage: npm run bench:nn -- [options]
One SAC update (obs ${OBS}, act ${ACT}, hidden ${HIDDEN}x2, batch ${BATCH}, ${TASKS} task temperatures) on the
project's tensor backends and on PyTorch (bench/peers/torch_sac_update.py), interleaved in one run.

  --backend a,b|all|auto  backends: auto (what selectBackend picks), all, or a list of
                          node-gpu, node, wasm-blas, wasm, cpu-blas, cpu (default: auto)
  --rounds N              rounds; each runs every backend, then the peer (default: 5)
  --seconds S             timed seconds per run, after ${WARMUP} warm-up updates (default: 3)
  --threads N             threads on both sides: RRL_BLAS_THREADS for the project, torch.set_num_threads
                          for PyTorch (default: each library's own default)
  --critics N             critics in the ensemble, both sides (default: 2)
  --layer-norm            LayerNorm in the hidden layers, both sides
  --agent SUITE           time the training update of a suite instead (npm start trains "all"): the
                          multi-task agent with the training defaults (architecture, behaviour
                          cloning, per-task temperatures) and the trainer's batch; no PyTorch peer
  --breakdown             instead of the comparison: where one update's time goes, kernel by kernel,
                          at 1 thread and at --threads (default: one per core, at most 4), with the
                          network kernels' GFLOP/s against one core's sgemm (BENCHMARKS.md, "Bar 5")
  --json                  print one JSON object
  -h, --help              this text

The peer runs with the Python in TORCH_PYTHON (one with torch installed); without it the project's
figures are printed alone. A comparison is flagged UNRELIABLE when a side's runs spread more than
1.5x (max / min) or the two sides' runs overlap (BENCHMARKS.md, "Tensor compute").`;

interface WorkerResult {
  backend: string;
  ok: boolean;
  line?: string;
  reason?: string;
  threads?: number;
  msPerUpdate?: number;
  updates?: number;
  /** tfjs kernels one update runs (machine-independent: the op count the fused kernels cut). */
  kernels?: number;
  /** With --breakdown: the timed addon calls. */
  breakdown?: Breakdown;
  /** With --agent: what was timed. */
  describe?: string;
}

interface PeerOutput {
  torch: string;
  threads: number;
  msPerUpdate: number;
  updates: number;
}

interface Settings {
  seconds: number;
  threads: number | null;
  critics: number;
  layerNorm: boolean;
  breakdown: boolean;
  /** A suite: time its training update (nn-agent.ts) instead of plain SAC. */
  agent: string | null;
}

/** In a child: select the backend, warm up, time updates. Prints one JSON line. */
async function worker(choice: string, s: Settings): Promise<void> {
  const out: WorkerResult = { backend: choice, ok: false };
  try {
    const tf = await import('@tensorflow/tfjs');
    const { selectBackend } = await import('../tensor/backend.ts');
    const { Sac } = await import('../sac/update.ts');
    const calls = new CallLog();
    if (s.breakdown) {
      const { wrapBlasAddon } = await import('../tensor/native.ts');
      if (!wrapBlasAddon((addon) => calls.wrap(addon))) throw new Error('--breakdown times the native kernels, and the addon does not load here');
    }
    const status = await selectBackend({ force: choice, log: false });
    out.backend = status.choice;
    out.line = status.line;
    out.threads = status.threads;
    const step = s.agent ? await agentStep(s.agent, out) : plainSac(tf, Sac, s);
    // Warm-up, as the peer: the first updates compile wasm paths and grow the heap. Slow stock
    // backends get fewer, bounded by a quarter of the timed seconds.
    const warmStart = performance.now();
    for (let i = 0; i < WARMUP && (i < 2 || performance.now() - warmStart < s.seconds * 250); i++) step();
    let n = 0;
    calls.on = s.breakdown;
    const t0 = performance.now();
    while (n < 3 || performance.now() - t0 < s.seconds * 1000) {
      step();
      n++;
    }
    out.msPerUpdate = (performance.now() - t0) / n;
    out.updates = n;
    calls.on = false;
    if (s.breakdown) {
      const { loadBlasAddon } = await import('../tensor/native.ts');
      out.breakdown = summarizeCalls(calls, n, out.msPerUpdate, status.threads ?? 1, sgemmRate(loadBlasAddon().addon!));
    }
    out.kernels = (await tf.profile(step)).kernels.length;
    out.ok = true;
  } catch (err) {
    out.reason = String((err as Error).message ?? err).split('\n')[0];
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

/** The trainer's update of a suite (nn-agent.ts), as one step; notes what it is in `out`. */
async function agentStep(suite: string, out: WorkerResult): Promise<() => void> {
  const { agentUpdate } = await import('./nn-agent.ts');
  const a = await agentUpdate(suite);
  out.describe = a.describe;
  return a.update;
}

/** One plain SAC update of the benchmark's fixed shape, as one step. */
function plainSac(tf: typeof import('@tensorflow/tfjs'), Sac: typeof import('../sac/update.ts').Sac, s: Settings): () => void {
  const sac = new Sac({ obsDim: OBS, actDim: ACT, numTasks: TASKS, hidden: [HIDDEN, HIDDEN], numCritics: s.critics, layerNorm: s.layerNorm });
  type T2 = import('@tensorflow/tfjs').Tensor2D;
  const batch = tf.tidy(() => ({
    obs: tf.randomNormal([BATCH, OBS], 0, 1, 'float32', 1) as T2,
    action: tf.randomUniform([BATCH, ACT], -1, 1, 'float32', 2) as T2,
    reward: tf.randomNormal([BATCH, 1], 0, 1, 'float32', 3) as T2,
    nextObs: tf.randomNormal([BATCH, OBS], 0, 1, 'float32', 4) as T2,
    terminated: tf.zeros([BATCH, 1]) as T2,
    task: tf.randomUniform([BATCH], 0, TASKS, 'int32', 5) as import('@tensorflow/tfjs').Tensor1D,
  }));
  return () => void sac.update(batch);
}

function workerArgs(s: Settings): string[] {
  const shape = s.agent ? ['--agent', s.agent] : ['--critics', String(s.critics), ...(s.layerNorm ? ['--layer-norm'] : [])];
  return ['--seconds', String(s.seconds), ...shape, ...(s.breakdown ? ['--breakdown'] : [])];
}

function runWorker(choice: string, s: Settings): WorkerResult {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--worker', '--backend', choice, ...workerArgs(s)], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, RRL_BACKEND: '', ...(s.threads ? { RRL_BLAS_THREADS: String(s.threads) } : {}) },
    maxBuffer: 64 * 1024 * 1024,
  });
  const last = (r.stdout ?? '').trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (last) return JSON.parse(last) as WorkerResult;
  const err = (r.stderr ?? '').split('\n').find((l) => /Error/.test(l)) ?? `exit ${r.status}`;
  return { backend: choice, ok: false, reason: `worker died: ${err.slice(0, 200)}` };
}

interface BackendRow {
  backend: string;
  ok: boolean;
  threads: number | null;
  summary: Summary | null;
  updatesPerSec: number | null;
  kernelsPerUpdate: number | null;
  vsPeer: Comparison | null;
  line: string | null;
  reason: string | null;
}

await runCli(USAGE, async () => {
  const { values: v } = parseFlags(process.argv.slice(2), {
    backend: { type: 'string' },
    rounds: { type: 'string' },
    seconds: { type: 'string' },
    threads: { type: 'string' },
    critics: { type: 'string' },
    'layer-norm': { type: 'boolean' },
    breakdown: { type: 'boolean' },
    agent: { type: 'string' },
    json: { type: 'boolean' },
    worker: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help) {
    console.log(USAGE);
    return;
  }
  const seconds = Number(v.seconds ?? 3);
  if (!(seconds > 0 && seconds <= 600)) throw new UsageError(`--seconds must be a number in (0, 600], got "${v.seconds}"`);
  const settings: Settings = {
    seconds,
    threads: v.threads === undefined ? null : intFlag('threads', v.threads, 1, 1, 256),
    critics: intFlag('critics', v.critics, 2, 1, 64),
    layerNorm: v['layer-norm'] === true,
    breakdown: v.breakdown === true,
    agent: v.agent ?? null,
  };
  if (settings.agent !== null && !suiteNames().includes(settings.agent)) throw new UsageError(`--agent: unknown suite "${settings.agent}"; choose one of: ${suiteNames().join(', ')}`);
  if (settings.agent !== null && (v.critics !== undefined || v['layer-norm'])) throw new UsageError('--agent times the training defaults; --critics and --layer-norm apply to the plain update only');
  if (v.worker) return worker(v.backend ?? 'auto', settings);
  if (settings.breakdown) return breakdown(settings, v.json === true);

  const { BACKEND_CHOICES } = await import('../tensor/backend.ts');
  const spec = v.backend ?? 'auto';
  const wanted = spec === 'all' ? [...BACKEND_CHOICES] : listFlag(spec, ['auto']);
  for (const w of wanted) {
    if (w !== 'auto' && !(BACKEND_CHOICES as readonly string[]).includes(w)) throw new UsageError(`unknown backend "${w}"; choose auto, all, or from ${BACKEND_CHOICES.join(', ')}`);
  }
  const rounds = intFlag('rounds', v.rounds, 5, 1, 100);
  const say = (s: string) => {
    if (!v.json) console.log(s);
  };
  const shape = settings.agent ? `the training update of suite ${settings.agent}` : `one SAC update: obs ${OBS}, act ${ACT}, hidden ${HIDDEN}x2, batch ${BATCH}, ${TASKS} task temperatures, ${settings.critics} critics${settings.layerNorm ? ', LayerNorm' : ''}`;
  say(`bench:nn  ${shape}; threads: ${settings.threads ?? 'library defaults'}; ${rounds} round${rounds === 1 ? '' : 's'} of ${seconds} s per side`);

  const found = settings.agent
    ? { python: null, reason: '--agent times the multi-task training update, and the peer has plain SAC only' }
    : findPeerPython('TORCH_PYTHON', 'import torch; print("torch", torch.__version__)', 'torch');
  if (!found.python) say(`PyTorch peer not run: ${found.reason}`);
  const peerArgs = ['--obs', String(OBS), '--act', String(ACT), '--hidden', String(HIDDEN), '--batch', String(BATCH), '--tasks', String(TASKS),
    '--critics', String(settings.critics), '--seconds', String(seconds), '--warmup', String(WARMUP),
    ...(settings.threads ? ['--threads', String(settings.threads)] : []), ...(settings.layerNorm ? ['--layer-norm'] : [])];
  const peerRuns: number[] = [];
  let peerInfo: PeerOutput | null = null;
  let peerError = found.reason;

  const results = new Map<string, { first: WorkerResult; runs: number[] }>();
  for (let round = 0; round < rounds; round++) {
    for (const choice of wanted) {
      const prev = results.get(choice);
      if (prev && (!prev.first.ok || median(prev.runs) > SLOW_MS)) continue; // failed or slow: once is enough
      const r = runWorker(choice, settings);
      if (!prev) results.set(choice, { first: r, runs: r.ok ? [r.msPerUpdate!] : [] });
      else if (r.ok) prev.runs.push(r.msPerUpdate!);
      if (!v.json) process.stderr.write('.');
    }
    if (found.python) {
      const r = runPeer<PeerOutput>(found.python, 'torch_sac_update.py', peerArgs);
      if (typeof r === 'string') peerError = r;
      else {
        peerRuns.push(r.msPerUpdate);
        peerInfo = r;
      }
      if (!v.json) process.stderr.write('.');
    }
  }
  if (!v.json) process.stderr.write('\n');
  const peer = peerRuns.length > 0 ? summarize(peerRuns) : null;

  const rows: BackendRow[] = [...results.values()].map(({ first, runs }) => {
    const summary = runs.length > 0 ? summarize(runs) : null;
    return {
      backend: first.backend,
      ok: first.ok,
      threads: first.threads ?? null,
      summary,
      updatesPerSec: summary ? 1000 / summary.median : null,
      kernelsPerUpdate: first.kernels ?? null,
      vsPeer: summary && peer ? compare(summary, peer, 'lower') : null,
      line: first.line ?? null,
      reason: first.reason ?? null,
    };
  });

  if (v.json) {
    console.log(JSON.stringify({
      config: settings.agent ? { ...settings, timed: [...results.values()][0]?.first.describe ?? null, rounds } : { obs: OBS, act: ACT, hidden: [HIDDEN, HIDDEN], batch: BATCH, tasks: TASKS, ...settings, rounds },
      peer: peer
        ? { ok: true, python: found.python, torch: peerInfo!.torch, threads: peerInfo!.threads, summary: peer }
        : { ok: false, reason: peerError },
      backends: rows,
    }));
    return;
  }
  const described = [...results.values()].find((r) => r.first.describe)?.first.describe;
  if (described) console.log(`timed: ${described}\n`);
  const table: string[][] = [['backend', 'threads', 'ms/update min / median / max', 'updates/s', 'kernels/update', 'notes']];
  for (const r of rows) {
    table.push(r.ok && r.summary
      ? [r.backend, String(r.threads ?? '-'), formatSummary(r.summary, 2), r.updatesPerSec!.toFixed(1), String(r.kernelsPerUpdate ?? '-'),
        r.line!.replace('[tensor] backend ', '').replace(/ \[(forced by .*|auto)\]$/, '')]
      : [r.backend, '-', '-', '-', '-', `did not run: ${(r.reason ?? 'no successful run').replace(/^backend "[^"]+" was forced \(--backend\) but cannot load: /, '')}`]);
  }
  if (peer) table.push([`pytorch ${peerInfo!.torch}`, String(peerInfo!.threads), formatSummary(peer, 2), (1000 / peer.median).toFixed(1), '-', `peer: bench/peers/torch_sac_update.py (${found.python})`]);
  const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
  for (const [i, row] of table.entries()) {
    console.log(row.map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c]))).join('  '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
  if (peer) {
    console.log('\nagainst PyTorch (its median ms / the backend\'s median ms; above 1: faster than PyTorch, same machine, same run):');
    for (const r of rows) if (r.vsPeer) console.log(`  ${r.backend}: ${formatComparison(r.vsPeer)}`);
  } else if (found.python) {
    console.log(`\nPyTorch peer failed: ${peerError}`);
  }
});

/** --breakdown: the timed kernels of one update on the native backend, at 1 thread and at the thread setting. */
async function breakdown(s: Settings, json: boolean): Promise<void> {
  const { defaultThreads } = await import('../tensor/native.ts');
  const many = s.threads ?? defaultThreads();
  const results = [...new Set([1, many])].map((threads) => runWorker('auto', { ...s, threads }));
  const failed = results.find((r) => !r.ok || !r.breakdown);
  if (failed) throw new Error(`--breakdown: the update did not run on the native kernels (${failed.reason ?? failed.line ?? 'no breakdown'})`);
  const bs = results.map((r) => r.breakdown!);
  if (json) {
    const config = s.agent ? { ...s, timed: results[0].describe } : { obs: OBS, act: ACT, hidden: [HIDDEN, HIDDEN], batch: BATCH, tasks: TASKS, ...s };
    console.log(JSON.stringify({ config, line: results[0].line, breakdowns: bs }));
    return;
  }
  const what = s.agent ? results[0].describe : `one SAC update (obs ${OBS}, act ${ACT}, hidden ${HIDDEN}x2, batch ${BATCH}, ${s.critics} critics${s.layerNorm ? ', LayerNorm' : ''})`;
  console.log(`bench:nn --breakdown  ${what}, every addon call timed over ${s.seconds} s`);
  console.log(`${results[0].line!.replace(/, \d+ threads?:/, ':').replace(/ \[(forced by .*|auto)\]$/, '')}\n`);
  console.log(formatBreakdowns(bs));
}
