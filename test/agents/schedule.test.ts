// The end of a run happens once: when the budget is a multiple of the evaluation interval, when
// an evaluation meets --stop-at-success, when the time limit is reached, and when a finished run
// is resumed, the trainer evaluates, writes a row and checkpoints at most once per env step (it
// used to evaluate and checkpoint twice and add a zero-rate row). Real training on a real Rapier
// world; only the calls to evaluate() and saveCheckpoint() are counted (and, for the success
// target, one evaluation's figures replaced).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import * as checkpoint from '../../agents/checkpoint.ts';
import { makeConfig } from '../../agents/config.ts';
import * as evaluation from '../../agents/evaluate.ts';
import { selectBackend } from '../../agents/tensor/index.ts';
import type { MetricsRow, TrainObserver } from '../../agents/train/observer.ts';
import { train, type TrainOptions } from '../../agents/train/train.ts';

vi.mock('../../agents/checkpoint.ts', async (importOriginal) => {
  const m = await importOriginal<typeof import('../../agents/checkpoint.ts')>();
  return { ...m, saveCheckpoint: vi.fn(m.saveCheckpoint) };
});
vi.mock('../../agents/evaluate.ts', async (importOriginal) => {
  const m = await importOriginal<typeof import('../../agents/evaluate.ts')>();
  return { ...m, evaluate: vi.fn(m.evaluate) };
});

const dir = mkdtempSync(join(tmpdir(), 'rrl-schedule-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  await selectBackend({ log: false });
});
const save = vi.mocked(checkpoint.saveCheckpoint);
const evaluate = vi.mocked(evaluation.evaluate);
/** Env steps of every checkpoint.bin write since the last reset (best.bin writes are not counted). */
let saved: number[] = [];
const checkpointsAt = () => saved;
const resetCounts = () => {
  vi.clearAllMocks();
  saved = [];
};
beforeEach(async () => {
  resetCounts();
  const actual = await vi.importActual<typeof import('../../agents/checkpoint.ts')>('../../agents/checkpoint.ts');
  // Read at the call: the trainer's run state is the same object at every checkpoint.
  save.mockImplementation((path, c) => {
    if (basename(path) === 'checkpoint.bin') saved.push(c.run.envSteps);
    actual.saveCheckpoint(path, c);
  });
});
const rowsOf = (out: string) => readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as MetricsRow);
const base = { tasks: ['reach'], demoEpisodes: 0, numEnvs: 4, learningStartsPerTask: 50, batchSize: 32, evalEpisodes: 2, logEvery: 100, sac: { hidden: [16, 16] } };

describe('the end of a run, once', () => {
  it('budget a multiple of the evaluation and checkpoint intervals: one final evaluation, row and checkpoint', async () => {
    const out = join(dir, 'multiple');
    const r = await train(makeConfig({ ...base, envSteps: 800, evalEvery: 400, checkpointEvery: 400, out }), { log: () => {} });
    expect(r.stopReason).toBe('budget');
    expect(evaluate).toHaveBeenCalledTimes(2); // at 400 and 800
    expect(checkpointsAt()).toEqual([400, 800]);
    const rows = rowsOf(out);
    expect(rows.map((x) => x.envSteps)).toEqual([100, 200, 300, 400, 500, 600, 700, 800]);
    // no zero-rate row: every row covers env steps and updates of its own
    for (const row of rows) expect(row.envStepsPerSec).toBeGreaterThan(0);
    expect(rows.at(-1)!.tasks.reach.evalSuccess).toBe(r.final[0].successRate);

    // Resumed when already finished: nothing is evaluated, logged or saved again.
    resetCounts();
    const again = await train(makeConfig({ ...base, envSteps: 800, evalEvery: 400, checkpointEvery: 400, out }), { resume: true, log: () => {} });
    expect(again.stopReason).toBe('budget');
    expect(evaluate).not.toHaveBeenCalled();
    expect(checkpointsAt()).toEqual([]);
    expect(rowsOf(out)).toEqual(rows);
    expect(again.final).toEqual(r.final);
  }, 120_000);

  it('a budget off the grids still ends with exactly one evaluation, row and checkpoint at its last step', async () => {
    const out = join(dir, 'off-grid');
    const r = await train(makeConfig({ ...base, envSteps: 700, evalEvery: 300, checkpointEvery: 500, logEvery: 250, out }), { log: () => {} });
    expect(evaluate).toHaveBeenCalledTimes(3); // 300, 600 and the final one at 700
    expect(checkpointsAt()).toEqual([500, 700]);
    expect(rowsOf(out).map((x) => x.envSteps)).toEqual([252, 300, 500, 600, 700]);
    expect(r.final).toHaveLength(1);
  }, 120_000);

  it('stop at success: the evaluation that meets it is the final one, with one row and one checkpoint', async () => {
    const out = join(dir, 'target');
    evaluate.mockImplementationOnce(async (_agent, tasks) => tasks.map((t) => ({ task: t.name, episodes: 2, successRate: 0.5, meanReturn: -30, meanLength: 50, resetReasons: { success: 1, timeLimit: 1, invalidState: 0 } })));
    evaluate.mockImplementationOnce(async (_agent, tasks) => tasks.map((t) => ({ task: t.name, episodes: 2, successRate: 1, meanReturn: -5, meanLength: 6, resetReasons: { success: 2, timeLimit: 0, invalidState: 0 } })));
    const lines: string[] = [];
    const r = await train(makeConfig({ ...base, envSteps: 2000, evalEvery: 200, checkpointEvery: 1000, stopAtSuccess: 0.9, out }), { log: (l) => lines.push(l) });
    expect(r.stopReason).toBe('target');
    expect(r.envSteps).toBe(400);
    expect(evaluate).toHaveBeenCalledTimes(2);
    expect(checkpointsAt()).toEqual([400]);
    const rows = rowsOf(out);
    expect(rows.map((x) => x.envSteps)).toEqual([100, 200, 300, 400]);
    expect(rows.at(-1)!.tasks.reach.evalSuccess).toBe(1);
    expect(r.final[0].successRate).toBe(1);
    expect(lines.filter((l) => /eval @ 400/.test(l))).toHaveLength(1);
  }, 120_000);

  it('time limit: one final evaluation, row and checkpoint where it stopped; a resume past the limit adds nothing', async () => {
    const out = join(dir, 'time');
    const cfg = makeConfig({ ...base, envSteps: 1_000_000, evalEvery: 0, checkpointEvery: 1_000_000, maxSeconds: 2, out });
    const r = await train(cfg, { log: () => {} });
    expect(r.stopReason).toBe('time');
    expect(evaluate).toHaveBeenCalledTimes(1);
    expect(checkpointsAt()).toEqual([r.envSteps]);
    const rows = rowsOf(out);
    expect(rows.at(-1)!.envSteps).toBe(r.envSteps);
    expect(new Set(rows.map((x) => x.envSteps)).size).toBe(rows.length);
    resetCounts();
    const again = await train(cfg, { resume: true, log: () => {} });
    expect(again.stopReason).toBe('time');
    expect(again.envSteps).toBe(r.envSteps);
    expect(evaluate).not.toHaveBeenCalled();
    expect(checkpointsAt()).toEqual([]);
    expect(rowsOf(out)).toEqual(rows);
    expect(again.final).toEqual(r.final);
  }, 120_000);
});
