// The --suite flag every CLI that takes tasks shares: a named task list in place of --tasks (one or
// the other), and the suites' section of --help.
import { suitesHelp, suiteTasks } from '../suites.ts';
import { UsageError } from './args.ts';

/** The tasks given by --suite or --tasks (one of them; neither: undefined). */
export function tasksOf(suite: string | null | undefined, tasks: string[] | undefined): string[] | undefined {
  if (suite != null && tasks !== undefined) throw new UsageError('--suite and --tasks both give the tasks: use one of them');
  if (suite == null) return tasks;
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
