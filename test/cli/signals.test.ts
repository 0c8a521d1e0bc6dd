// Stopping the long-running commands the ways people and machines do, for real: `npm run train`
// and `npm start` get SIGTERM (timeout, docker stop, systemd, Kubernetes), SIGHUP (the terminal
// closed) and Ctrl-C (SIGINT to the whole process group, which npm relays a second time) at npm's
// process id or at the process id the server prints. Each stops cleanly: the trainer writes a
// checkpoint that --resume continues, the server frees its port, and no process is left behind.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../agents/checkpoint.ts';
import type { MetricsRow } from '../../agents/train/observer.ts';
import { alive, commandOf, npmRun, portOpen, treeOf, until } from './processes.ts';

const dir = mkdtempSync(join(tmpdir(), 'rrl-signals-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TINY = ['--demos', '0', '--tasks', 'reach', '--envs', '4', '--hidden', '16,16', '--batch', '32', '--learning-starts', '50', '--eval-every', '0', '--eval-episodes', '2', '--log-every', '100', '--checkpoint-every', '100000'];
const rowsOf = (out: string) => readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as MetricsRow);

describe('npm run train', () => {
  for (const [how, signal, target, code] of [
    ['SIGTERM to npm', 'SIGTERM', 'npm', 143],
    ['SIGHUP to the trainer', 'SIGHUP', 'node', 129],
    ['Ctrl-C (SIGINT to the process group)', 'SIGINT', 'group', 130],
    ['SIGKILL to npm (the trainer sees npm is gone: a hang-up)', 'SIGKILL', 'npm', null],
  ] as const) {
    it(`${how}: checkpoints where it is, exits ${code ?? 'as on SIGHUP'}, leaves no process; --resume continues`, async () => {
      const out = join(dir, `train-${signal}`);
      const run = npmRun('train', [...TINY, '--steps', '100000', '--out', out], { group: target === 'group' });
      await run.waitFor(/\[\d+ steps/, 60_000); // training under way (the first metrics row)
      const tree = treeOf(run.pid);
      // npm execs the trainer: no shell or tsx launcher in between.
      expect(commandOf(tree[1])).toMatch(/^node --import tsx agents\/cli\/train\.ts /);
      if (target === 'group') process.kill(-run.pid, signal);
      else process.kill(target === 'npm' ? run.pid : tree[1], signal);
      const r = await run.done;
      if (code !== null) expect(r.code, r.out).toBe(code);
      await until(() => tree.every((p) => !alive(p)), 15_000, 'every process of the run to exit');
      const seen = signal === 'SIGKILL' ? 'SIGHUP' : signal;
      expect(run.output()).toMatch(new RegExp(`${seen}: stopping after this step with a checkpoint`));
      expect(run.output()).toMatch(new RegExp(`stopped by ${seen} after \\d+ env steps`));
      const ck = loadCheckpoint(join(out, 'checkpoint.bin'));
      expect(ck.run.envSteps).toBeGreaterThanOrEqual(100);
      expect(ck.run.envSteps).toBeLessThan(100_000);
      expect(rowsOf(out).at(-1)!.envSteps).toBeLessThanOrEqual(ck.run.envSteps);

      const more = npmRun('train', [...TINY, '--steps', String(ck.run.envSteps + 200), '--out', out, '--resume']);
      const r2 = await more.done;
      expect(r2.code, r2.out).toBe(0);
      expect(r2.out).toMatch(new RegExp(`resumed from .* at ${ck.run.envSteps} env steps`));
      const steps = rowsOf(out).map((x) => x.envSteps);
      for (let i = 1; i < steps.length; i++) expect(steps[i]).toBeGreaterThan(steps[i - 1]);
      expect(steps.at(-1)).toBe(ck.run.envSteps + 200);
    }, 120_000);
  }
});

describe('npm start', () => {
  for (const [how, signal, target] of [
    ['SIGTERM to npm\'s process id', 'SIGTERM', 'npm'],
    ['SIGTERM to the printed process id', 'SIGTERM', 'printed'],
    ['SIGHUP to the printed process id', 'SIGHUP', 'printed'],
    ['Ctrl-C (SIGINT to the process group)', 'SIGINT', 'group'],
  ] as const) {
    it(`${how} stops the trainer with a checkpoint, frees the port and leaves no process`, async () => {
      const out = join(dir, `start-${signal}-${target}`);
      const run = npmRun('start', ['--tasks', 'reach', '--demos', '0', '--envs', '4', '--log-every', '100', '--port', '0', '--out', out], { group: target === 'group' });
      const url = await run.waitFor(/viewer: http:\/\/127\.0\.0\.1:(\d+)\//, 90_000);
      const port = Number(url[1]);
      const printed = Number((await run.waitFor(/process (\d+): Ctrl-C or `kill \d+` stops it cleanly/, 10_000))[1]);
      const tree = treeOf(run.pid);
      expect(tree.slice(0, 2)).toEqual([run.pid, printed]); // npm, then the server itself
      expect(commandOf(printed)).toMatch(/^node --import tsx server\/main\.ts /);
      expect(await portOpen(port)).toBe(true);
      // Training under way: its first metrics row on the terminal (a fixed wait after start-up could
      // end before the first step on a loaded machine).
      await run.waitFor(/\[\d+ steps/, 90_000);
      if (target === 'group') process.kill(-run.pid, signal);
      else process.kill(target === 'npm' ? run.pid : printed, signal);
      const r = await run.done;
      expect(r.out).toMatch(new RegExp(`${signal}: stopping \\(the trainer writes a checkpoint first\\)`));
      expect(r.out).not.toMatch(/Error|error:/);
      await until(() => tree.every((p) => !alive(p)), 20_000, 'every process to exit');
      expect(await portOpen(port)).toBe(false);
      expect(loadCheckpoint(join(out, 'checkpoint.bin')).run.envSteps).toBeGreaterThan(0);
    }, 150_000);
  }
});
