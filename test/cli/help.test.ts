// Every CLI that takes training settings reads them from the one declaration (agents/config.ts):
// its --help lists every such flag, generated, with the suites; --suite and --tasks together are
// refused; a bad setting is refused naming its flag and range, the same in every CLI.
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { walk } from '../../agents/cli/options.ts';
import { SETTINGS } from '../../agents/config.ts';
import { TSX_LOADER } from '../../agents/bench/sweep.ts';

const root = resolve(import.meta.dirname, '../..');
const cli = (script: string, args: string[]) => spawnSync(process.execPath, ['--import', TSX_LOADER, join(root, script), ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
const flags = walk(SETTINGS).map(([, s]) => `--${s.flag}`);
const BENCH_SETTINGS = ['--tasks', '--eval-episodes', '--reward', '--her', '--batch', '--utd', '--learning-starts', '--replay', '--demos', '--hidden'];

describe('--help, generated from the declarations', () => {
  it.each([
    ['agents/cli/train.ts', flags],
    ['server/main.ts', flags],
    ['agents/bench/cli.ts', BENCH_SETTINGS],
    ['agents/cli/evaluate.ts', ['--tasks', '--seed', '--episodes', '--checkpoint']],
  ])('%s', (script, want) => {
    const r = cli(script, ['--help']);
    expect(r.status, r.stderr).toBe(0);
    for (const f of [...want, '--suite']) expect(r.stdout, f).toMatch(new RegExp(`^  ${f}\\b`, 'm'));
    expect(r.stdout).toMatch(/^  -h, --help +this text$/m);
    expect(r.stdout).toMatch(/^Suites \(--suite NAME\):\n  mt4 +reach,push,pick-place,peg-insert$/m);
  }, 60_000);

  it('npm start shows its own defaults for the settings it takes its own way', () => {
    const r = cli('server/main.ts', ['--help']);
    const text = r.stdout.replace(/\s+/g, ' ');
    expect(text).toContain('--seed N seeds training, the env resets and the random policy; an integer from 0 to 2,147,483,647 (default: 1)');
    expect(text).toContain('(default: runs/viewer)');
  }, 60_000);
});

describe('the same refusals in every CLI', () => {
  it.each([
    ['agents/cli/train.ts', ['--suite', 'mt4', '--tasks', 'reach'], '--suite and --tasks both give the tasks: use one of them'],
    ['server/main.ts', ['--suite', 'mt4', '--tasks', 'reach'], '--suite and --tasks both give the tasks: use one of them'],
    ['agents/bench/cli.ts', ['--suite', 'mt4', '--tasks', 'reach'], '--suite and --tasks both give the tasks: use one of them'],
    ['agents/cli/evaluate.ts', ['--checkpoint', 'x.bin', '--suite', 'mt4', '--tasks', 'reach'], '--suite and --tasks both give the tasks: use one of them'],
    ['agents/cli/train.ts', ['--suite', 'mt99'], '--suite: unknown suite "mt99"; known suites: mt4'],
    ['agents/cli/train.ts', ['--gamma', '1'], '--gamma must be a number above 0 and below 1 (plain decimal), got "1"'],
    ['server/main.ts', ['--gamma', '1'], '--gamma must be a number above 0 and below 1 (plain decimal), got "1"'],
    ['agents/bench/cli.ts', ['--utd', '0'], '--utd must be a number above 0 and at most 64 (plain decimal), got "0"'],
    ['agents/cli/train.ts', ['--descriptor', 'text'], '--descriptor must be one of onehot, metadata, language, got "text"'],
    ['server/main.ts', ['--budget', '5000'], '--budget was renamed: the training budget in env steps is --steps, as in npm run train'],
    ['server/main.ts', ['--policy', 'expert', '--arch', 'concat'], '--arch: training settings, which do not apply to --policy rollouts'],
  ])('%s %j', (script, args, message) => {
    const r = cli(script, args);
    expect(r.stderr).toContain(`error: ${message}`);
    expect(r.status).toBe(2);
  }, 60_000);
});
