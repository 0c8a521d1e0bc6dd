// bench:nn --breakdown: where one SAC update's time goes, kernel by kernel. Every addon call is
// timed (the addon wrapped before the backend registers its kernels), the whole-network products
// are converted to multiply-adds from their shapes, and one core's sgemm rate on the update's
// largest product (256 x 256 x 256 through the same addon, single-threaded as the BLAS always runs
// here) is the yardstick: the network kernels cannot beat that rate per thread.
import type { BlasAddon } from '../tensor/native.ts';

export interface BreakdownRow {
  /** Addon function, with the network's ensemble size and what a backward computes. */
  kernel: string;
  callsPerUpdate: number;
  usPerUpdate: number;
  /** Multiply-adds per update (network kernels only). */
  macsPerUpdate: number | null;
}

export interface Breakdown {
  threads: number;
  msPerUpdate: number;
  nativeMsPerUpdate: number;
  rows: BreakdownRow[];
  /** The network kernels' multiply-adds per update, and their rate in GFLOP/s (2 per multiply-add). */
  networkMacs: number;
  networkGflops: number;
  /** One core's sgemm rate on 256 x 256 x 256, GFLOP/s (best of 5 blocks). */
  sgemmGflopsOneCore: number;
}

/** Layer widths of an MLP spec (native/rrl_nets.c): [n, E, B, xShared, <extra>, in0, out_0, act_0, norm_0, ...]. */
function layers(spec: Int32Array, extra: number): { E: number; B: number; dims: [number, number][] } {
  const n = spec[0];
  const dims: [number, number][] = [];
  let inDim = spec[4 + extra];
  for (let l = 0; l < n; l++) {
    const out = spec[5 + extra + 3 * l];
    dims.push([inDim, out]);
    inDim = out;
  }
  return { E: spec[1], B: spec[2], dims };
}

/**
 * The rows an input-gradient-only mlpBackward call computes, over all members: the rows whose
 * output gradient is not all zero (the kernel skips the others), or null for any other call.
 */
function liveRows(name: string, args: unknown[]): number | null {
  if (name !== 'mlpBackward') return null;
  const d = args[2] as Int32Array;
  if (d[4] === 0 || d[5] !== 0) return null;
  const { E, B, dims } = layers(d, 2);
  const w = dims[dims.length - 1][1];
  const dy = new Float32Array((args[0] as ArrayBuffer[])[0], (args[1] as Float64Array)[0], E * B * w);
  let live = 0;
  for (let r = 0; r < E * B; r++) {
    for (let j = 0; j < w; j++) {
      if (dy[r * w + j] !== 0) {
        live++;
        break;
      }
    }
  }
  return live;
}

/**
 * Label and multiply-adds of one addon call, from its spec (null for the elementwise kernels);
 * `rows`: the rows it computed over all members, where that is not E x B (liveRows).
 */
function describe(name: string, spec: unknown, rows: number | null): { label: string; macs: number | null } {
  if (name === 'mlpForward') {
    const { E, B, dims } = layers(spec as Int32Array, 0);
    return { label: `mlpForward (E=${E})`, macs: E * B * dims.reduce((a, [i, o]) => a + i * o, 0) };
  }
  if (name === 'mlpBackward') {
    const d = spec as Int32Array;
    const needDx = d[4] !== 0;
    const needParams = d[5] !== 0;
    const { E, B, dims } = layers(d, 2);
    // dW of every layer when asked; dx of every layer but the first, and of the first when asked.
    const macs = dims.reduce((a, [i, o], l) => a + (needParams ? i * o : 0) + (l > 0 || needDx ? i * o : 0), 0);
    return { label: `mlpBackward (E=${E}, ${[needDx ? 'dx' : '', needParams ? 'params' : ''].filter(Boolean).join(' + ')})`, macs: (rows ?? E * B) * macs };
  }
  return { label: name, macs: null };
}

/** Addon functions that are not kernels: called, never timed. */
const UNTIMED = new Set(['info', 'setThreads', 'abi']);

/** One timed addon call: the function, its spec (the network kernels' shapes) and its duration. */
interface Call {
  name: string;
  spec: unknown;
  ms: number;
  rows: number | null;
}

/**
 * The addon with every kernel call timed while `on`. The hot path only records the call; labels
 * and multiply-adds are worked out afterwards (summarizeCalls), so they add nothing to the timings.
 */
export class CallLog {
  on = false;
  readonly calls: Call[] = [];

  wrap(addon: BlasAddon): BlasAddon {
    const out = Object.create(null) as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(addon) as (keyof BlasAddon)[]) {
      const f = addon[name] as unknown as (...a: unknown[]) => unknown;
      if (typeof f !== 'function') continue;
      out[name] = UNTIMED.has(name) ? f.bind(addon) : (...args: unknown[]) => {
        if (!this.on) return f.apply(addon, args);
        const t0 = performance.now();
        const r = f.apply(addon, args);
        const ms = performance.now() - t0;
        this.calls.push({ name, spec: args[2], ms, rows: liveRows(name, args) });
        return r;
      };
    }
    return out as unknown as BlasAddon;
  }
}

/** GFLOP/s of one 256 x 256 x 256 sgemm on the calling thread, best of 5 blocks of 100. */
export function sgemmRate(addon: BlasAddon): number {
  const n = 256;
  const a = new Float32Array(n * n).map((_, i) => (i % 7) * 0.1);
  const b = new Float32Array(n * n).map((_, i) => (i % 5) * 0.1);
  const c = new Float32Array(n * n);
  const once = () => addon.gemm(a.buffer, 0, b.buffer, 0, c.buffer, 0, 1, n, n, n, false, false, 0, 0, null, 0, 0, 0, 0, 0, 0);
  for (let i = 0; i < 20; i++) once();
  let best = Infinity;
  for (let block = 0; block < 5; block++) {
    const t0 = performance.now();
    for (let i = 0; i < 100; i++) once();
    best = Math.min(best, (performance.now() - t0) / 100);
  }
  return (2 * n * n * n) / (best * 1e-3) / 1e9;
}

/** The log of `updates` timed updates as rows, heaviest first. */
export function summarizeCalls(log: CallLog, updates: number, msPerUpdate: number, threads: number, sgemmGflopsOneCore: number): Breakdown {
  const byLabel = new Map<string, { ms: number; count: number; macs: number | null }>();
  for (const c of log.calls) {
    const { label, macs } = describe(c.name, c.spec, c.rows);
    const e = byLabel.get(label) ?? { ms: 0, count: 0, macs };
    e.ms += c.ms;
    e.count++;
    byLabel.set(label, e);
  }
  const rows: BreakdownRow[] = [...byLabel].map(([kernel, { ms, count, macs }]) => ({
    kernel,
    callsPerUpdate: count / updates,
    usPerUpdate: (1000 * ms) / updates,
    macsPerUpdate: macs === null ? null : (macs * count) / updates,
  })).sort((x, y) => y.usPerUpdate - x.usPerUpdate);
  const net = rows.filter((r) => r.macsPerUpdate !== null);
  const networkMacs = net.reduce((a, r) => a + r.macsPerUpdate!, 0);
  const networkUs = net.reduce((a, r) => a + r.usPerUpdate, 0);
  return {
    threads,
    msPerUpdate,
    nativeMsPerUpdate: rows.reduce((a, r) => a + r.usPerUpdate, 0) / 1000,
    rows,
    networkMacs,
    networkGflops: networkUs > 0 ? (2 * networkMacs) / (networkUs * 1e-6) / 1e9 : 0,
    sgemmGflopsOneCore,
  };
}

/** The breakdowns as text, one column per thread setting. */
export function formatBreakdowns(bs: Breakdown[]): string {
  const labels = [...new Set(bs.flatMap((b) => b.rows.map((r) => r.kernel)))];
  const cell = (b: Breakdown, k: string) => {
    const r = b.rows.find((x) => x.kernel === k);
    return r ? `${Math.round(r.usPerUpdate)}` : '-';
  };
  const table: string[][] = [['kernel', 'calls/update', 'MFLOP/update', ...bs.map((b) => `us/update, ${b.threads} thread${b.threads === 1 ? '' : 's'}`)]];
  for (const k of labels) {
    const r = bs.map((b) => b.rows.find((x) => x.kernel === k)).find(Boolean)!;
    table.push([k, String(+r.callsPerUpdate.toFixed(2)), r.macsPerUpdate === null ? '-' : (2 * r.macsPerUpdate / 1e6).toFixed(1), ...bs.map((b) => cell(b, k))]);
  }
  table.push(['native, total', '', '', ...bs.map((b) => `${Math.round(b.nativeMsPerUpdate * 1000)}`)]);
  table.push(['tfjs and JavaScript (the rest)', '', '', ...bs.map((b) => `${Math.round((b.msPerUpdate - b.nativeMsPerUpdate) * 1000)}`)]);
  table.push(['whole update', '', '', ...bs.map((b) => `${Math.round(b.msPerUpdate * 1000)}`)]);
  const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
  const lines = table.map((row) => row.map((x, c) => (c === 0 ? x.padEnd(widths[c]) : x.padStart(widths[c]))).join('  '));
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  for (const b of bs) {
    lines.push(`${b.threads} thread${b.threads === 1 ? '' : 's'}: network kernels ${(2 * b.networkMacs / 1e6).toFixed(0)} MFLOP per update at ${b.networkGflops.toFixed(1)} GFLOP/s `
      + `(${(b.networkGflops / b.threads).toFixed(1)} per thread); one core's sgemm on 256x256x256: ${b.sgemmGflopsOneCore.toFixed(1)} GFLOP/s`);
  }
  return lines.join('\n');
}
