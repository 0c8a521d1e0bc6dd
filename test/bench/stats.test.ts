// The benchmark report's statistics on synthetic curves with known answers: means and spreads over
// seeds, area under the curve, steps and wall time to the threshold, the efficiency ratio and its
// bounds; then a whole report built from a synthetic sweep folder, with its intervals, flags and
// profiles (the interval statistics themselves: bootstrap.test.ts).
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { collectFromReport, collectResults, curvesFromRows, writeReport, type Results } from '../../agents/bench/report.ts';
import { DONE_FILE, parseCondition, planRuns, runConfig, startOrder, sweepSchema, type SweepSpec } from '../../agents/bench/spec.ts';
import { TRAIN_DEFAULTS } from '../../agents/config.ts';
import { TSX_LOADER } from '../../agents/bench/sweep.ts';
import { syntheticSpec, writeSyntheticSweep } from './synthetic.ts';
import { auc, band, cellStats, efficiencyRatio, firstReach, mean, sampleStd, type CurvePoint, type SeedResult } from '../../agents/bench/stats.ts';

const CLI = resolve(import.meta.dirname, '../../agents/bench/cli.ts');
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

  it('runs start seed by seed, and within a seed the long multi-task runs first', () => {
    expect(startOrder(planRuns(spec)).map((r) => r.id)).toEqual([
      'multihead-onehot/0', 'concat-metadata/0', 'single-task/reach/0', 'single-task/push/0',
      'multihead-onehot/1', 'concat-metadata/1', 'single-task/reach/1', 'single-task/push/1',
    ]);
    // Seeds keep the order they were given in.
    const later = planRuns({ ...spec, seeds: [7, 3] });
    expect(startOrder(later).map((r) => r.seed)).toEqual([7, 7, 7, 7, 3, 3, 3, 3]);
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

describe('strategy conditions', () => {
  it('ARCH[:DESCRIPTOR][+STRATEGY] names a condition, and its runs get the strategy and its settings', () => {
    expect(parseCondition('multihead+pcgrad')).toEqual({ id: 'multihead-onehot+pcgrad', kind: 'multi', arch: 'multihead', descriptor: 'onehot', strategy: 'pcgrad' });
    expect(parseCondition('concat:metadata+weighted')).toEqual({ id: 'concat-metadata+weighted', kind: 'multi', arch: 'concat', descriptor: 'metadata', strategy: 'weighted' });
    expect(parseCondition('soft')).toEqual({ id: 'soft-onehot', kind: 'multi', arch: 'soft', descriptor: 'onehot' });
    for (const bad of ['multihead+none', 'multihead+pcgrad+weighted', 'multihead+gradnorm', 'single+pcgrad']) expect(() => parseCondition(bad)).toThrow(/unknown condition/);
    const spec = sweepSchema.parse({
      version: 1, tasks: ['reach', 'push'], taskNames: ['reach', 'push'], conditions: ['single', 'multihead+pcgrad', 'concat+weighted', 'soft'].map(parseCondition), seeds: [0],
      budgetPerTask: 1000, evalEveryPerTask: 200, evalEpisodes: 5, envsPerTask: 4, reward: 'sparse', herK: 4, batchSize: 64, utd: 0.25, learningStartsPerTask: 100, replayPerTask: 1000, hidden: [8],
      softLambda: 0.5, sampleTemperature: 0.2,
    });
    const runs = planRuns(spec);
    expect(runs.map((r) => r.id)).toEqual(['single-task/reach/0', 'single-task/push/0', 'multihead-onehot+pcgrad/0', 'concat-onehot+weighted/0', 'soft-onehot/0']);
    const cfgs = runs.map((r) => runConfig(spec, r, '/tmp/x'));
    expect(cfgs.map((c) => [c.arch, c.strategy])).toEqual([['independent', 'none'], ['independent', 'none'], ['multihead', 'pcgrad'], ['concat', 'weighted'], ['soft', 'none']]);
    expect([cfgs[4].softLambda, cfgs[3].sampleTemperature, cfgs[3].sampleFloor]).toEqual([0.5, 0.2, TRAIN_DEFAULTS.sampleFloor]);
    // a sweep.json from before the strategies reads as it did: no strategy, default settings
    const { softLambda, sampleTemperature, sampleFloor, successWindow, ...old } = spec;
    void [softLambda, sampleTemperature, sampleFloor, successWindow];
    const reread = sweepSchema.parse({ ...old, conditions: ['single', 'multihead'].map(parseCondition) });
    expect(runConfig(reread, planRuns(reread)[2], '/tmp/y').strategy).toBe('none');
    expect(reread.softLambda).toBe(TRAIN_DEFAULTS.softLambda);
  });
});

describe('report from a synthetic sweep', () => {
  const spec = syntheticSpec;
  const sweep = join(dir, 'synthetic');
  const files = ['results.json', 'results.csv', 'results-seeds.csv', 'results-aggregate.csv', 'report.md', 'curves.svg', 'curves-push.svg', 'profiles.svg'];
  const read = (folder: string) => Object.fromEntries(files.map((f) => [f, readFileSync(join(folder, f), 'utf8')]));

  it('computes the tables, the intervals and the flag on push, and writes JSON, CSV, Markdown and SVG', async () => {
    writeSyntheticSweep(sweep);
    const r = await collectResults(sweep, spec);
    expect(r.complete).toBe(true);
    expect(r.dataAsOf).toBe('2026-01-02T03:15:00.000Z'); // the last run's finish, not the clock
    const cell = (task: string, cond: string) => r.cells.find((x) => x.task === task && x.condition === cond)!;
    expect(cell('reach', 'single-task').finalMean).toBe(1);
    expect(cell('reach', 'single-task').stepsMean).toBe(2400); // 2000, 3000, 3000, 2000, 2000
    expect(cell('reach', 'single-task').wallMean).toBe(12); // 10, 15, 15, 10, 10 s
    expect(cell('reach', 'multihead-onehot').stepsMean).toBe(1200); // x is per task: 2000 total / 2, one seed at 2000
    expect(cell('reach', 'multihead-onehot').wallMean).toBe(12); // the multi-task run's own clock
    expect(cell('push', 'single-task').finalMean).toBeCloseTo(0.88, 12);
    expect(cell('push', 'single-task').finalIqm.point).toBeCloseTo((0.85 + 0.9 + 0.9) / 3, 12);
    expect(cell('push', 'multihead-onehot').finalIqm.point).toBeCloseTo((0.1 + 0.15 + 0.2) / 3, 12);
    expect(cell('push', 'multihead-onehot').aucMean).toBeCloseTo((0.1 + 0.05 + 0.15 + 0.325 / 3 + 0.025 / 3) / 5, 12);
    expect(cell('reach', 'multihead-onehot').finalIqm).toEqual({ point: 1, lo: 1, hi: 1 });
    for (const c of r.cells) {
      expect(c.finalIqm.lo!).toBeLessThanOrEqual(c.finalIqm.point);
      expect(c.finalIqm.hi!).toBeGreaterThanOrEqual(c.finalIqm.point);
    }
    const cmp = (task: string) => r.comparisons.find((x) => x.task === task)!;
    expect(cmp('reach')).toMatchObject({ ratio: 0.5, ratioKind: 'exact', negativeTransfer: false, diff: { point: 0, lo: 0, hi: 0 }, seedsMulti: 5, seedsSingle: 5 });
    expect(cmp('push')).toMatchObject({ ratioKind: 'lower-bound', negativeTransfer: true, seedsMulti: 5, seedsSingle: 5 });
    expect(cmp('push').ratio).toBeCloseTo(4000 / 3200, 12); // multi-task never reached 80% (counted as the budget)
    expect(cmp('push').diff!.point).toBeCloseTo(0.15 - 0.85 / 3 - 0.6, 12);
    expect(cmp('push').diff!.hi!).toBeLessThan(0);

    // Across tasks: IQM of the 10 pooled finals (the middle 6), probability of improvement, profiles.
    const agg = (c: string) => r.aggregates.find((a) => a.condition === c)!;
    expect(agg('single-task')).toMatchObject({ tasks: 2, scores: 10, seedsMin: 5, seedsMax: 5, improvement: null });
    expect(agg('single-task').finalIqm.point).toBeCloseTo((0.9 + 0.9 + 0.95 + 3) / 6, 12);
    expect(agg('multihead-onehot').finalIqm.point).toBeCloseTo((0.15 + 0.2 + 0.3 + 3) / 6, 12);
    // reach: every pair ties (0.5); push: every multi-task run loses (0): 0.25, and no resample changes it
    expect(agg('multihead-onehot').improvement).toEqual({ point: 0.25, lo: 0.25, hi: 0.25 });
    expect(r.profiles.taus).toHaveLength(51);
    const at = (c: string, tau: number) => r.profiles.series.find((x) => x.condition === c)!.fraction[Math.round(tau * 50)];
    expect([at('single-task', 0.5), at('single-task', 0.9), at('single-task', 1)]).toEqual([1, 0.6, 0]);
    expect([at('multihead-onehot', 0.5), at('multihead-onehot', 0.9), at('multihead-onehot', 0.1)]).toEqual([0.5, 0.5, 0.8]);
    expect(r.statistics).toEqual({ reps: 10_000, seed: 0, level: 0.95, interval: 'percentile', minSeedsForFlag: 4 });

    const rep = join(sweep, 'report');
    writeReport(sweep, rep, r);
    const md = readFileSync(join(rep, 'report.md'), 'utf8');
    expect(md).not.toMatch(/PARTIAL/);
    expect(md).toMatch(/\| push \| multihead-onehot \| 5 \| 16 ± 10 % \| 15% \[\d+, \d+\] \|/);
    expect(md).toMatch(/\| push \| multihead-onehot \| −73 pts \[−\d+, −\d+\] \| \*\*yes\*\* \(5 \/ 5 seeds\) \| ≥ 1\.25 \|/);
    expect(md).toMatch(/\| reach \| multihead-onehot \| 0 pts \[0, 0\] \| not shown \(5 \/ 5 seeds\) \| 0\.50 \|/);
    expect(md).toContain('**Negative transfer**: **flagged** on push (`multihead-onehot`, 5 / 5 seeds); not shown on 1 other task-condition pair.');
    // With nothing flagged the summary says so without an "other".
    const calm = { ...r, comparisons: r.comparisons.map((c) => ({ ...c, negativeTransfer: false })) };
    writeReport(sweep, join(sweep, 'report-calm'), calm);
    expect(readFileSync(join(sweep, 'report-calm', 'report.md'), 'utf8')).toContain('**Negative transfer**: not shown on any of the 2 task-condition pairs.');
    expect(md).toMatch(/\| multihead-onehot \| 2 \| 10 \| 61% \[\d+, \d+\] \| 58% \| .* \| 0\.25 \[0\.25, 0\.25\] \|/);
    expect(md).toContain('![performance profiles](profiles.svg)');
    expect(md).toContain('![learning curves](curves.svg)');
    expect(md).toContain('Results as of 2026-01-02T03:15:00.000Z');
    const csv = readFileSync(join(rep, 'results.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(5);
    expect(csv.find((l) => l.startsWith('push,multihead-onehot'))).toMatch(/,lower-bound,-0\.733333,-0\.\d+,-0\.\d+,true$/);
    expect(readFileSync(join(rep, 'results-aggregate.csv'), 'utf8').trim().split('\n')).toHaveLength(3);
    const svg = readFileSync(join(rep, 'curves.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect((svg.match(/<polyline/g) ?? []).length).toBe(4); // 2 tasks x 2 conditions
    expect((svg.match(/<polygon/g) ?? []).length).toBe(4); // every series has seed spread somewhere
    const prof = readFileSync(join(rep, 'profiles.svg'), 'utf8');
    expect((prof.match(/<polyline/g) ?? []).length).toBe(2);
    expect((prof.match(/<polygon/g) ?? []).length).toBe(2);
    expect(readFileSync(join(rep, 'raw', 'multihead-onehot', '1', 'metrics.jsonl'), 'utf8')).toContain('"envSteps":8000');
    expect(JSON.parse(readFileSync(join(rep, 'results.json'), 'utf8')).cells).toHaveLength(4);
  });

  it('is reproducible byte for byte; the bootstrap seed changes no point estimate', async () => {
    const a = join(sweep, 'report-a');
    const b = join(sweep, 'report-b');
    writeReport(sweep, a, await collectResults(sweep, spec));
    writeReport(sweep, b, await collectResults(sweep, spec));
    expect(read(b)).toEqual(read(a));
    const other = await collectResults(sweep, spec, { seed: 7 });
    const first = JSON.parse(read(a)['results.json']) as Results;
    expect(other.cells.map((c) => c.finalIqm.point)).toEqual(first.cells.map((c) => c.finalIqm.point));
    expect(other.aggregates.map((c) => c.finalIqm.point)).toEqual(first.aggregates.map((c) => c.finalIqm.point));
    expect(other.statistics.seed).toBe(7);
  });

  it('a report folder is rebuilt from its own results.json and raw/ to the same bytes, also through the CLI', async () => {
    const rep = join(sweep, 'report');
    const before = read(rep);
    const again = join(dir, 'copy-of-report');
    cpSync(rep, again, { recursive: true });
    writeReport(null, again, await collectFromReport(again));
    expect(read(again)).toEqual(before);

    rmSync(join(again, 'results.csv'));
    const cli = (args: string[]) => spawnSync(process.execPath, ['--import', TSX_LOADER, CLI, ...args], { encoding: 'utf8', env: { ...process.env, CI: '' } });
    const ok = cli(['--report-only', '--out', again]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/rebuilt from its raw\/ folder; 15 of 15 runs finished/);
    expect(read(again)).toEqual(before);
    const moved = cli(['--report-only', '--out', again, '--report', join(dir, 'elsewhere')]);
    expect(moved.status).toBe(2);
    expect(moved.stderr).toMatch(/rewrites it in place/);
    const flags = cli(['--report-only', '--out', again, '--seeds', '0,1']);
    expect(flags.status).toBe(2);
    expect(flags.stderr).toMatch(/leave out --seeds/);
    const reps = cli(['--report-only', '--out', again, '--bootstrap-reps', '5']);
    expect(reps.status).toBe(2);
    expect(reps.stderr).toMatch(/--bootstrap-reps must be an integer from 100 to /);
    writeFileSync(join(again, 'raw', 'multihead-onehot', '0', DONE_FILE), '{"final": ');
    await expect(collectFromReport(again)).rejects.toThrow(/multihead-onehot\/0\/done\.json: not valid JSON/);
    rmSync(join(again, 'raw'), { recursive: true });
    await expect(collectFromReport(again)).rejects.toThrow(/no raw\/ folder/);
    mkdirSync(join(again, 'raw'));
    writeFileSync(join(again, 'results.json'), JSON.stringify({ spec: { version: 1 } }));
    await expect(collectFromReport(again)).rejects.toThrow(/results\.json: spec is not a valid sweep \(tasks: /);
  }, 60_000);

  it('marks runs that were resumed from a checkpoint or restarted from scratch', async () => {
    const s = join(dir, 'attempts');
    writeSyntheticSweep(s);
    const line = (resumedFrom: number) => JSON.stringify({ startedAt: '2026-01-02T04:00:00.000Z', resumedFrom, backend: 'test', pid: 2 }) + '\n';
    appendFileSync(join(s, 'runs', 'multihead-onehot', '2', 'attempts.jsonl'), line(6000));
    appendFileSync(join(s, 'runs', 'single-task', 'push', '3', 'attempts.jsonl'), line(0));
    const r = await collectResults(s, spec);
    const run = (id: string) => r.runs.find((x) => x.id === id)!;
    expect(run('multihead-onehot/2')).toMatchObject({ attempts: 2, resumedFrom: [6000], restarts: 0, resumed: false });
    expect(run('single-task/push/3')).toMatchObject({ attempts: 2, resumedFrom: [], restarts: 1 });
    expect(r.dataAsOf).toBe('2026-01-02T04:00:00.000Z');
    writeReport(s, join(s, 'report'), r);
    const md = readFileSync(join(s, 'report', 'report.md'), 'utf8');
    expect(md).toContain('| `multihead-onehot/2` | done | 4k | 40 s | 2: resumed from checkpoint at 3k |');
    expect(md).toContain('| `single-task/push/3` | done | 4k | 20 s | 2: restarted from scratch |');
  });

  it('reports a sweep with unfinished runs as partial, from finished runs only, with no verdict below 4 seeds', async () => {
    rmSync(join(sweep, 'runs', 'multihead-onehot', '1', DONE_FILE));
    let r = await collectResults(sweep, spec);
    expect(r.complete).toBe(false);
    expect(r.runs.find((x) => x.id === 'multihead-onehot/1')!.state).toBe('partial');
    expect(r.cells.find((x) => x.task === 'push' && x.condition === 'multihead-onehot')!.seeds).toBe(4);
    expect(r.comparisons.find((x) => x.task === 'push')).toMatchObject({ negativeTransfer: true, seedsMulti: 4 });
    rmSync(join(sweep, 'runs', 'multihead-onehot', '3', DONE_FILE));
    r = await collectResults(sweep, spec);
    expect(r.comparisons.find((x) => x.task === 'push')).toMatchObject({ negativeTransfer: null, seedsMulti: 3, seedsSingle: 5 });
    expect(r.aggregates.find((a) => a.condition === 'multihead-onehot')).toMatchObject({ scores: 6, seedsMin: 3, seedsMax: 3 });
    writeReport(sweep, join(sweep, 'report2'), r);
    const md = readFileSync(join(sweep, 'report2', 'report.md'), 'utf8');
    expect(md).toMatch(/PARTIAL REPORT\*\*: 13 of 15 runs finished \(2 stopped part-way/);
    expect(md).toMatch(/\| push \| multihead-onehot \| −\d+ pts \[.*\] \| no verdict \(3 \/ 5 seeds; 4 each needed\) \|/);
    expect(md).toContain('no verdict on 2 (fewer than 4 seeds a side)');
  });

  it('a repeated step count (loop evaluation, then the final one) keeps the final evaluation', () => {
    const rows = [
      { envSteps: 800, wallSeconds: 1, tasks: { a: { evalSuccess: 0.1 } } },
      { envSteps: 800, wallSeconds: 2, tasks: { a: { evalSuccess: 0.3 } } },
    ] as never;
    expect(curvesFromRows(rows, ['a']).a).toEqual([{ x: 800, y: 0.3, wall: 2 }]);
  });
});
