// The benchmarks that compare the project with its peers: the comparison statistics on known
// numbers, every benchmark's --help, and real short runs of bench:nn and bench:sim, without a peer
// (the project's figures alone, never a ratio) and, where TORCH_PYTHON / MW_PYTHON point to a
// Python that has the peer's packages, with it.
import { describe, it, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { compare, summarize, formatComparison, SPREAD_LIMIT } from '../../bench/compare.ts';
import { findPeerPython } from '../../bench/peer.ts';
import { existsSync } from 'node:fs';
import { ADDON_PATH } from '../../agents/tensor/native.ts';

/** Runs a benchmark in a child process (asynchronously: a blocked test worker misses vitest's RPC). */
function run(script: string, args: string[], env: Record<string, string | undefined> = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const merged: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...env })) if (v !== undefined) merged[k] = v;
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { env: merged });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', fail);
    child.on('close', (status) => done({ status, stdout, stderr }));
  });
}

describe('comparison statistics', () => {
  it('min / median / max, and the ratio of medians in the direction that is good', () => {
    const s = summarize([5, 1, 3, 4]);
    expect([s.min, s.median, s.max]).toEqual([1, 3.5, 5]);
    // times: lower is better, so a project at 4 ms against a peer at 12 ms is 3x
    const t = compare(summarize([4, 4.2, 3.9]), summarize([12, 12.5, 11.8]), 'lower');
    expect(t.ratio).toBeCloseTo(12 / 4, 6);
    expect(t.ratioRange[0]).toBeCloseTo(11.8 / 4.2, 6);
    expect(t.ratioRange[1]).toBeCloseTo(12.5 / 3.9, 6);
    expect(t.flags).toEqual([]);
    expect(formatComparison(t)).toBe('3.00x (runs 2.81-3.21)');
    // rates: higher is better
    const r = compare(summarize([6000, 6100, 5900]), summarize([1000, 1100, 1050]), 'higher');
    expect(r.ratio).toBeCloseTo(6000 / 1050, 6);
    expect(r.flags).toEqual([]);
  });
  it('flags a spread over the limit, overlapping runs, and a single round', () => {
    const spread = compare(summarize([4, 4, 4 * SPREAD_LIMIT + 0.1]), summarize([12, 12, 12]), 'lower');
    expect(spread.flags.join()).toMatch(/project runs spread 1\.5\dx/);
    const overlap = compare(summarize([10, 11, 12]), summarize([11.5, 12, 13]), 'lower');
    expect(overlap.flags).toEqual(['the two sides\' runs overlap: which is faster is not settled']);
    expect(formatComparison(overlap)).toMatch(/UNRELIABLE: the two sides' runs overlap/);
    expect(compare(summarize([4]), summarize([12]), 'lower').flags.join()).toMatch(/one round/);
  });
});

describe('peer Pythons', () => {
  it('no variable, or a Python that cannot run, means no peer, with the reason', () => {
    const saved = process.env.RRL_TEST_PEER;
    delete process.env.RRL_TEST_PEER;
    expect(findPeerPython('RRL_TEST_PEER', 'print(1)', 'nothing').reason).toMatch(/RRL_TEST_PEER is not set/);
    process.env.RRL_TEST_PEER = '/nonexistent/python';
    expect(findPeerPython('RRL_TEST_PEER', 'print(1)', 'nothing').reason).toMatch(/RRL_TEST_PEER=\/nonexistent\/python cannot run/);
    if (saved === undefined) delete process.env.RRL_TEST_PEER;
    else process.env.RRL_TEST_PEER = saved;
  });
});

describe('every benchmark', () => {
  it.each(['agents/bench/nn.ts', 'sim/bench/throughput.ts', 'server/bench-viewer.ts', 'agents/bench/cli.ts'])('%s --help prints its usage and exits 0', async (script) => {
    const r = await run(script, ['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^usage: npm run bench/);
  });
  it('bench:nn and bench:sim refuse a bad flag with their usage (exit 2)', async () => {
    for (const script of ['agents/bench/nn.ts', 'sim/bench/throughput.ts']) {
      const r = await run(script, ['--rounds', 'many']);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/--rounds must be an integer/);
    }
  });
});

describe('bench:nn, a real short run', () => {
  it('without a peer: the project\'s figures alone, the reason, and no ratio', async () => {
    const r = await run('agents/bench/nn.ts', ['--rounds', '2', '--seconds', '0.5', '--json'], { TORCH_PYTHON: undefined });
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out.peer).toEqual({ ok: false, reason: expect.stringMatching(/TORCH_PYTHON is not set/) });
    expect(out.backends).toHaveLength(1);
    const b = out.backends[0];
    expect(b.ok).toBe(true);
    expect(b.summary.runs).toHaveLength(2);
    expect(b.summary.min).toBeLessThanOrEqual(b.summary.median);
    expect(b.vsPeer).toBeNull();
    const text = await run('agents/bench/nn.ts', ['--rounds', '1', '--seconds', '0.5'], { TORCH_PYTHON: undefined });
    expect(text.stdout).toMatch(/PyTorch peer not run: TORCH_PYTHON is not set/);
    expect(text.stdout).not.toMatch(/against PyTorch|x PyTorch/);
  }, 120_000);

  const torch = findPeerPython('TORCH_PYTHON', 'import torch', 'torch');
  it.skipIf(!torch.python)('with the PyTorch peer (TORCH_PYTHON): interleaved runs and a ratio of medians', async () => {
    const r = await run('agents/bench/nn.ts', ['--rounds', '2', '--seconds', '0.5', '--threads', '1', '--json']);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out.peer.ok).toBe(true);
    expect(out.peer.threads).toBe(1);
    expect(out.peer.summary.runs).toHaveLength(2);
    const b = out.backends[0];
    expect(b.threads).toBe(1);
    expect(b.vsPeer.ratio).toBeCloseTo(out.peer.summary.median / b.summary.median, 6);
  }, 180_000);
});

describe('bench:nn --agent', () => {
  it('times the training update of a suite: the agent it built, no peer; an unknown suite is refused', async () => {
    const r = await run('agents/bench/nn.ts', ['--agent', 'mt4', '--rounds', '1', '--seconds', '0.5', '--json'], { TORCH_PYTHON: '/bin/false' });
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out.config.timed).toBe('the training update of suite mt4 (4 tasks): multihead (onehot), input 73, hidden 256x256, batch 256, 2 critics, behaviour cloning on');
    expect(out.peer).toEqual({ ok: false, reason: expect.stringMatching(/peer has plain SAC only/) });
    expect(out.backends[0].ok).toBe(true);
    expect(out.backends[0].summary.runs).toHaveLength(1);
    const bad = await run('agents/bench/nn.ts', ['--agent', 'mt3']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--agent: unknown suite "mt3"; choose one of: mt4, mt10/);
  }, 120_000);
});

describe('bench:nn --breakdown', () => {
  const addonBuilt = existsSync(ADDON_PATH) && process.env.RRL_DISABLE_BLAS !== '1';
  it.skipIf(!addonBuilt)('times every kernel of one update at 1 and 2 threads, with the network kernels\' multiply-adds counted from their shapes', async () => {
    const r = await run('agents/bench/nn.ts', ['--breakdown', '--threads', '2', '--seconds', '0.3', '--json']);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out.breakdowns.map((b: { threads: number }) => b.threads)).toEqual([1, 2]);
    // obs 40, act 4, hidden 256x2, batch 256, 2 critics: actor 40-256-256-8, critics 44-256-256-1.
    const B = 256;
    const actor = [40 * 256, 256 * 256, 256 * 8];
    const critic = [44 * 256, 256 * 256, 256 * 1];
    const sum = (xs: number[]) => xs.reduce((a, x) => a + x, 0);
    const expected: Record<string, number> = {
      'mlpForward (E=2)': 3 * 2 * B * sum(critic), // targets at s', online at s, online at the policy's actions
      'mlpForward (E=1)': 3 * B * sum(actor), // at s', at s, and again at s for the temperature
      'mlpBackward (E=2, params)': 2 * B * (sum(critic) + critic[1] + critic[2]), // every dW, dx below the top two layers' inputs
      // through every layer to the input (the actions' columns), for each row only in the critic
      // holding its minimum (the kernel skips rows with zero gradient; no ties at random weights)
      'mlpBackward (E=2, dx)': B * sum(critic),
      'mlpBackward (E=1, params)': B * (sum(actor) + actor[1] + actor[2]),
    };
    for (const b of out.breakdowns) {
      for (const [kernel, macs] of Object.entries(expected)) {
        const row = b.rows.find((x: { kernel: string }) => x.kernel === kernel);
        expect(row, kernel).toBeDefined();
        expect(row.macsPerUpdate).toBe(macs);
      }
      expect(b.networkMacs).toBe(sum(Object.values(expected)));
      expect(b.rows.find((x: { kernel: string }) => x.kernel === 'adam').callsPerUpdate).toBe(3);
      expect(b.nativeMsPerUpdate).toBeGreaterThan(0);
      expect(b.nativeMsPerUpdate).toBeLessThan(b.msPerUpdate);
      expect(b.networkGflops).toBeGreaterThan(0);
      expect(b.sgemmGflopsOneCore).toBeGreaterThan(0);
    }
    const text = await run('agents/bench/nn.ts', ['--breakdown', '--threads', '2', '--seconds', '0.3']);
    expect(text.stdout).toMatch(/mlpForward \(E=2\)\s+3\s+236\.7/);
    expect(text.stdout).toMatch(/network kernels 616 MFLOP per update/);
  }, 120_000);
});

describe('bench:sim, a real short run', () => {
  it('without a peer: every registered task by default, figures alone', async () => {
    const r = await run('sim/bench/throughput.ts', ['--rounds', '1', '--seconds', '1', '--envs', '2', '--json'], { MW_PYTHON: undefined });
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out.peer).toEqual({ ok: false, reason: expect.stringMatching(/MW_PYTHON is not set/) });
    expect(out.rows.map((row: { task: string }) => row.task)).toEqual(expect.arrayContaining(['reach', 'push', 'pick-place', 'peg-insert']));
    for (const row of out.rows) {
      expect(row.envStepsPerSec.median).toBeGreaterThan(0);
      expect(row.vsPeer).toBeNull();
    }
  }, 120_000);

  it.skipIf(!process.env.MW_PYTHON)('with the Meta-World peer (MW_PYTHON): the 16-env rows get a ratio', async () => {
    const r = await run('sim/bench/throughput.ts', ['--rounds', '2', '--seconds', '1', '--tasks', 'push', '--json']);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out.peer.ok).toBe(true);
    expect(out.peer.envStepsPerSec.runs).toHaveLength(2);
    const [one, sixteen] = out.rows;
    expect(one.vsPeer).toBeNull();
    expect(sixteen.vsPeer.ratio).toBeCloseTo(sixteen.envStepsPerSec.median / out.peer.envStepsPerSec.median, 6);
  }, 180_000);
});
