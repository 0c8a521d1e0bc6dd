// Task registry: built-in tasks by name (one file each under sim/tasks/), plus tasks loaded from a
// user's own .ts or .js file by path. Loading goes through defineTask, so a malformed definition is
// refused with a message naming the field.
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { defineTask, TaskDefinitionError, type TaskDefinition } from './task.ts';
import reach from './tasks/reach.ts';
import push from './tasks/push.ts';
import pickPlace from './tasks/pick-place.ts';
import pegInsert from './tasks/peg-insert.ts';
import drawerOpen from './tasks/drawer-open.ts';
import stack from './tasks/stack.ts';
// drawer-close, window-open, window-close, lever-pull
import drawerClose from './tasks/drawer-close.ts';
import windowOpen from './tasks/window-open.ts';
import windowClose from './tasks/window-close.ts';
import leverPull from './tasks/lever-pull.ts';
// sweep-into, button-press, door-open, door-close
import sweepInto from './tasks/sweep-into.ts';
import buttonPress from './tasks/button-press.ts';
import doorOpen from './tasks/door-open.ts';
import doorClose from './tasks/door-close.ts';

const registry = new Map<string, TaskDefinition>();
/** The names this module registers itself: every fresh copy of it (a worker thread's) knows them. */
const builtin = new Set<string>();

/** Registers a definition by its name; `source` (its file) appears in its error messages. */
export function registerTask(def: TaskDefinition, source?: string): TaskDefinition {
  const task = defineTask(def as unknown, source);
  if (registry.has(task.name)) throw new TaskDefinitionError(`a task named "${task.name}" is already registered`);
  registry.set(task.name, task);
  return task;
}

for (const t of [reach, push, pickPlace, pegInsert, drawerOpen, stack]) registerTask(t, `sim/tasks/${t.name}.ts`);
for (const t of [drawerClose, windowOpen, windowClose, leverPull]) registerTask(t, `sim/tasks/${t.name}.ts`);
for (const t of [sweepInto, buttonPress, doorOpen, doorClose]) registerTask(t, `sim/tasks/${t.name}.ts`);
for (const name of registry.keys()) builtin.add(name);

/** A built-in task's name (not one registered by code in this process). */
export function isBuiltinTask(name: string): boolean {
  return builtin.has(name);
}

/** The CLIs' default task list (the original four); every registered name is in taskNames(). */
export const BUILTIN_TASKS = ['reach', 'push', 'pick-place', 'peg-insert'] as const;

export function taskNames(): string[] {
  return [...registry.keys()];
}

export class UnknownTaskError extends Error {
  override name = 'UnknownTaskError';
}

export function getTask(name: string): TaskDefinition {
  const t = registry.get(name);
  if (!t) throw new UnknownTaskError(`unknown task "${name}"; known tasks: ${taskNames().join(', ')} (or give the path of a task file ending in .ts or .js)`);
  return t;
}

/** A registered name, or a definition object (validated). */
export function resolveTask(t: string | TaskDefinition): TaskDefinition {
  return typeof t === 'string' ? getTask(t) : defineTask(t as unknown);
}

/** True when a task argument names a file rather than a registered task. */
export function looksLikeTaskFile(arg: string): boolean {
  return /\.(m?ts|m?js)$/.test(arg) || arg.includes('/') || arg.includes('\\');
}

/**
 * Loads a task from a user's file: its default export (or an export named `task`) must be a task
 * definition. `.ts` files need the tsx loader, which the project's CLIs run under.
 */
export async function loadTaskFile(path: string): Promise<TaskDefinition> {
  const abs = isAbsolute(path) ? path : resolve(process.cwd(), path);
  if (!existsSync(abs)) throw new TaskDefinitionError(`task file ${path} does not exist`);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(abs).href)) as Record<string, unknown>;
  } catch (e) {
    throw new TaskDefinitionError(`task file ${path} could not be loaded: ${(e as Error).message}`);
  }
  // tsx may wrap a CommonJS-looking module's exports once more under `default`.
  let def = mod.default ?? mod.task;
  if (def && typeof def === 'object' && 'default' in def && !('name' in def)) def = (def as { default: unknown }).default;
  if (def === undefined) throw new TaskDefinitionError(`task file ${path} has no default export (export default { name, ... })`);
  return defineTask(def, path);
}

/** Resolves CLI task arguments: registered names or file paths. */
export async function resolveTaskArgs(args: string[]): Promise<TaskDefinition[]> {
  return resolveTasks(args);
}

/** Registered names, task-file paths or definition objects (validated), in order. */
export async function resolveTasks(entries: readonly (string | TaskDefinition)[]): Promise<TaskDefinition[]> {
  const out: TaskDefinition[] = [];
  for (const t of entries) {
    if (typeof t !== 'string') out.push(resolveTask(t));
    else out.push(looksLikeTaskFile(t) ? await loadTaskFile(t) : getTask(t));
  }
  return out;
}
