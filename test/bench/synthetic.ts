// A synthetic sweep folder with known curves (no training): two tasks, five seeds, single-task vs
// multihead; multi-task matches single-task on reach (every final 100%) and falls far behind on
// push (finals 5-30% against 80-95%), so push is a clear case of negative transfer.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DONE_FILE, parseCondition, planRuns, sweepSchema, type SweepSpec } from '../../agents/bench/spec.ts';

export const syntheticSpec: SweepSpec = sweepSchema.parse({
  version: 1, tasks: ['reach', 'push'], taskNames: ['reach', 'push'], conditions: ['single', 'multihead'].map(parseCondition),
  seeds: [0, 1, 2, 3, 4], budgetPerTask: 4000, evalEveryPerTask: 1000, evalEpisodes: 10, envsPerTask: 4, reward: 'sparse', herK: 4,
  batchSize: 64, utd: 0.25, learningStartsPerTask: 100, replayPerTask: 1000, hidden: [8],
});

/** Evaluation success at 1000, 2000, 3000 and 4000 env steps per task; the last is the final one. */
export const syntheticCurves: Record<string, Record<string, number[]>> = {
  'single-task/reach/0': { reach: [0.2, 0.8, 0.9, 1.0] },
  'single-task/reach/1': { reach: [0.4, 0.6, 0.9, 1.0] },
  'single-task/reach/2': { reach: [0.3, 0.7, 1.0, 1.0] },
  'single-task/reach/3': { reach: [0.2, 0.9, 1.0, 1.0] },
  'single-task/reach/4': { reach: [0.5, 0.8, 0.9, 1.0] },
  'single-task/push/0': { push: [0.1, 0.5, 0.9, 0.9] },
  'single-task/push/1': { push: [0.1, 0.3, 0.8, 0.8] },
  'single-task/push/2': { push: [0.2, 0.4, 0.7, 0.9] },
  'single-task/push/3': { push: [0.0, 0.5, 0.8, 0.85] },
  'single-task/push/4': { push: [0.1, 0.6, 0.9, 0.95] },
  'multihead-onehot/0': { reach: [0.9, 1.0, 1.0, 1.0], push: [0.0, 0.1, 0.1, 0.2] },
  'multihead-onehot/1': { reach: [0.8, 0.9, 1.0, 1.0], push: [0.0, 0.0, 0.1, 0.1] },
  'multihead-onehot/2': { reach: [1.0, 1.0, 1.0, 1.0], push: [0.0, 0.1, 0.2, 0.3] },
  'multihead-onehot/3': { reach: [0.9, 1.0, 1.0, 1.0], push: [0.1, 0.1, 0.1, 0.15] },
  'multihead-onehot/4': { reach: [0.7, 0.9, 1.0, 1.0], push: [0.0, 0.0, 0.0, 0.05] },
};

/** Writes the runs' metrics.jsonl, attempts.jsonl and done.json as train() and the sweep would. */
export function writeSyntheticSweep(sweep: string, spec: SweepSpec = syntheticSpec): void {
  planRuns(spec).forEach((run, k) => {
    const out = join(sweep, 'runs', run.id);
    mkdirSync(out, { recursive: true });
    const K = run.taskNames.length;
    const c = syntheticCurves[run.id];
    const rows = c[run.taskNames[0]].map((_, i) => ({
      envSteps: (i + 1) * 1000 * K,
      wallSeconds: (i + 1) * 5 * K,
      tasks: Object.fromEntries(run.taskNames.map((t) => [t, { evalSuccess: c[t][i] }])),
    }));
    writeFileSync(join(out, 'metrics.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    // Fixed times, a minute apart in plan order: the report's date is the last run's finish.
    const at = (min: number) => new Date(Date.UTC(2026, 0, 2, 3, min)).toISOString();
    writeFileSync(join(out, 'attempts.jsonl'), JSON.stringify({ startedAt: at(k), resumedFrom: 0, backend: 'test', pid: 1 }) + '\n');
    const final = run.taskNames.map((t) => ({ task: t, successRate: c[t][c[t].length - 1] }));
    writeFileSync(join(out, DONE_FILE), JSON.stringify({ final, wallSeconds: 20 * K, resumed: false, backend: 'test', finishedAt: at(k + 1) }));
  });
}
