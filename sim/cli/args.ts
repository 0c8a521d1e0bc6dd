// Shared flag handling for the command-line tools: Node's own util.parseArgs in strict mode (an
// unknown flag or a missing value is an error naming it), plus one strict number parser that every
// CLI uses. Numbers are plain decimals only: `Number()` would read "0x10" as 16, "1e15" as a
// quadrillion and "" as 0, so a typo could silently mean something else.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * Upper bounds of the common integer flags, documented in each CLI's usage. Beyond them a value is
 * a typo, not a plan (1e9 env steps is weeks of training on a laptop).
 */
export const MAX = {
  envSteps: 1_000_000_000,
  episodes: 1_000_000,
  envs: 4096,
  seed: 2 ** 32 - 1,
  batch: 65_536,
  hidden: 4096,
  replay: 10_000_000,
  demos: 100_000,
} as const;

/**
 * util.parseArgs with strict checking. A value that starts with "-" (as in `--envs -1`) is taken
 * as the value of the string option before it when it looks like a number, so the range check
 * below can answer it instead of parseArgs' "argument is ambiguous".
 */
export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T) {
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const name = a.startsWith('--') && !a.includes('=') ? a.slice(2) : null;
    const next = argv[i + 1];
    if (name && options[name]?.type === 'string' && next !== undefined && /^-[\d.]/.test(next)) {
      args.push(`${a}=${next}`);
      i++;
    } else args.push(a);
  }
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

// Decimal digits, no leading zeros ("010" is 8 in some languages and 10 in others).
const INTEGER = /^[+-]?(0|[1-9]\d*)$/;
const DECIMAL = /^[+-]?((0|[1-9]\d*)(\.\d*)?|\.\d+)$/;

/**
 * An integer flag in [min, max]; `def` when absent. Only decimal digits: hex, octal, binary,
 * leading zeros, exponents, fractions, blanks and thousands separators are refused with the
 * flag's name.
 */
export function intFlag(name: string, value: string | undefined, def: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return def;
  const n = INTEGER.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer from ${fmt(min)} to ${fmt(max)} (plain decimal digits), got "${value}"`);
  }
  return n + 0; // "-0" reads as 0
}

/** An optional integer flag: undefined when absent, else as intFlag. */
export function optIntFlag(name: string, value: string | undefined, min: number, max: number): number | undefined {
  return value === undefined ? undefined : intFlag(name, value, min, min, max);
}

/**
 * A real-number flag in [min, max] (or (min, max] with `minExclusive`); `def` when absent. Plain
 * decimals only ("0.25", "3", ".5"): no exponents, hex, Infinity or NaN.
 */
export function numFlag(name: string, value: string | undefined, def: number, min: number, max: number, opts: { minExclusive?: boolean } = {}): number {
  if (value === undefined) return def;
  const n = DECIMAL.test(value) ? Number(value) : NaN;
  const low = opts.minExclusive ? n <= min : n < min;
  if (!Number.isFinite(n) || low || n > max) {
    const range = opts.minExclusive ? `above ${fmt(min)} and at most ${fmt(max)}` : `from ${fmt(min)} to ${fmt(max)}`;
    throw new UsageError(`--${name} must be a number ${range} (plain decimal), got "${value}"`);
  }
  return n + 0;
}

/** An optional real-number flag: undefined when absent, else as numFlag. */
export function optNumFlag(name: string, value: string | undefined, min: number, max: number, opts: { minExclusive?: boolean } = {}): number | undefined {
  return value === undefined ? undefined : numFlag(name, value, 0, min, max, opts);
}

/** 1000000 as "1,000,000", 4294967295 as "4,294,967,295": ranges people can read. */
export function fmt(n: number): string {
  return Number.isInteger(n) ? n.toLocaleString('en-US') : String(n);
}

export function listFlag(value: string | undefined, def: string[]): string[] {
  if (value === undefined) return def;
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new UsageError('expected a comma-separated list, got an empty one');
  return items;
}

/** Runs a CLI main function: usage errors print the message and the usage text, exit code 2. */
export async function runCli(usage: string, main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (e) {
    const err = e as Error;
    if (err instanceof UsageError) {
      console.error(`error: ${err.message}\n\n${usage}`);
      process.exitCode = 2;
    } else {
      console.error(`error: ${err.message}`);
      process.exitCode = 1;
    }
  }
}
