// The training loop and its observers, on real Rapier worlds with tiny real networks: two runs with
// the same seed and settings write the same rows (but for the wall-clock fields), whatever an
// observer does beside them (here: parking the loop); every row's time breakdown covers its
// interval with shares summing to 1, and puts evaluation, checkpoint and parked time where they
// happened; observers see each step's evaluation, row and checkpoint, in order.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeConfig } from '../../agents/config.ts';
import { selectBackend } from '../../agents/tensor/index.ts';
import { PHASES } from '../../agents/train/clock.ts';
import type { MetricsRow, StepView, TrainObserver, TrainResult } from '../../agents/train/observer.ts';
import { train } from '../../agents/train/train.ts';
import type { TrainRun } from '../../agents/train/run.ts';
import { loadCheckpoint } from '../../agents/checkpoint.ts';
import { tasksOnlyThisThreadKnows } from '../../agents/env-thread.ts';
import { getTask, registerTask } from '../../sim/registry.ts';

const dir = mkdtempSync(join(tmpdir(), 'rrl-train-loop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  await selectBackend({ log: false });
});

const base = { tasks: ['reach', 'push'], demoEpisodes: 4, numEnvs: 4, learningStartsPerTask: 50, batchSize: 32, evalEvery: 200, evalEpisodes: 2, logEvery: 100, checkpointEvery: 200, envSteps: 800, sac: { hidden: [16, 16] } };
const rowsOf = (out: string) => readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as MetricsRow);
/** A row without what the clock measures. */
const untimed = ({ wallSeconds: _w, envStepsPerSec: _e, updatesPerSec: _u, time: _t, ...rest }: MetricsRow) => rest;
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** Records what it sees, and parks the loop for 150 ms once (before the step from 100 env steps). */
class Watcher implements TrainObserver {
  calls: string[] = [];
  steps: { envSteps: number; evaluated: boolean; row: boolean; checkpointed: boolean; final: boolean }[] = [];
  result: TrainResult | null = null;
  start(): void {
    this.calls.push('start');
  }
  async beforeStep(run: { envSteps: number }): Promise<void> {
    if (run.envSteps === 100) await new Promise((r) => setTimeout(r, 150));
  }
  afterStep(step: StepView): void {
    this.steps.push({ envSteps: step.envSteps, evaluated: step.evaluation !== undefined, row: step.row !== undefined, checkpointed: step.checkpointed === true, final: step.final });
  }
  end(result: TrainResult): void {
    this.calls.push('end');
    this.result = result;
  }
}

describe('the training loop', () => {
  it('same seed and settings, same rows; time breakdowns that add up; observers in order', async () => {
    const watcher = new Watcher();
    const a = await train(makeConfig({ ...base, out: join(dir, 'a') }), { log: () => {}, observers: [watcher] });
    const b = await train(makeConfig({ ...base, out: join(dir, 'b') }), { log: () => {} });
    const rowsA = rowsOf(join(dir, 'a'));
    const rowsB = rowsOf(join(dir, 'b'));

    // Determinism: every logged number but the clock's, losses and temperatures included.
    expect(rowsA.map((r) => r.envSteps)).toEqual([100, 200, 300, 400, 500, 600, 700, 800]);
    expect(rowsA.at(-1)!.updates).toBeGreaterThan(0);
    expect(rowsB.map(untimed)).toEqual(rowsA.map(untimed));
    expect(b.final).toEqual(a.final);
    expect(b.updates).toBe(a.updates);

    // Time breakdown: each row's shares cover its interval and sum to 1.
    for (const r of rowsA) {
      expect(Object.keys(r.time.fractions).sort()).toEqual([...PHASES].sort());
      expect(Math.abs(sum(Object.values(r.time.fractions)) - 1), `row ${r.envSteps}`).toBeLessThan(1e-9);
      for (const f of Object.values(r.time.fractions)) expect(f).toBeGreaterThanOrEqual(0);
      expect(r.time.fractions.simulation).toBeGreaterThan(0);
      expect(r.time.fractions.acting).toBeGreaterThan(0);
    }
    const at = (steps: number) => rowsA.find((r) => r.envSteps === steps)!;
    // Updates once each task has an episode in replay (push's take 100 steps of its 2 envs: 400
    // env steps), then in every row.
    for (const s of [500, 600, 700, 800]) expect(at(s).time.fractions.updates, `row ${s}`).toBeGreaterThan(0);
    for (const s of [500, 600, 700, 800]) expect(at(s).time.fractions.sampling, `row ${s}`).toBeGreaterThan(0);
    expect(at(100).time.fractions.updates).toBe(0);
    // Evaluations (with best.bin writes) at 200, 400, 600, 800 land in those rows; checkpoint.bin
    // is written after the row of its step, so it lands in the next row.
    for (const s of [200, 400, 600, 800]) expect(at(s).time.fractions.evaluation, `row ${s}`).toBeGreaterThan(0);
    for (const s of [100, 300, 500, 700]) expect(at(s).time.fractions.evaluation, `row ${s}`).toBe(0);
    expect(at(100).time.fractions.checkpointing).toBe(0);
    expect(at(300).time.fractions.checkpointing).toBeGreaterThan(0);
    // Parked time (150 ms before the step from 100) is in the row's interval but not training time.
    expect(at(200).time.fractions.parked * at(200).time.seconds).toBeGreaterThanOrEqual(0.14);
    // Elsewhere only the observers' own awaits, a few ms at most even on a loaded machine (a share
    // of a short row would be at the mercy of the scheduler, so seconds are compared).
    for (const s of [100, 300, 400, 500, 600, 700, 800]) expect(at(s).time.fractions.parked * at(s).time.seconds, `row ${s}`).toBeLessThan(0.05);
    // A row's interval is the training time since the previous row (or the start) plus parked time.
    for (let i = 0; i < rowsA.length; i++) {
      const training = rowsA[i].wallSeconds - (i ? rowsA[i - 1].wallSeconds : 0);
      const parked = rowsA[i].time.fractions.parked * rowsA[i].time.seconds;
      expect(rowsA[i].time.seconds - parked, `row ${rowsA[i].envSteps}`).toBeCloseTo(training, 2);
    }
    // The session's breakdown, in the result: from its first step to its end.
    expect(Math.abs(sum(Object.values(a.time.fractions)) - 1)).toBeLessThan(1e-9);
    expect(a.time.seconds).toBeGreaterThan(sum(rowsA.map((r) => r.time.seconds)) - 1e-6);

    // Observers: start, a call per step with what the built-ins did there, end with the result.
    expect(watcher.calls).toEqual(['start', 'end']);
    expect(watcher.result).toEqual(a);
    expect(watcher.steps.map((s) => s.envSteps)).toEqual(Array.from({ length: 200 }, (_, i) => 4 * (i + 1)));
    expect(watcher.steps.filter((s) => s.evaluated).map((s) => s.envSteps)).toEqual([200, 400, 600, 800]);
    expect(watcher.steps.filter((s) => s.row).map((s) => s.envSteps)).toEqual([100, 200, 300, 400, 500, 600, 700, 800]);
    expect(watcher.steps.filter((s) => s.checkpointed).map((s) => s.envSteps)).toEqual([200, 400, 600, 800]);
    expect(watcher.steps.filter((s) => s.final).map((s) => s.envSteps)).toEqual([800]);
  }, 300_000);
});

describe('multi-task strategies in the loop', () => {
  it("weighted: each task's recent outcomes go into the checkpoint, and a resumed run starts from them", async () => {
    const out = join(dir, 'weighted');
    const cfg = { ...base, strategy: 'weighted' as const, successWindow: 3, out };
    await train(makeConfig({ ...cfg, envSteps: 600 }), { log: () => {} });
    // 600 env steps over 4 envs, 2 per task: reach (50-step episodes) ended 6, push (100 steps) 2.
    const saved = loadCheckpoint(join(out, 'checkpoint.bin')).run.recentSuccess!;
    expect(saved.map((w) => w.length)).toEqual([3, 2]);
    // the rows say how each batch was split once updates ran (base's batch: 32)
    const last = rowsOf(out).at(-1)!;
    expect(last.tasks.reach.batchRows! + last.tasks.push.batchRows!).toBe(32);
    let seen: number[][] | undefined;
    const probe: TrainObserver = { start: (run) => void (seen = structuredClone((run as TrainRun).state.recentSuccess)) };
    await train(makeConfig({ ...cfg, envSteps: 800 }), { resume: true, log: () => {}, observers: [probe] });
    expect(seen).toEqual(saved);
  });

  it('pcgrad and soft train end to end, and their checkpoints name what they trained with', async () => {
    for (const [name, over] of [['pcgrad', { arch: 'multihead', strategy: 'pcgrad' }], ['soft', { arch: 'soft', softLambda: 0.1, strategy: 'none' }]] as const) {
      const out = join(dir, name);
      const r = await train(makeConfig({ ...base, ...over, envSteps: 600, out }), { log: () => {} });
      expect(r.updates).toBeGreaterThan(0);
      const spec = loadCheckpoint(join(out, 'checkpoint.bin')).spec;
      expect([spec.arch, spec.strategy, spec.softLambda]).toEqual(name === 'pcgrad' ? ['multihead', 'pcgrad', undefined] : ['soft', 'none', 0.1]);
    }
  });
});

describe('envs shared among the tasks', () => {
  it('by episode length: the loop stores each env under the task the env worker runs, and says how the envs are shared', async () => {
    const seen: string[][] = [];
    const names = ['reach', 'peg-insert'];
    const check: TrainObserver = {
      afterStep(step: StepView) {
        seen.push(step.result.info.map((info, i) => `${info.task}=${names[step.taskOfEnv[i]]}`));
      },
    };
    const logs: string[] = [];
    const cfg = makeConfig({ ...base, tasks: names, demoEpisodes: 0, numEnvs: 8, envShare: 'episode-length', envSteps: 400, evalEvery: 0, out: join(dir, 'share') });
    await train(cfg, { log: (l) => logs.push(l), observers: [check] });
    expect(logs).toContain('envs: 8, by episode length (reach 2, peg-insert 6)');
    expect(seen).toHaveLength(50);
    for (const row of seen) {
      expect(row.filter((p) => p === 'reach=reach')).toHaveLength(2);
      expect(row.filter((p) => p === 'peg-insert=peg-insert')).toHaveLength(6);
    }
  });
});

describe('tasks registered by code', () => {
  it('train on this thread (a worker thread cannot load them), say so once, and give what the same tasks give in the worker', async () => {
    // Copies of reach and push under new names: the worker thread's registry has never heard of them.
    for (const t of ['reach', 'push']) registerTask({ ...getTask(t), name: `${t}-by-code` });
    expect(tasksOnlyThisThreadKnows(['reach', 'reach-by-code', './my-task.ts'])).toEqual(['reach-by-code']);
    const logs: string[] = [];
    await train(makeConfig({ ...base, tasks: ['reach-by-code', 'push-by-code'], out: join(dir, 'by-code') }), { log: (l) => logs.push(l) });
    await train(makeConfig({ ...base, out: join(dir, 'by-name') }), { log: () => {} });
    expect(logs.filter((l) => /registered by code/.test(l))).toEqual([
      'envs: "reach-by-code", "push-by-code" were registered by code, which a worker thread cannot load, so the envs step on this thread (no overlap with learning; a task file given by path steps in the worker)',
    ]);
    // Demonstrations, training and evaluations alike: every logged number but the clock's.
    const renamed = rowsOf(join(dir, 'by-code')).map((r) => JSON.parse(JSON.stringify(untimed(r)).replace(/-by-code/g, '')));
    expect(renamed).toEqual(rowsOf(join(dir, 'by-name')).map(untimed));
  });
});
