// Calling a task's hooks so that a broken task fails clearly, never silently: during every call
// Math.random throws (a hook must draw from the env's seeded generator, or seeded runs stop
// reproducing), and any error leaves as a TaskHookError whose message names the task (and its
// file), the hook, the env and the episode step, with the original error as `cause` and its stack
// appended to this error's stack. The checks of what hooks return live here too.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeTask, type TaskDefinition } from './task.ts';

export type HookName = 'initializeEpisode' | 'achievedGoal' | 'isSuccess' | 'denseReward' | 'expert';

/** Where a hook ran: an env and its episode step, or a row of a computeReward batch. */
export type HookSite = { env: number; step: number } | { row: number };

export class TaskHookError extends Error {
  override name = 'TaskHookError';
  constructor(
    readonly task: string,
    readonly hook: HookName,
    readonly site: HookSite,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    const cause = options?.cause;
    if (cause instanceof Error && cause.stack) this.stack = `${this.stack}\nCaused by: ${cause.stack}`;
  }
}

/**
 * A problem the simulator found with what a task did (a bad placement, a wrong return value): its
 * message goes into the TaskHookError as it is, without "threw".
 */
export class TaskUsageError extends Error {
  override name = 'TaskUsageError';
}

// Math.random is replaced once by a wrapper that throws while a hook runs and otherwise calls the
// function it replaced. (Swapping Math.random in and out around every hook call cost about 7% of a
// push step: V8 deoptimises around writes to the Math object.) If something else replaces
// Math.random later, the next hook call wraps the new one.
let inHook = 0;
let randomCalls = 0;
let outside: () => number = Math.random;
function guardedRandom(): number {
  if (inHook === 0) return outside();
  randomCalls++;
  throw new TaskUsageError("called Math.random(): a task must draw from the env's seeded generator (ctx.rng in initializeEpisode), or seeded runs stop reproducing");
}
function guardRandom(): void {
  if (Math.random === guardedRandom) return;
  outside = Math.random;
  Math.random = guardedRandom;
}

function where(task: TaskDefinition, hook: HookName, site: HookSite): string {
  const at = 'env' in site ? `env ${site.env}, episode step ${site.step}` : `computeReward row ${site.row}`;
  return `${describeTask(task)}, hook ${hook}, ${at}`;
}

const SIM_DIR = dirname(fileURLToPath(import.meta.url));

/**
 * Where in the task's own code an error arose, e.g. "/home/me/lift.ts:17:30": the first stack frame
 * outside the simulator's files (a built-in task's file under sim/tasks/ counts as the task's).
 */
function origin(e: Error): string | null {
  for (const line of e.stack?.split('\n') ?? []) {
    if (!/^\s+at /.test(line)) continue;
    const m = /\(([^()]+)\)\s*$/.exec(line) ?? /at (.+)$/.exec(line);
    if (!m) continue;
    const at = m[1].trim().replace(/^file:\/\//, '');
    if (at.startsWith('node:') || (at.startsWith(`${SIM_DIR}/`) && !at.startsWith(`${SIM_DIR}/tasks/`))) continue;
    return at;
  }
  return null;
}

/** The TaskHookError for `problem` found in `hook` at `site`. */
export function hookError(task: TaskDefinition, hook: HookName, site: HookSite, problem: string, cause?: unknown): TaskHookError {
  return new TaskHookError(task.name, hook, site, `${where(task, hook, site)}: ${problem}`, cause === undefined ? undefined : { cause });
}

/** Runs one hook call with Math.random forbidden; any error becomes a TaskHookError. */
export function callHook<T>(task: TaskDefinition, hook: HookName, site: HookSite, fn: () => T): T {
  guardRandom();
  const calls = randomCalls;
  inHook++;
  try {
    const out = fn();
    // The hook caught the error Math.random threw and went on: still a broken task.
    if (randomCalls !== calls) throw new TaskUsageError("called Math.random() (and caught the error it threw): a task must draw from the env's seeded generator (ctx.rng)");
    return out;
  } catch (e) {
    if (e instanceof TaskHookError) throw e;
    const err = e instanceof Error ? e : new Error(String(e));
    const at = origin(err);
    const problem = e instanceof TaskUsageError ? err.message : `threw ${err.name}: ${err.message}`;
    throw hookError(task, hook, site, `${problem}${at ? ` (at ${at})` : ''}`, err);
  } finally {
    inHook--;
  }
}

const show = (v: unknown): string => {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v && typeof v === 'object' && typeof (v as ArrayLike<unknown>).length === 'number') return `[${Array.from(v as ArrayLike<unknown>).map(String).join(', ')}]`;
  return String(v);
};

/** True when `v` is array-like with exactly `n` entries. */
function hasLength(v: unknown, n: number): v is ArrayLike<unknown> {
  return v !== null && typeof v === 'object' && (v as ArrayLike<unknown>).length === n;
}

/** Checks a hook's vector result: exactly n numbers, finite unless `allowNonFinite`. */
export function checkVector(task: TaskDefinition, hook: HookName, site: HookSite, v: unknown, n: number, what: string, allowNonFinite = false): ArrayLike<number> {
  if (!hasLength(v, n)) {
    const len = v !== null && typeof v === 'object' && typeof (v as ArrayLike<unknown>).length === 'number' ? `${(v as ArrayLike<unknown>).length} entries` : typeof v;
    throw hookError(task, hook, site, `returned ${show(v)} (${len}); ${what} must be ${n} numbers`);
  }
  for (let k = 0; k < n; k++) {
    const x = v[k];
    if (typeof x !== 'number' || (!allowNonFinite && !Number.isFinite(x))) {
      throw hookError(task, hook, site, `returned ${show(v)}: entry ${k} is ${show(x)}; ${what} must be ${n} finite numbers`);
    }
  }
  return v as ArrayLike<number>;
}

export function checkSuccess(task: TaskDefinition, site: HookSite, v: unknown): boolean {
  if (typeof v !== 'boolean') throw hookError(task, 'isSuccess', site, `returned ${show(v)} (${v === null ? 'null' : typeof v}); isSuccess must return true or false`);
  return v;
}

export function checkDense(task: TaskDefinition, site: HookSite, v: unknown): number {
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) {
    throw hookError(task, 'denseReward', site, `returned ${show(v)}; denseReward must be a number in [0, 1] (1 on success)`);
  }
  return v;
}
