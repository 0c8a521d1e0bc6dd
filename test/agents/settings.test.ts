// Every training setting declared once (agents/config.ts): its default passes its own check, its
// flag is unique, values from code and from the command line are refused naming the setting, the
// flag and what is allowed, SAC's hyperparameters are exactly SacHyper's fields, and a CLI's own
// take on a setting (derive) changes only what it says.
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../sim/cli/args.ts';
import { given, helpEntry, optionsHelp, readFlags, walk } from '../../agents/cli/options.ts';
import { tasksOf } from '../../agents/cli/common.ts';
import { ConfigError, makeConfig, SETTINGS, targetClipOf, TRAIN_DEFAULTS } from '../../agents/config.ts';
import { SAC_DEFAULTS } from '../../agents/sac/update.ts';

const parse = (argv: string[]) => given(SETTINGS, readFlags(argv, [SETTINGS]));

describe('training settings', () => {
  it('each default passes its own check, and makeConfig() is the defaults', () => {
    for (const [path, s] of walk(SETTINGS)) expect(s.check(s.default), path).toBeNull();
    expect(makeConfig()).toEqual(TRAIN_DEFAULTS);
  });

  it('every setting has a flag, none twice', () => {
    const flags = walk(SETTINGS).map(([, s]) => s.flag);
    expect(flags.every((f) => typeof f === 'string' && f.length > 0)).toBe(true);
    expect(new Set(flags).size).toBe(flags.length);
  });

  it('the sac settings are SacHyper\'s fields but the seed, which the trainer passes', () => {
    expect(Object.keys(SETTINGS.sac).sort()).toEqual(Object.keys(SAC_DEFAULTS).filter((k) => k !== 'seed').sort());
  });

  it('the discount and temperature of training are declared where they are set, not overridden elsewhere', () => {
    expect(SETTINGS.sac.gamma.default).toBe(0.98);
    expect(SETTINGS.sac.gamma.help).toMatch(/HER/);
    expect(TRAIN_DEFAULTS.sac.initLogAlpha).toBeCloseTo(Math.log(0.1), 12);
    expect(targetClipOf(TRAIN_DEFAULTS)![0]).toBeCloseTo(-50, 9);
  });

  it('refuses bad values set in code, naming the setting, its flag and what is allowed', () => {
    const refused = (over: Parameters<typeof makeConfig>[0]) => {
      try {
        makeConfig(over);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as Error).message;
      }
      throw new Error(`accepted ${JSON.stringify(over)}`);
    };
    expect(refused({ utd: -1 })).toBe('utd (--utd): must be a number above 0 and at most 64, got -1');
    expect(refused({ envSteps: 1.5 })).toBe('envSteps (--steps): must be an integer from 1 to 1,000,000,000, got 1.5');
    expect(refused({ sac: { gamma: 1 } })).toBe('sac.gamma (--gamma): must be a number above 0 and below 1, got 1');
    expect(refused({ arch: 'film' as never })).toMatch(/^arch \(--arch\): must be one of concat, multihead, gated, moe, independent, soft, got "film"/);
    expect(refused({ numEnvs: 0 })).toBe('numEnvs (--envs): must be an integer from 1 to 4,096 or null (4 per task), got 0');
    expect(refused({ tasks: ['reach', 'reach'] })).toMatch(/^tasks \(--tasks\): .*none twice/);
    expect(refused({ sac: { logStdMin: -1, logStdMax: -2 } })).toMatch(/sac\.logStdMin \(--log-std-min\): must be below sac\.logStdMax/);
    expect(refused({ sac: { targetClip: [0, -1] } })).toMatch(/^sac\.targetClip \(--target-clip\): must be two finite numbers LO,HI with LO below HI/);
    expect(refused({ bogus: 1 } as never)).toMatch(/^bogus: unknown setting/);
    expect(refused({ sac: { seed: 3 } } as never)).toMatch(/^sac\.seed: unknown setting/);
    // two problems at once: both named
    expect(refused({ utd: 0, batchSize: 0 }).split('; ')).toHaveLength(2);
  });

  it('reads flags strictly, naming the flag and what is allowed', () => {
    expect(parse(['--steps', '5000', '--gamma', '0.99', '--hidden', '64,32', '--clip-targets', 'false', '--target-clip', '-10,0', '--max-minutes', '1.5'])).toEqual({
      envSteps: 5000,
      maxSeconds: 90,
      clipTargets: false,
      sac: { gamma: 0.99, hidden: [64, 32], targetClip: [-10, 0] },
    });
    const fails: [string[], string][] = [
      [['--steps', '1e15'], '--steps must be an integer from 1 to 1,000,000,000 (plain decimal digits), got "1e15"'],
      [['--gamma', '1'], '--gamma must be a number above 0 and below 1 (plain decimal), got "1"'],
      [['--gamma', '9e-1'], '--gamma must be a number above 0 and below 1 (plain decimal), got "9e-1"'],
      [['--utd', '0'], '--utd must be a number above 0 and at most 64 (plain decimal), got "0"'],
      [['--hidden', '64,0x10'], '--hidden must be an integer from 1 to 4,096 (plain decimal digits), got "0x10"'],
      [['--clip-targets', 'yes'], '--clip-targets must be true or false, got "yes"'],
      [['--arch', 'film'], '--arch must be one of concat, multihead, gated, moe, independent, soft, got "film"'],
      [['--tasks', 'reach,reach'], '--tasks: a task is listed twice'],
      [['--target-clip', '0,-1'], '--target-clip must be two plain decimals LO,HI with LO below HI, got "0,-1"'],
      [['--max-minutes', '0'], '--max-minutes must be above 0, got "0"; leave it out for no time limit'],
      [['--max-minutes', '-1'], '--max-minutes must be a number above 0 and at most 5,256,000 (plain decimal), got "-1"'],
      [['--nope', '1'], "Unknown option '--nope'"],
    ];
    for (const [argv, message] of fails) {
      expect(() => parse(argv), argv.join(' ')).toThrow(UsageError);
      expect(() => parse(argv), argv.join(' ')).toThrow(message);
    }
  });

  it('--help lines come from the declarations: what, allowed values, default', () => {
    expect(helpEntry(SETTINGS.utd)).toBe('  --utd X                 gradient updates per environment step (update-to-data ratio); a number\n                          above 0 and at most 64 (default: 0.25)');
    const help = optionsHelp([SETTINGS]);
    for (const [, s] of walk(SETTINGS)) expect(help).toContain(`--${s.flag}`);
    for (const g of ['Tasks and agent:', 'Budget and schedule:', 'Learning:', 'SAC hyperparameters:']) expect(help).toContain(g);
    expect(help).toContain('(default: 0.00000001)'); // adamEps as a plain decimal the flag accepts
    expect(help).toMatch(/--max-minutes M .*\n.*minutes, above 0/);
  });

  it('a CLI\'s own take on a setting changes what it says and nothing else', () => {
    const seed = SETTINGS.seed.derive({ default: 1, max: 2 ** 31 - 1 });
    expect(seed.default).toBe(1);
    expect(seed.flag).toBe('seed');
    expect(() => seed.parse('2147483648')).toThrow('--seed must be an integer from 0 to 2,147,483,647 (plain decimal digits), got "2147483648"');
    expect(SETTINGS.seed.parse('2147483648')).toBe(2147483648);
    expect(seed.help).toBe(SETTINGS.seed.help);
  });

  it('--suite and --tasks: one or the other', () => {
    expect(tasksOf(null, undefined)).toBeUndefined();
    expect(tasksOf(null, ['reach'])).toEqual(['reach']);
    expect(tasksOf('mt4', undefined)).toEqual(['reach', 'push', 'pick-place', 'peg-insert']);
    expect(() => tasksOf('mt4', ['reach'])).toThrow('--suite and --tasks both give the tasks: use one of them');
    expect(() => tasksOf('mt99', undefined)).toThrow(/--suite: unknown suite "mt99"; known suites: mt4/);
  });
});
