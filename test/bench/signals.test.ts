// `npm run bench` stopped by SIGTERM at npm's process id (what timeout, docker stop and systemd
// send), or by SIGHUP there (which npm does not relay: it dies and the sweep notices its parent is
// gone): the running runs stop cleanly, each with a checkpoint where it stood, the report is
// written, nothing is left running, and the same command resumes the sweep with every curve on the
// shared grid.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../agents/checkpoint.ts';
import type { Results } from '../../agents/bench/report.ts';
import { alive, npmRun, treeOf, until } from '../cli/processes.ts';

const dir = mkdtempSync(join(tmpdir(), 'rrl-bench-signals-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TINY = ['--demos', '0', '--hidden', '16,16', '--batch', '32', '--learning-starts', '50', '--eval-episodes', '2', '--envs-per-task', '4', '--jobs', '1'];

describe('bench sweep stopped by a signal', () => {
  for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
    it(`${signal} to npm: the run checkpoints where it is, the report is written, the sweep stops (exit ${signal === 'SIGTERM' ? 143 : 129})${signal === 'SIGTERM' ? ' and resumes' : ''}`, async () => {
      const s = join(dir, signal);
      const args = ['--out', s, '--tasks', 'reach', '--conditions', 'single', '--seeds', '0', '--budget', '4000', '--eval-every', '200', ...TINY];
      const first = npmRun('bench', args);
      const runDir = join(s, 'runs', 'single-task/reach/0');
      // Under way: at least one evaluation row written.
      await until(() => existsSync(join(runDir, 'metrics.jsonl')) && readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').includes('evalSuccess'), 90_000, 'the run to evaluate once');
      const tree = treeOf(first.pid);
      expect(tree.length).toBeGreaterThanOrEqual(3); // npm, the sweep, its run (and tsx's esbuild helpers)
      process.kill(first.pid, signal);
      const r = await first.done;
      // npm relays SIGTERM and exits with its script's code; SIGHUP ends npm itself.
      if (signal === 'SIGTERM') expect(r.code, r.out).toBe(143);
      else expect(r.signal).toBe('SIGHUP');
      await until(() => tree.every((p) => !alive(p)), 30_000, 'every process to exit');
      const out = first.output();
      expect(out).toMatch(new RegExp(`${signal}: stopping the running runs`));
      expect(out).toMatch(/single-task\/reach\/0: stopped at \d+ env steps/);
      expect(out).toMatch(/stopped with 1 run\(s\) unfinished; run the same command to resume/);
      expect(existsSync(join(s, 'report', 'report.md'))).toBe(true);
      // The run saved where it stood (a graceful stop, not a kill back to its last interval).
      const steps = loadCheckpoint(join(runDir, 'checkpoint.bin')).run.envSteps;
      expect(steps).toBeGreaterThan(0);
      expect(existsSync(join(runDir, 'done.json'))).toBe(false);
      expect(existsSync(join(runDir, 'error.txt'))).toBe(false);
      if (signal === 'SIGHUP') return; // resuming is the same after either

      const second = await npmRun('bench', args).done;
      expect(second.code, second.out).toBe(0);
      expect(second.out).toMatch(new RegExp(`single-task/reach/0: resumed from its checkpoint at ${steps} env steps`));
      const res = JSON.parse(readFileSync(join(s, 'report', 'results.json'), 'utf8')) as Results;
      expect(res.complete).toBe(true);
      // Evaluations on the sweep's grid, each once, whatever step the stop came at.
      expect(res.runs[0].curves.reach.map((p) => p.x)).toEqual(Array.from({ length: 20 }, (_, i) => 200 * (i + 1)));
    }, 240_000);
  }
});
