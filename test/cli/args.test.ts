// The one number parser every CLI uses: plain decimals only, documented ranges, and the project's
// own message for a negative value (not parseArgs' "ambiguous"). Unit tests of the parser, then
// each CLI run for real with a bad number, to show it goes through that parser.
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TSX_LOADER } from '../../agents/bench/sweep.ts';
import { intFlag, MAX, numFlag, optIntFlag, parseFlags, UsageError } from '../../sim/cli/args.ts';

const root = resolve(import.meta.dirname, '../..');

describe('intFlag', () => {
  it('reads plain decimal integers and the default', () => {
    expect(intFlag('n', undefined, 7)).toBe(7);
    expect(intFlag('n', '5', 0)).toBe(5);
    expect(intFlag('n', '+5', 0)).toBe(5);
    expect(intFlag('n', '0', 1, 0)).toBe(0);
    expect(Object.is(intFlag('n', '-0', 1, 0), 0)).toBe(true);
    expect(intFlag('steps', '1000000000', 1, 1, MAX.envSteps)).toBe(1e9);
  });

  it('refuses every other notation, naming the flag and the range', () => {
    for (const v of ['0x10', '0X10', '0o10', '0b1', '010', '1e5', '1E5', '1.5', '1.', '', ' 5', '5 ', '1_000', '1,000', 'NaN', 'Infinity', 'ten', '--5', '9007199254740993']) {
      expect(() => intFlag('seed', v, 0, 0, MAX.seed), v).toThrow(UsageError);
      expect(() => intFlag('seed', v, 0, 0, MAX.seed), v).toThrow(`--seed must be an integer from 0 to 4,294,967,295 (plain decimal digits), got "${v}"`);
    }
  });

  it('refuses values outside the range, the documented maxima included', () => {
    expect(() => intFlag('envs', '-1', 1, 1, MAX.envs)).toThrow('--envs must be an integer from 1 to 4,096 (plain decimal digits), got "-1"');
    expect(() => intFlag('steps', '1000000001', 1, 1, MAX.envSteps)).toThrow(/from 1 to 1,000,000,000/);
    expect(() => intFlag('episodes', '1000000000000', 1, 1, MAX.episodes)).toThrow(/from 1 to 1,000,000/);
    expect(optIntFlag('port', undefined, 0, 65535)).toBeUndefined();
    expect(() => optIntFlag('port', '65536', 0, 65535)).toThrow(/--port must be an integer from 0 to 65,535/);
  });
});

describe('numFlag', () => {
  it('reads plain decimals', () => {
    expect(numFlag('utd', '0.25', 1, 0, 64, { minExclusive: true })).toBe(0.25);
    expect(numFlag('utd', '.5', 1, 0, 64)).toBe(0.5);
    expect(numFlag('utd', '3', 1, 0, 64)).toBe(3);
    expect(numFlag('utd', '3.', 1, 0, 64)).toBe(3);
    expect(numFlag('utd', undefined, 1, 0, 64)).toBe(1);
  });

  it('refuses exponents, hex, non-finite values and the excluded minimum', () => {
    for (const v of ['1e-3', '0x1', 'Infinity', '-Infinity', 'NaN', '', '.', '1/2', '00.5']) expect(() => numFlag('utd', v, 1, 0, 64), v).toThrow(/--utd must be a number from 0 to 64 \(plain decimal\)/);
    expect(() => numFlag('utd', '0', 1, 0, 64, { minExclusive: true })).toThrow('--utd must be a number above 0 and at most 64 (plain decimal), got "0"');
    expect(() => numFlag('utd', '64.5', 1, 0, 64)).toThrow(/from 0 to 64/);
  });
});

describe('parseFlags', () => {
  const opts = { envs: { type: 'string' }, seed: { type: 'string' }, json: { type: 'boolean' } } as const;
  it('hands a negative number to the range check instead of answering "ambiguous"', () => {
    expect(parseFlags(['--envs', '-1'], opts).values.envs).toBe('-1');
    expect(parseFlags(['--envs', '-1.5', '--seed', '3'], opts).values).toEqual({ envs: '-1.5', seed: '3' });
    expect(parseFlags(['--envs=-2'], opts).values.envs).toBe('-2');
  });
  it('still refuses unknown flags and missing values by name', () => {
    expect(() => parseFlags(['--nope'], opts)).toThrow(/Unknown option '--nope'/);
    expect(() => parseFlags(['--envs'], opts)).toThrow(/--envs/);
    expect(() => parseFlags(['--json', '-1'], opts)).toThrow(UsageError);
  });
});

describe('every CLI uses it', () => {
  const cli = (script: string, args: string[]) => spawnSync(process.execPath, ['--import', TSX_LOADER, join(root, script), ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  it.each([
    ['agents/cli/train.ts', ['--steps', '1e15'], '--steps must be an integer from 1 to 1,000,000,000 (plain decimal digits), got "1e15"'],
    ['agents/cli/train.ts', ['--seed', '0x10'], '--seed must be an integer from 0 to 4,294,967,295 (plain decimal digits), got "0x10"'],
    ['agents/cli/train.ts', ['--envs', '-1'], '--envs must be an integer from 1 to 4,096 (plain decimal digits), got "-1"'],
    ['agents/cli/train.ts', ['--max-minutes', '0'], '--max-minutes must be above 0, got "0"; leave it out for no time limit'],
    ['agents/cli/evaluate.ts', ['--checkpoint', 'x.bin', '--episodes', '1e12'], '--episodes must be an integer from 1 to 1,000,000 (plain decimal digits), got "1e12"'],
    ['sim/cli/rollout.ts', ['--envs', '-1'], '--envs must be an integer from 4 to 4,096 (plain decimal digits), got "-1"'],
    ['agents/bench/cli.ts', ['--out', join(root, 'runs', 'never-created'), '--budget', '1e15'], '--budget must be an integer from 1 to 1,000,000,000 (plain decimal digits), got "1e15"'],
    ['server/main.ts', ['--seed', '0x10'], '--seed must be an integer from 0 to 2,147,483,647 (plain decimal digits), got "0x10"'],
  ])('%s %j', (script, args, message) => {
    const r = cli(script, args);
    expect(r.stderr).toContain(`error: ${message}`);
    expect(r.stderr).not.toMatch(/ambiguous/);
    expect(r.status).toBe(2);
  }, 60_000);
});
