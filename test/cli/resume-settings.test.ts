// --resume continues a run with its own settings (its config.json), so "continue with --resume
// --out DIR", as the trainer prints, works for a run started with any flags; flags given with
// --resume change only those settings (a longer budget). Both `npm run train` and `npm start`.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../agents/config.ts';
import { savedSettings } from '../../agents/train/run-folder.ts';
import type { MetricsRow } from '../../agents/train/observer.ts';
import { npmRun } from './processes.ts';

const dir = mkdtempSync(join(tmpdir(), 'rrl-resume-settings-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TINY = ['--demos', '0', '--tasks', 'reach', '--envs', '2', '--hidden', '16,16', '--batch', '32', '--learning-starts', '50', '--eval-every', '0', '--eval-episodes', '2', '--log-every', '100'];
const configOf = (out: string) => JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { tasks: string[]; envSteps: number; batchSize: number; sac: { hidden: number[] } };
const lastRow = (out: string) => JSON.parse(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').at(-1)!) as MetricsRow;

describe('savedSettings', () => {
  it('takes the declared settings of config.json, not the folder or derived fields', () => {
    const d = join(dir, 'unit');
    mkdirSync(d, { recursive: true });
    expect(savedSettings(d)).toBeNull();
    writeFileSync(join(d, 'config.json'), JSON.stringify({ tasks: ['reach'], out: '/elsewhere', taskNames: ['reach'], envSteps: 500, sac: { hidden: [16, 16], notASetting: 1 } }));
    expect(savedSettings(d)).toEqual({ tasks: ['reach'], envSteps: 500, sac: { hidden: [16, 16] } });
  });

  it('names a malformed config.json', () => {
    const d = join(dir, 'bad');
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'config.json'), '{"tasks": [');
    expect(() => savedSettings(d)).toThrow(ConfigError);
    expect(() => savedSettings(d)).toThrow(/config\.json: not valid JSON/);
    writeFileSync(join(d, 'config.json'), '[1, 2]');
    expect(() => savedSettings(d)).toThrow(/not a settings object/);
  });
});

describe('--resume with only --out (and a new budget)', () => {
  it('npm run train: the run continues with its own tasks, network and batch', async () => {
    const out = join(dir, 'train');
    const first = await npmRun('train', [...TINY, '--steps', '300', '--out', out]).done;
    expect(first.code, first.out).toBe(0);
    expect(first.out).toContain(`done after 300 env steps`);
    const more = await npmRun('train', ['--out', out, '--resume', '--steps', '500']).done;
    expect(more.code, more.out).toBe(0);
    expect(more.out).toMatch(/resumed from .* at 300 env steps/);
    const cfg = configOf(out);
    expect(cfg.tasks).toEqual(['reach']);
    expect(cfg.sac.hidden).toEqual([16, 16]);
    expect(cfg.batchSize).toBe(32);
    expect(cfg.envSteps).toBe(500);
    expect(lastRow(out).envSteps).toBe(500);
  }, 120_000);

  it('npm start: the same, with its own defaults (every task) left out of it', async () => {
    const out = join(dir, 'start');
    const first = npmRun('start', [...TINY, '--steps', '200', '--port', '0', '--out', out]);
    await first.waitFor(/the source has finished/, 90_000);
    process.kill(first.pid, 'SIGTERM');
    await first.done;
    const more = npmRun('start', ['--out', out, '--resume', '--steps', '400', '--port', '0']);
    try {
      await more.waitFor(/resumed from .* at 200 env steps/, 90_000);
      await more.waitFor(/the source has finished/, 90_000);
    } finally {
      process.kill(more.pid, 'SIGTERM');
      await more.done;
    }
    expect(more.output()).toMatch(/training: multihead SAC on reach, 400 env steps/);
    expect(configOf(out).tasks).toEqual(['reach']);
    expect(lastRow(out).envSteps).toBe(400);
  }, 200_000);
});
