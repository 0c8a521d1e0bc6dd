// The benchmark report's statistics on synthetic curves with known answers: means and spreads over
// seeds, area under the curve, steps and wall time to the threshold, the efficiency ratio and its
// bounds, the negative-transfer rule; then a whole report built from a synthetic sweep folder.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { collectResults, curvesFromRows, writeReport } from '../../agents/bench/report.ts';
import { DONE_FILE, parseCondition, planRuns, runConfig, sweepSchema, type SweepSpec } from '../../agents/bench/spec.ts';
import { syntheticSpec, writeSyntheticSweep } from './synthetic.ts';
import { auc, band, cellStats, efficiencyRatio, firstReach, mean, negativeTransfer, sampleStd, type CurvePoint, type SeedResult } from '../../agents/bench/stats.ts';

const dir = mkdtempSync(join(tmpdir(), 'rrl-bench-stats-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const curve = (ys: number[], dx = 1000, wallPerPoint = 10): CurvePoint[] => ys.map((y, i) => ({ x: (i + 1) * dx, y, wall: (i + 1) * wallPerPoint }));
const seed = (s: number, final: number, steps: number | null, a = final): SeedResult => ({ seed: s, final, auc: a, stepsToThreshold: steps, wallToThreshold: steps === null ? null : steps / 100 });

describe('statistics', () => {
  it('mean and sample standard deviation', () => {
    expect(mean([0.2, 0.4, 0.9])).toBeCloseTo(0.5, 12);
    // (0.3^2 + 0.1^2 + 0.4^2) / 2 = 0.13
    expect(sampleStd([0.2, 0.4, 0.9])).toBeCloseTo(Math.sqrt(0.13), 12);
    expect(sampleStd([0.7])).toBeNull();
    expect(mean([])).toBeNull();
  });

  it('area under the curve is the average success over the evaluated range', () => {
    expect(auc(curve([1, 1, 1, 1]))).toBe(1);
    expect(auc(curve([0, 0, 0]))).toBe(0);
    // a straight ramp 0 -> 1 averages 1/2
    expect(auc(curve([0, 0.25, 0.5, 0.75, 1]))).toBeCloseTo(0.5, 12);
    // 0, 1, 1 over equal steps: (0.5 + 1) / 2
    expect(auc(curve([0, 1, 1]))).toBeCloseTo(0.75, 12);
    // unordered points are sorted; uneven spacing is weighted by width
    expect(auc([{ x: 3000, y: 1, wall: 0 }, { x: 0, y: 0, wall: 0 }, { x: 1000, y: 1, wall: 0 }])).toBeCloseTo((0.5 * 1000 + 1 * 2000) / 3000, 12);
    expect(auc([{ x: 5, y: 0.3, wall: 1 }])).toBe(0.3);
    expect(auc([])).toBeNull();
  });

  it('steps and wall time to the threshold come from the first evaluation at or above it', () => {
    const c = curve([0.1, 0.79, 0.8, 0.5, 0.95], 2000, 30);
    expect(firstReach(c, 0.8)).toEqual({ x: 6000, wall: 90 });
    expect(firstReach(c, 0.9)).toEqual({ x: 10000, wall: 150 });
    expect(firstReach(c, 0.96)).toBeNull();
  });

  it('cell statistics over seeds', () => {
    const st = cellStats([seed(0, 0.9, 4000, 0.6), seed(1, 0.7, null, 0.4), seed(2, 0.8, 8000, 0.5)])!;
    expect(st.seeds).toBe(3);
    expect(st.finalMean).toBeCloseTo(0.8, 12);
    expect(st.finalStd).toBeCloseTo(0.1, 12);
    expect(st.aucMean).toBeCloseTo(0.5, 12);
    expect(st.reached).toBe(2);
    expect(st.stepsMean).toBe(6000); // over the seeds that reached it
    expect(st.wallMean).toBe(60);
    expect(cellStats([])).toBeNull();
  });

  it('efficiency ratio, exact and as a bound when seeds miss the threshold', () => {
    const budget = 20_000;
    expect(efficiencyRatio([seed(0, 1, 4000), seed(1, 1, 6000)], [seed(0, 1, 10000), seed(1, 1, 10000)], budget)).toEqual({ ratio: 0.5, kind: 'exact' });
    // a multi-task seed missed: counted as the budget, so multi-task needs at least that
    expect(efficiencyRatio([seed(0, 1, 10000), seed(1, 0.5, null)], [seed(0, 1, 10000), seed(1, 1, 10000)], budget)).toEqual({ ratio: 1.5, kind: 'lower-bound' });
    expect(efficiencyRatio([seed(0, 1, 5000), seed(1, 1, 5000)], [seed(0, 0, null), seed(1, 1, 10000)], budget)).toEqual({ ratio: 5000 / 15000, kind: 'upper-bound' });
    expect(efficiencyRatio([seed(0, 1, 5000), seed(1, 0, null)], [seed(0, 0, null), seed(1, 1, 10000)], budget).kind).toBe('unknown');
    expect(efficiencyRatio([seed(0, 0, null)], [seed(0, 0, null)], budget)).toEqual({ ratio: null, kind: 'unknown' });
  });

  it('negative transfer: multi-task below single-task by more than the summed seed spreads', () => {
    const single = cellStats([seed(0, 0.9, null), seed(1, 0.7, null)])!; // mean 0.8, std 0.1414
    const close = cellStats([seed(0, 0.7, null), seed(1, 0.5, null)])!; // mean 0.6, std 0.1414: gap 0.2 < 0.283
    const far = cellStats([seed(0, 0.3, null), seed(1, 0.1, null)])!; // mean 0.2: gap 0.6 > 0.283
    const better = cellStats([seed(0, 1, null), seed(1, 1, null)])!;
    expect(negativeTransfer(close, single).flag).toBe(false);
    const f = negativeTransfer(far, single);
    expect(f.flag).toBe(true);
    expect(f.gap).toBeCloseTo(0.6, 12);
    expect(f.noise).toBeCloseTo(2 * Math.sqrt(0.02), 12);
    expect(negativeTransfer(better, single).flag).toBe(false);
    // identical seeds (zero spread): any shortfall is beyond noise
    const s0 = cellStats([seed(0, 0.5, null), seed(1, 0.5, null)])!;
    const m0 = cellStats([seed(0, 0.45, null), seed(1, 0.45, null)])!;
    expect(negativeTransfer(m0, s0).flag).toBe(true);
    expect(negativeTransfer(s0, s0).flag).toBe(false);
    // one seed: noise unknown, no verdict
    expect(negativeTransfer(cellStats([seed(0, 0, null)]), cellStats([seed(0, 1, null)])).flag).toBeNull();
  });

  it('bands: mean, lowest and highest seed per x', () => {
    const b = band([curve([0, 0.5, 1]), curve([0.2, 0.1, 1]), curve([0.4])]);
    expect(b.map((p) => p.x)).toEqual([1000, 2000, 3000]);
    expect(b[0].mean).toBeCloseTo(0.2, 12);
    expect(b[0]).toMatchObject({ min: 0, max: 0.4, n: 3 });
    expect(b[1].mean).toBeCloseTo(0.3, 12);
    expect(b[1]).toMatchObject({ min: 0.1, max: 0.5, n: 2 });
    expect(b[2]).toMatchObject({ mean: 1, min: 1, max: 1, n: 2 });
  });
});

describe('sweep plan', () => {
  const spec: SweepSpec = sweepSchema.parse({
    version: 1,
    tasks: ['reach', 'push'],
    taskNames: ['reach', 'push'],
    conditions: ['single', 'multihead', 'concat:metadata'].map(parseCondition),
    seeds: [0, 1],
    budgetPerTask: 1000,
    evalEveryPerTask: 200,
    evalEpisodes: 5,
    envsPerTask: 4,
    reward: 'sparse',
    herK: 4,
    batchSize: 64,
    utd: 0.25,
    learningStartsPerTask: 100,
    replayPerTask: 1000,
    hidden: [8],
  });

  it('one run per task for single-task, one per condition for multi-task, seed-major', () => {
    const runs = planRuns(spec);
    expect(runs.map((r) => r.id)).toEqual([
      'single-task/reach/0', 'single-task/push/0', 'multihead-onehot/0', 'concat-metadata/0',
      'single-task/reach/1', 'single-task/push/1', 'multihead-onehot/1', 'concat-metadata/1',
    ]);
  });

  it('budgets and evaluation intervals are per task: K tasks get K times the env steps', () => {
    const [single, , multi] = planRuns(spec);
    const cs = runConfig(spec, single, '/tmp/x');
    const cm = runConfig(spec, multi, '/tmp/y');
    expect([cs.envSteps, cs.evalEvery, cs.numEnvs, cs.arch, cs.tasks]).toEqual([1000, 200, 4, 'independent', ['reach']]);
    expect([cm.envSteps, cm.evalEvery, cm.numEnvs, cm.arch, cm.tasks]).toEqual([2000, 400, 8, 'multihead', ['reach', 'push']]);
    expect(runConfig(spec, planRuns(spec)[3], '/tmp/z').descriptor).toBe('metadata');
  });

  it('refuses settings whose evaluation points would not line up', () => {
    expect(() => sweepSchema.parse({ ...spec, evalEveryPerTask: 250 })).toThrow(/multiple of envsPerTask/);
    expect(() => sweepSchema.parse({ ...spec, budgetPerTask: 1100 })).toThrow(/multiple of evalEveryPerTask/);
    expect(() => parseCondition('transformer')).toThrow(/unknown condition/);
  });
});

describe('report from a synthetic sweep', () => {
  const spec = syntheticSpec;

  it('computes the table, flags push, and writes JSON, CSV, Markdown and SVG', async () => {
    const sweep = join(dir, 'synthetic');
    writeSyntheticSweep(sweep);
    const r = await collectResults(sweep, spec);
    expect(r.complete).toBe(true);
    const cell = (task: string, cond: string) => r.cells.find((x) => x.task === task && x.condition === cond)!;
    expect(cell('reach', 'single-task').finalMean).toBe(1);
    expect(cell('reach', 'single-task').stepsMean).toBe(2500); // 2000 and 3000
    expect(cell('reach', 'single-task').wallMean).toBe(12.5); // 10 s and 15 s
    expect(cell('reach', 'multihead-onehot').stepsMean).toBe(1000); // x is per task: 2000 total / 2
    expect(cell('reach', 'multihead-onehot').wallMean).toBe(10); // the multi-task run's own clock
    expect(cell('push', 'single-task').finalMean).toBeCloseTo(0.85, 12);
    expect(cell('push', 'single-task').finalStd).toBeCloseTo(Math.sqrt(0.005), 12);
    expect(cell('push', 'multihead-onehot').aucMean).toBeCloseTo(((0.05 + 0.1 + 0.15) / 3 + (0 + 0.05 + 0.1) / 3) / 2, 12);
    const cmp = (task: string) => r.comparisons.find((x) => x.task === task)!;
    expect(cmp('reach')).toMatchObject({ ratio: 0.4, ratioKind: 'exact', negativeTransfer: false });
    expect(cmp('push')).toMatchObject({ ratioKind: 'lower-bound', negativeTransfer: true });
    expect(cmp('push').ratio).toBeCloseTo(4000 / 3000, 12); // both single-task seeds at 3000; multi-task never (budget)

    const rep = join(sweep, 'report');
    writeReport(sweep, rep, r);
    const md = readFileSync(join(rep, 'report.md'), 'utf8');
    expect(md).not.toMatch(/PARTIAL/);
    expect(md).toMatch(/\| push \| multihead-onehot \| 2 \| 15 ± 7 % \|.*\*\*yes\*\*/);
    expect(md).toMatch(/Negative transfer\*\* flagged on: push \(multihead-onehot\)/);
    expect(md).toContain('![learning curves](curves.svg)');
    const csv = readFileSync(join(rep, 'results.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(5);
    expect(csv.find((l) => l.startsWith('push,multihead-onehot'))).toMatch(/,lower-bound,true$/);
    const svg = readFileSync(join(rep, 'curves.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect((svg.match(/<polyline/g) ?? []).length).toBe(4); // 2 tasks x 2 conditions
    expect((svg.match(/<polygon/g) ?? []).length).toBe(4); // every series has seed spread somewhere
    expect(readFileSync(join(rep, 'raw', 'multihead-onehot', '1', 'metrics.jsonl'), 'utf8')).toContain('"envSteps":8000');
    expect(JSON.parse(readFileSync(join(rep, 'results.json'), 'utf8')).cells).toHaveLength(4);
  });

  it('reports a sweep with unfinished runs as partial, from finished runs only', async () => {
    const sweep = join(dir, 'synthetic');
    rmSync(join(sweep, 'runs', 'multihead-onehot', '1', DONE_FILE));
    const r = await collectResults(sweep, spec);
    expect(r.complete).toBe(false);
    expect(r.runs.find((x) => x.id === 'multihead-onehot/1')!.state).toBe('partial');
    expect(r.cells.find((x) => x.task === 'push' && x.condition === 'multihead-onehot')!.seeds).toBe(1);
    expect(r.comparisons.find((x) => x.task === 'push')!.negativeTransfer).toBeNull();
    writeReport(sweep, join(sweep, 'report2'), r);
    expect(readFileSync(join(sweep, 'report2', 'report.md'), 'utf8')).toMatch(/PARTIAL REPORT\*\*: 5 of 6 runs finished \(1 stopped part-way/);
  });

  it('a repeated step count (loop evaluation, then the final one) keeps the final evaluation', () => {
    const rows = [
      { envSteps: 800, wallSeconds: 1, tasks: { a: { evalSuccess: 0.1 } } },
      { envSteps: 800, wallSeconds: 2, tasks: { a: { evalSuccess: 0.3 } } },
    ] as never;
    expect(curvesFromRows(rows, ['a']).a).toEqual([{ x: 800, y: 0.3, wall: 2 }]);
  });
});
