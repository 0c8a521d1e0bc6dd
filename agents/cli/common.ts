// Options several CLIs share beside the training settings: a named task suite in place of --tasks,
// and the tensor backend. tasksOf and suitesSection live with the simulator's CLIs (sim/cli/suite-flag.ts).
import { suiteNames } from '../../sim/suites.ts';
import { GROUPS } from '../config.ts';
import { text } from './options.ts';

export { suitesSection, tasksOf } from '../../sim/cli/suite-flag.ts';

export const SUITE = text({ default: null, none: 'none', flag: 'suite', metavar: 'NAME', group: GROUPS.tasks, help: `a named task list instead of --tasks (${suiteNames().join(', ')}; listed below)` });

export const BACKEND = text({ default: null, none: 'the fastest available', flag: 'backend', metavar: 'NAME', group: 'Run', help: 'force a tensor backend (README, "Tensor backends")' });
