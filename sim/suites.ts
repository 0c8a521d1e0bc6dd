// Named task lists, usable wherever tasks are given (`--suite mt10`): the families people compare
// against (Meta-World's MT10 shape), the original four, and a held-out split for adaptation tests
// (train on one list, test on tasks never trained on).
import { UnknownTaskError } from './registry.ts';

export interface Suite {
  tasks: readonly string[];
  description: string;
}

export const SUITES: Readonly<Record<string, Suite>> = {
  mt4: { tasks: ['reach', 'push', 'pick-place', 'peg-insert'], description: 'the first four tasks: reach, push, pick and place, peg insertion' },
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
