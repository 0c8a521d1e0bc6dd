// bench:nn — times one full SAC update (agents/sac/update.ts: actor, twin critics, per-task
// temperature; hidden 256x2, batch 256, observation 40, action 4) on every tfjs backend that loads,
// and the PyTorch peer (../shared/peers/torch_sac_update.py, same network and update) in the same
// run, so the ratio compares like with like on a noisy 2-core machine.
//
//   npm run bench:nn                       table
//   npm run bench:nn -- --json             one JSON object
//   npm run bench:nn -- --backend wasm-blas,cpu-blas --iters 300 --rounds 5
//   npm run bench:nn -- --threads 1        both sides single-threaded (BLAS and PyTorch)
//
// Each backend runs in its own child process (a fresh tfjs engine and wasm heap; a backend that
// crashes cannot take the others down). The machine is shared and noisy, so the run goes in rounds:
// each round times the peer, then every backend; figures are medians over rounds and the ratio is
// median(PyTorch ms) / median(backend ms). Backends slower than 100 ms/update (the stock kernels)
// run in the first round only. Python for the peer: $TORCH_PYTHON, else python3. Each backend also
// reports how many tfjs kernels one update runs (tf.profile): the op count, independent of load.
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

const OBS = 40;
const ACT = 4;
const HIDDEN = 256;
const BATCH = 256;
const TASKS = 10;

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    backend: { type: 'string', default: 'all' },
    iters: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    threads: { type: 'string' },
    worker: { type: 'boolean', default: false },
  },
});

interface WorkerResult {
  backend: string;
  ok: boolean;
  line?: string;
  reason?: string;
  msPerUpdate?: number;
  iters?: number;
  /** tfjs kernels one update runs (machine-independent: the op count the fused kernels cut). */
  kernels?: number;
}

/** In a child: select the backend, warm up, time updates. Prints one JSON line. */
async function worker(choice: string, iters: number, seconds: number): Promise<void> {
  const out: WorkerResult = { backend: choice, ok: false };
  try {
    const tf = await import('@tensorflow/tfjs');
    const { selectBackend } = await import('../tensor/backend.ts');
    const { Sac } = await import('../sac/update.ts');
    const status = await selectBackend({ force: choice, log: false });
    out.line = status.line;
    const sac = new Sac({ obsDim: OBS, actDim: ACT, numTasks: TASKS, hidden: [HIDDEN, HIDDEN] });
    const batch = tf.tidy(() => ({
      obs: tf.randomNormal([BATCH, OBS], 0, 1, 'float32', 1) as import('@tensorflow/tfjs').Tensor2D,
      action: tf.randomUniform([BATCH, ACT], -1, 1, 'float32', 2) as import('@tensorflow/tfjs').Tensor2D,
      reward: tf.randomNormal([BATCH, 1], 0, 1, 'float32', 3) as import('@tensorflow/tfjs').Tensor2D,
      nextObs: tf.randomNormal([BATCH, OBS], 0, 1, 'float32', 4) as import('@tensorflow/tfjs').Tensor2D,
      terminated: tf.zeros([BATCH, 1]) as import('@tensorflow/tfjs').Tensor2D,
      task: tf.randomUniform([BATCH], 0, TASKS, 'int32', 5) as import('@tensorflow/tfjs').Tensor1D,
    }));
    // Warm-up: the first updates compile wasm paths and grow the heap; as the peer does (20).
    const warmStart = performance.now();
    let warm = 0;
    while (warm < 20 && (warm < 2 || performance.now() - warmStart < seconds * 250)) {
      sac.update(batch);
      warm++;
    }
    let n = 0;
    const t0 = performance.now();
    while (n < iters && (n < 3 || performance.now() - t0 < seconds * 1000)) {
      sac.update(batch);
      n++;
    }
    out.msPerUpdate = (performance.now() - t0) / n;
    out.iters = n;
    out.kernels = (await tf.profile(() => {
      sac.update(batch);
    })).kernels.length;
    out.ok = true;
  } catch (err) {
    out.reason = String((err as Error).message ?? err).split('\n')[0];
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

function runWorker(choice: string, iters: number, seconds: number): WorkerResult {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--worker', '--backend', choice, '--iters', String(iters), '--seconds', String(seconds)], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, RRL_BACKEND: '', ...threadEnv() },
    maxBuffer: 64 * 1024 * 1024,
  });
  const last = (r.stdout ?? '').trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (last) return JSON.parse(last) as WorkerResult;
  const err = (r.stderr ?? '').split('\n').find((l) => /Error/.test(l)) ?? `exit ${r.status}`;
  return { backend: choice, ok: false, reason: `worker died: ${err.slice(0, 200)}` };
}

interface PeerResult {
  ok: boolean;
  reason?: string;
  python?: string;
  torch?: string;
  threads?: number;
  msPerUpdate?: number;
  runs?: number[];
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function findTorchPython(): { python: string | null; reason: string } {
  const candidates = process.env.TORCH_PYTHON ? [process.env.TORCH_PYTHON] : ['python3'];
  for (const py of candidates) {
    const r = spawnSync(py, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
    if (r.status === 0) return { python: py, reason: '' };
  }
  return { python: null, reason: `no python with torch importable (tried ${candidates.join(', ')}; set TORCH_PYTHON)` };
}

/** --threads n: the same thread count for the BLAS kernels and for PyTorch (its intra-op pool). */
function threadEnv(): Record<string, string> {
  if (!args.threads) return {};
  const n = String(Math.max(1, Number(args.threads)));
  return { RRL_BLAS_THREADS: n, OMP_NUM_THREADS: n, MKL_NUM_THREADS: n };
}

function runPeer(python: string, script: string): { ms: number; torch: string; threads: number } | string {
  const r = spawnSync(python, [script, String(OBS), String(HIDDEN), String(BATCH)], { encoding: 'utf8', env: { ...process.env, ...threadEnv() } });
  const m = /torch (\S+) threads=(\d+).*?: ([\d.]+) ms\/update/.exec(r.stdout ?? '');
  if (r.status !== 0 || !m) return `peer failed: ${(r.stderr || r.stdout || '').trim().split('\n').pop()}`;
  return { torch: m[1], threads: Number(m[2]), ms: Number(m[3]) };
}

async function main(): Promise<void> {
  const iters = Number(args.iters);
  const seconds = Number(args.seconds);
  if (!Number.isFinite(iters) || iters < 1) throw new Error('--iters must be a positive number');
  if (args.worker) return worker(args.backend!, iters, seconds);

  const { BACKEND_CHOICES } = await import('../tensor/backend.ts');
  const wanted = args.backend === 'all' ? [...BACKEND_CHOICES] : args.backend!.split(',').map((s) => s.trim());
  for (const w of wanted) {
    if (!(BACKEND_CHOICES as readonly string[]).includes(w)) throw new Error(`unknown backend "${w}"; choose from ${BACKEND_CHOICES.join(', ')}`);
  }
  const say = (s: string) => {
    if (!args.json) console.log(s);
  };
  say(`bench:nn  SAC update: obs ${OBS}, act ${ACT}, hidden ${HIDDEN}x2, batch ${BATCH}, ${TASKS} task temperatures` +
    `; threads: ${args.threads ?? 'library defaults'}`);

  const peerScript = process.env.TORCH_PEER ?? resolve(repoRoot, '..', 'shared', 'peers', 'torch_sac_update.py');
  const peer: PeerResult = { ok: false };
  const found = existsSync(peerScript) ? findTorchPython() : { python: null, reason: `peer script not found at ${peerScript}` };
  const peerRuns: number[] = [];
  const peerOnce = () => {
    if (!found.python) return;
    const r = runPeer(found.python, peerScript);
    if (typeof r === 'string') {
      peer.reason = r;
      return;
    }
    peerRuns.push(r.ms);
    Object.assign(peer, { python: found.python, torch: r.torch, threads: r.threads });
  };
  if (!found.python) {
    peer.reason = found.reason;
    say(`PyTorch peer skipped: ${found.reason}`);
  }
  const rounds = Math.max(1, Number(args.rounds));
  const results = new Map<string, WorkerResult & { runs: number[] }>();
  for (let round = 0; round < rounds; round++) {
    peerOnce();
    for (const choice of wanted) {
      const prev = results.get(choice);
      if (prev && (!prev.ok || prev.msPerUpdate! > 100)) continue; // failed or slow: once is enough
      const r = runWorker(choice, iters, seconds);
      if (!prev) results.set(choice, { ...r, runs: r.ok ? [r.msPerUpdate!] : [] });
      else if (r.ok) prev.runs.push(r.msPerUpdate!);
    }
  }
  for (const r of results.values()) if (r.ok) r.msPerUpdate = median(r.runs);
  if (peerRuns.length > 0) {
    peer.ok = true;
    peer.runs = peerRuns;
    peer.msPerUpdate = median(peerRuns);
    delete peer.reason;
  }

  const rows = [...results.values()].map((r) => ({
    backend: r.backend,
    ok: r.ok,
    msPerUpdate: r.ok ? Number(r.msPerUpdate!.toFixed(2)) : null,
    updatesPerSec: r.ok ? Number((1000 / r.msPerUpdate!).toFixed(1)) : null,
    ratioToTorch: r.ok && peer.ok ? Number((peer.msPerUpdate! / r.msPerUpdate!).toFixed(2)) : null,
    iters: r.iters ?? null,
    kernelsPerUpdate: r.kernels ?? null,
    runs: r.runs.map((x) => Number(x.toFixed(2))),
    line: r.line ?? null,
    reason: r.reason ?? null,
  }));

  if (args.json) {
    console.log(JSON.stringify({
      config: { obs: OBS, act: ACT, hidden: [HIDDEN, HIDDEN], batch: BATCH, tasks: TASKS, threads: args.threads ? Number(args.threads) : null, rounds },
      peer: peer.ok
        ? { ok: true, torch: peer.torch, threads: peer.threads, python: peer.python, msPerUpdate: Number(peer.msPerUpdate!.toFixed(2)), updatesPerSec: Number((1000 / peer.msPerUpdate!).toFixed(1)), runs: peer.runs }
        : { ok: false, reason: peer.reason },
      backends: rows,
    }));
    return;
  }
  const table: string[][] = [['backend', 'ms/update', 'updates/s', 'x PyTorch', 'kernels/update', 'notes']];
  for (const r of rows) {
    table.push(r.ok
      ? [r.backend, r.msPerUpdate!.toFixed(2), r.updatesPerSec!.toFixed(1), r.ratioToTorch === null ? '-' : r.ratioToTorch.toFixed(2), String(r.kernelsPerUpdate ?? '-'),
        `runs ${r.runs.map((x) => x.toFixed(1)).join(' / ')} ms; ${r.line!.replace('[tensor] backend ', '').replace(/ \[forced by .*\]$/, '')}`]
      : [r.backend, '-', '-', '-', '-', `did not load: ${r.reason!.replace(/^backend "[^"]+" was forced \(--backend\) but cannot load: /, '')}`]);
  }
  if (peer.ok) {
    table.push([`pytorch ${peer.torch}`, peer.msPerUpdate!.toFixed(2), (1000 / peer.msPerUpdate!).toFixed(1), '1.00', '-', `runs ${peer.runs!.map((x) => x.toFixed(1)).join(' / ')} ms; ${peer.threads} threads`]);
  }
  const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
  for (const [i, row] of table.entries()) {
    console.log(row.map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c]))).join('  '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
  say(`medians over ${rounds} round(s); x PyTorch = PyTorch ms / backend ms (above 1: faster than PyTorch, same machine, same run)`);
}

main().catch((err) => {
  console.error(`bench:nn: ${(err as Error).message}`);
  process.exit(1);
});
