// Options several CLIs share beside the training settings: a named task suite in place of --tasks,
// and the tensor backend.
import { UsageError } from '../../sim/cli/args.ts';
import { suiteNames, suitesHelp, suiteTasks } from '../../sim/suites.ts';
import { GROUPS } from '../config.ts';
import { text } from './options.ts';

export const SUITE = text({ default: null, none: 'none', flag: 'suite', metavar: 'NAME', group: GROUPS.tasks, help: `a named task list instead of --tasks (${suiteNames().join(', ')}; listed below)` });

export const BACKEND = text({ default: null, none: 'the fastest available', flag: 'backend', metavar: 'NAME', group: 'Run', help: 'force a tensor backend (README, "Tensor backends")' });

/** The tasks given by --suite or --tasks (one of them; neither: undefined). */
export function tasksOf(suite: string | null, tasks: string[] | undefined): string[] | undefined {
  if (suite !== null && tasks !== undefined) throw new UsageError('--suite and --tasks both give the tasks: use one of them');
  if (suite === null) return tasks;
  try {
    return suiteTasks(suite);
  } catch (e) {
    throw new UsageError(`--suite: ${(e as Error).message}`);
  }
}

/** The suites, for --help. */
export function suitesSection(): string {
  return `Suites (--suite NAME):\n${suitesHelp('  ')}`;
}
