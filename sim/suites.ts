// Named task lists, usable wherever tasks are given (`--suite mt10`): the families people compare
// against (Meta-World's MT10 shape), the original four, and a held-out split for adaptation tests
// (train on one list, test on tasks never trained on).
import { taskNames, UnknownTaskError } from './registry.ts';

export interface Suite {
  tasks: readonly string[];
  description: string;
}

const MT10 = ['reach', 'push', 'pick-place', 'peg-insert', 'sweep-into', 'drawer-open', 'drawer-close', 'door-open', 'button-press', 'stack'] as const;

export const SUITES: Readonly<Record<string, Suite>> = {
  mt4: { tasks: ['reach', 'push', 'pick-place', 'peg-insert'], description: 'the first four tasks: reach, push, pick and place, peg insertion' },
  mt10: { tasks: MT10, description: "ten tasks in the shape of Meta-World's MT10 (stack and drawer-close in place of window-open and window-close)" },
  'heldout-train': { tasks: MT10, description: 'the training half of the held-out split: the mt10 tasks' },
  'heldout-test': { tasks: ['door-close', 'window-open', 'window-close', 'lever-pull'], description: 'the test half of the held-out split: four tasks never trained on' },
  // Every built-in task, in registration order (the held-out ones last).
  all: { tasks: taskNames(), description: 'every built-in task' },
};

export function suiteNames(): string[] {
  return Object.keys(SUITES);
}

/** The task names of a suite; an unknown name is an error listing the known ones. */
export function suiteTasks(name: string): string[] {
  const s = SUITES[name];
  if (!s) throw new UnknownTaskError(`unknown suite "${name}"; known suites: ${suiteNames().join(', ')}`);
  return [...s.tasks];
}

/** One line per suite, for --help texts. */
export function suitesHelp(indent = '  '): string {
  return suiteNames()
    .map((n) => `${indent}${n.padEnd(14)} ${SUITES[n].tasks.join(',')}`)
    .join('\n');
}
