// Shared flag handling for the command-line tools: Node's own util.parseArgs in strict mode (an
// unknown flag or a missing value is an error naming it), plus typed number checks.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export function intFlag(name: string, value: string | undefined, def: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return def;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer in [${min}, ${max}], got "${value}"`);
  return n;
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
