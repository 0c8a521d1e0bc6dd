// What `npm start` trains when given no training flags: one policy on every built-in task, with its
// own budget, evaluation interval, task-sampling temperature and demonstrations ended at success
// (server/main.ts). The run is started for real (without demonstrations, to keep it short), its
// configuration read from the run folder, and stopped.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { taskNames } from '../../sim/registry.ts';
import { suiteTasks } from '../../sim/suites.ts';
import { npmRun, until } from './processes.ts';

const dir = mkdtempSync(join(tmpdir(), 'rrl-start-defaults-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('npm start with no task or budget flags trains every built-in task, 400,000 env steps, evaluating every 40,000, sampling at temperature 0.15, demonstrations ended at success', async () => {
  const out = join(dir, 'viewer');
  const run = npmRun('start', ['--demos', '0', '--port', '0', '--out', out]);
  try {
    await run.waitFor(/viewer: http:\/\/127\.0\.0\.1:\d+\//, 90_000);
    const line = (await run.waitFor(/training: (\S+) SAC on (.*), (\d+) env steps, output in /, 10_000));
    expect(line[2].split(', ')).toEqual(taskNames());
    expect(taskNames()).toEqual(suiteTasks('all'));
    expect(taskNames().length).toBeGreaterThanOrEqual(14);
    expect(Number(line[3])).toBe(400_000);
    await until(() => existsSync(join(out, 'config.json')), 60_000, 'config.json in the run folder');
    const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { tasks: string[]; envSteps: number; evalEvery: number; seed: number; strategy: string; sampleTemperature: number; demoEndOnSuccess: boolean };
    expect(cfg.tasks).toEqual(taskNames());
    expect(cfg.envSteps).toBe(400_000);
    expect(cfg.evalEvery).toBe(40_000);
    expect(cfg.seed).toBe(1);
    expect([cfg.strategy, cfg.sampleTemperature]).toEqual(['weighted', 0.15]);
    expect(cfg.demoEndOnSuccess).toBe(true);
  } finally {
    process.kill(run.pid, 'SIGTERM');
    await run.done;
  }
}, 150_000);
