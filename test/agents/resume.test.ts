// Nothing lost, nothing twice: a training run killed (SIGKILL) at random moments and resumed each
// time ends with the same metrics rows as an uninterrupted run; the moments a random kill rarely
// hits (mid-write of a row, between a checkpoint and the next row) are reproduced exactly; a run
// stopped before its first checkpoint resumes from the start; leftovers of interrupted checkpoint
// writes are cleaned; a best.bin written after the last checkpoint is kept.
import { spawn } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint, saveCheckpoint } from '../../agents/checkpoint.ts';
import { makeConfig } from '../../agents/config.ts';
import { TSX_LOADER } from '../../agents/bench/sweep.ts';
import { selectBackend } from '../../agents/tensor/index.ts';
import type { MetricsRow, TrainObserver } from '../../agents/train/observer.ts';
import { train, type TrainOptions } from '../../agents/train/train.ts';

const root = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'rrl-resume-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  await selectBackend({ log: false });
});

const rowsOf = (out: string): MetricsRow[] => {
  const text = readFileSync(join(out, 'metrics.jsonl'), 'utf8');
  expect(text.endsWith('\n')).toBe(true); // no half-written last line
  return text.trim().split('\n').map((l) => JSON.parse(l) as MetricsRow);
};
const stepsOf = (rows: MetricsRow[]) => rows.map((r) => r.envSteps);
const evalStepsOf = (rows: MetricsRow[]) => rows.filter((r) => Object.values(r.tasks).some((t) => t.evalSuccess !== undefined)).map((r) => r.envSteps);
function expectStrictlyIncreasing(steps: number[]): void {
  for (let i = 1; i < steps.length; i++) expect(steps[i], `row ${i} of ${JSON.stringify(steps)}`).toBeGreaterThan(steps[i - 1]);
}

// The training CLI itself, with tiny networks and short intervals so a run takes seconds.
const CLI_ARGS = ['--tasks', 'reach', '--steps', '3000', '--envs', '4', '--hidden', '16,16', '--batch', '32', '--learning-starts', '50', '--eval-every', '600', '--eval-episodes', '2', '--log-every', '100', '--checkpoint-every', '200'];

function trainCli(args: string[]) {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, join(root, 'agents/cli/train.ts'), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  /** When each metrics row (a `[N steps` line) arrived, in ms. */
  const rowTimes: number[] = [];
  const waiting = new Map<number, () => void>();
  const grow = (b: Buffer) => {
    out += b;
    const n = out.match(/\[\d+ steps/g)?.length ?? 0;
    while (rowTimes.length < n) rowTimes.push(performance.now());
    for (const [k, res] of waiting) if (rowTimes.length >= k) (waiting.delete(k), res());
  };
  child.stdout!.on('data', grow);
  child.stderr!.on('data', grow);
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>((res) => child.on('exit', (code, signal) => res({ code, signal, out })));
  /** Resolves when the run has logged n metrics rows (never, if it exits first). */
  const rows = (n: number) => new Promise<void>((res) => (rowTimes.length >= n ? res() : waiting.set(n, res)));
  return { kill: (s: NodeJS.Signals) => child.kill(s), done, rows, rowTimes };
}

describe('metrics survive kills and resumes', () => {
  it('a run SIGKILLed at random moments and resumed each time ends with the uninterrupted run\'s rows', async () => {
    const reference = join(dir, 'reference');
    const ref = await trainCli([...CLI_ARGS, '--out', reference]).done;
    expect(ref.code, ref.out).toBe(0);
    const refRows = rowsOf(reference);
    expectStrictlyIncreasing(stepsOf(refRows));
    expect(stepsOf(refRows).at(-1)).toBe(3000);
    // One row per 100 env steps, evaluations every 600 (the last one the final): no step twice.
    expect(stepsOf(refRows)).toEqual(Array.from({ length: 30 }, (_, i) => 100 * (i + 1)));
    expect(evalStepsOf(refRows)).toEqual([600, 1200, 1800, 2400, 3000]);

    const out = join(dir, 'killed');
    const kills: { when: string; stepsBefore: number; stepsAfter: number }[] = [];
    for (let attempt = 0; attempt < 8; attempt++) {
      const first = attempt === 0;
      const run = trainCli([...CLI_ARGS, '--out', out, ...(first ? [] : ['--resume'])]);
      // A random moment: during start-up (a third of the time; always a moment in training on the
      // second attempt, so one kill surely follows a checkpoint), or in training between the 2nd
      // and the 6th metrics row. Counted in rows rather than milliseconds, so a fast machine does
      // not finish the run before the kills land: a killed attempt advances a few hundred of the
      // 3000 steps (at most a row interval past its 5th row, an evaluation within it at worst).
      const duringStartup = attempt !== 1 && Math.random() < 1 / 3;
      let when: string;
      let timer: NodeJS.Timeout | undefined;
      if (duringStartup) {
        const afterMs = Math.round(300 + Math.random() * 2500);
        when = `start-up, ${afterMs} ms (or at the first row if sooner)`;
        timer = setTimeout(() => run.kill('SIGKILL'), afterMs);
        void run.rows(1).then(() => run.kill('SIGKILL')); // start-up was quicker than the draw
      } else {
        const row = 2 + Math.floor(Math.random() * 4);
        const gap = Math.random();
        when = `training, ${gap.toFixed(2)} of the way from row ${row} to the next`;
        void run.rows(row).then(() => (timer = setTimeout(() => run.kill('SIGKILL'), gap * (run.rowTimes[row - 1] - run.rowTimes[row - 2]))));
      }
      const r = await run.done;
      clearTimeout(timer);
      const steps = existsSync(join(out, 'checkpoint.bin')) ? loadCheckpoint(join(out, 'checkpoint.bin')).run.envSteps : 0;
      if (r.signal !== 'SIGKILL') {
        expect(r.code, r.out).toBe(0); // it finished before the kill
        break;
      }
      const before = kills.at(-1)?.stepsAfter ?? 0;
      expect(steps).toBeGreaterThanOrEqual(before); // a checkpoint is never lost
      kills.push({ when, stepsBefore: before, stepsAfter: steps });
      // What the file holds at any moment of a kill: increasing steps, maybe a half-written line.
      if (existsSync(join(out, 'metrics.jsonl'))) {
        const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean);
        expectStrictlyIncreasing(lines.flatMap((l) => { try { return [(JSON.parse(l) as MetricsRow).envSteps]; } catch { return []; } }));
      }
    }
    // Finish it.
    const last = await trainCli([...CLI_ARGS, '--out', out, '--resume']).done;
    expect(last.code, `${last.out}\nkills: ${JSON.stringify(kills)}`).toBe(0);
    console.log(`killed ${kills.length} times: ${JSON.stringify(kills)}`);
    expect(kills.length, 'at least a few kills landed').toBeGreaterThanOrEqual(3);
    expect(kills.some((k) => k.stepsAfter > 0), `a kill after a checkpoint: ${JSON.stringify(kills)}`).toBe(true);

    const rows = rowsOf(out);
    expectStrictlyIncreasing(stepsOf(rows));
    expect(stepsOf(rows), JSON.stringify(kills)).toEqual(stepsOf(refRows));
    expect(evalStepsOf(rows)).toEqual(evalStepsOf(refRows));
    for (const r of rows) expect(Object.keys(r.tasks)).toEqual(['reach']);
    // Updates follow the same schedule (a function of env steps once learning has started).
    expect(rows.at(-1)!.updates).toBe(refRows.at(-1)!.updates);
    expect(loadCheckpoint(join(out, 'checkpoint.bin')).run.envSteps).toBe(3000);
  }, 300_000);

  // The same run in-process, stopped at a chosen step; the files are then left as a kill at each
  // of the moments around a checkpoint would leave them.
  const base = { tasks: ['reach'], demoEpisodes: 0, numEnvs: 4, learningStartsPerTask: 50, batchSize: 32, evalEvery: 400, evalEpisodes: 2, logEvery: 100, checkpointEvery: 200, sac: { hidden: [16, 16] } };
  /** Stops the run (as a signal does) after the first step at or past n env steps. */
  const stopAt = (n: number): TrainOptions => {
    const stop = new AbortController();
    const watch: TrainObserver = { afterStep: (step) => void (step.envSteps >= n && stop.abort()) };
    return { log: () => {}, signal: stop.signal, observers: [watch] };
  };

  for (const [moment, damage] of [
    ['mid-write of a row', (out: string) => appendFileSync(join(out, 'metrics.jsonl'), '{"envSteps":1000,"wallSec')],
    ['after the checkpoint and a whole row', (out: string) => appendFileSync(join(out, 'metrics.jsonl'), JSON.stringify({ ...rowsOf(out).at(-1)!, envSteps: 700 }) + '\n')],
    ['after rows past the checkpoint', (out: string) => appendFileSync(join(out, 'metrics.jsonl'), [700, 800, 900].map((s) => JSON.stringify({ ...rowsOf(out).at(-1)!, envSteps: s })).join('\n') + '\n')],
  ] as const) {
    it(`a kill ${moment}: the resumed run drops what the checkpoint does not cover`, async () => {
      const out = join(dir, moment.replace(/\W+/g, '-'));
      const cfg = makeConfig({ ...base, envSteps: 1200, out });
      // Interrupted at 616 env steps (the first step at or past 613): checkpoint there, rows up to 600.
      const first = await train(cfg, stopAt(613));
      expect(first.stopReason).toBe('interrupted');
      expect(first.final).toEqual([]);
      const ck = loadCheckpoint(join(out, 'checkpoint.bin')).run;
      expect(ck.envSteps).toBe(616);
      expect(stepsOf(rowsOf(out))).toEqual([100, 200, 300, 400, 500, 600]); // no row for the stop itself
      expect(ck.metricsBytes).toBe(readFileSync(join(out, 'metrics.jsonl')).length);
      damage(out);
      const lines: string[] = [];
      const second = await train(cfg, { resume: true, log: (l) => lines.push(l) });
      expect(second.stopReason).toBe('budget');
      expect(lines.join('\n')).toMatch(/resumed from .* at 616 env steps/);
      expect(lines.join('\n')).toMatch(/dropped [1-3] metrics row\(s\) written after that checkpoint/);
      const rows = rowsOf(out);
      expect(stepsOf(rows)).toEqual(Array.from({ length: 12 }, (_, i) => 100 * (i + 1)));
      expect(evalStepsOf(rows)).toEqual([400, 800, 1200]);
      expect(second.final.map((f) => f.task)).toEqual(['reach']);
    }, 120_000);
  }

  it('a checkpoint of an older build (no metrics length recorded) keeps the rows up to its env steps', async () => {
    const out = join(dir, 'older-build');
    const cfg = makeConfig({ ...base, envSteps: 1200, out });
    await train(cfg, stopAt(613));
    const path = join(out, 'checkpoint.bin');
    const ck = loadCheckpoint(path);
    const { metricsBytes: _b, lastRowEnvSteps: _r, lastEval: _e, window: _w, ...older } = ck.run;
    saveCheckpoint(path, { ...ck, run: older });
    appendFileSync(join(out, 'metrics.jsonl'), JSON.stringify({ ...rowsOf(out).at(-1)!, envSteps: 700 }) + '\n{"envSteps":8');
    const lines: string[] = [];
    await train(cfg, { resume: true, log: (l) => lines.push(l) });
    expect(lines.join('\n')).toMatch(/dropped 2 metrics row\(s\) written after that checkpoint/);
    expect(stepsOf(rowsOf(out))).toEqual(Array.from({ length: 12 }, (_, i) => 100 * (i + 1)));
  }, 120_000);

  it('a run stopped before its first checkpoint resumes from the start, saying so', async () => {
    // What a kill before the first checkpoint leaves: config.json, rows (the last one half written)
    // and a best.bin, but no checkpoint. Made from a finished run's files.
    const src = join(dir, 'no-checkpoint-source');
    await train(makeConfig({ ...base, envSteps: 400, out: src }), { log: () => {} });
    const out = join(dir, 'no-checkpoint');
    mkdirSync(out);
    for (const f of ['config.json', 'best.bin']) copyFileSync(join(src, f), join(out, f));
    writeFileSync(join(out, 'metrics.jsonl'), readFileSync(join(src, 'metrics.jsonl'), 'utf8').split('\n').slice(0, 3).join('\n') + '\n{"envSteps":4');
    const cfg = makeConfig({ ...base, envSteps: 600, checkpointEvery: 100_000, out });
    await expect(train(cfg, { log: () => {} })).rejects.toThrow(/already holds a run.*--resume/);
    const lines: string[] = [];
    const r = await train(cfg, { resume: true, log: (l) => lines.push(l) });
    expect(lines[0]).toMatch(/--resume: no checkpoint in .*no-checkpoint yet .*starting the run from the beginning/);
    expect(r.envSteps).toBe(600);
    expect(stepsOf(rowsOf(out))).toEqual([100, 200, 300, 400, 500, 600]);
    expect(loadCheckpoint(join(out, 'checkpoint.bin')).run.envSteps).toBe(600);
    // best.bin is this run's own now (its only evaluations: 400 and the final one at 600).
    expect([400, 600]).toContain(loadCheckpoint(join(out, 'best.bin')).run.best!.envSteps);
  }, 120_000);

  it('removes the temporary files of interrupted checkpoint writes, not those of a live process', async () => {
    const out = join(dir, 'temps');
    mkdirSync(out, { recursive: true });
    const dead = 2 ** 22 + 12345; // above Linux's default pid_max: no such process
    for (const f of [`checkpoint.bin.tmp-${dead}`, `best.bin.tmp-${dead}`, `checkpoint.bin.tmp-${process.ppid}`, 'notes.tmp-1']) writeFileSync(join(out, f), 'partial');
    const lines: string[] = [];
    await train(makeConfig({ ...base, envSteps: 200, out }), { log: (l) => lines.push(l) });
    expect(readdirSync(out).filter((f) => f.includes('.tmp-')).sort()).toEqual([`checkpoint.bin.tmp-${process.ppid}`, 'notes.tmp-1']);
    expect(lines[0]).toMatch(/removed 2 temporary file\(s\) of interrupted checkpoint writes/);
  }, 120_000);

  it('keeps a best.bin written after the last checkpoint as the best so far', async () => {
    const out = join(dir, 'best');
    const cfg = makeConfig({ ...base, tasks: ['push'], evalEvery: 0, envSteps: 800, out });
    await train(cfg, stopAt(400));
    const ck = loadCheckpoint(join(out, 'checkpoint.bin'));
    expect(ck.run.best).toBeUndefined();
    // An evaluation after that checkpoint wrote best.bin, then the process died.
    saveCheckpoint(join(out, 'best.bin'), { spec: ck.spec, run: { ...ck.run, envSteps: 500, best: { envSteps: 500, wallSeconds: 1, meanSuccess: 1 } }, agent: ck.agent });
    const lines: string[] = [];
    const r = await train(cfg, { resume: true, log: (l) => lines.push(l) });
    expect(lines.join('\n')).toMatch(/best\.bin: kept the evaluation at 500 env steps \(100% mean success\)/);
    // A push policy after 800 steps does not reach 100%: the adopted best stands.
    expect(r.final[0].successRate).toBeLessThan(1);
    expect(r.best).toEqual({ envSteps: 500, wallSeconds: 1, meanSuccess: 1 });
    expect(loadCheckpoint(join(out, 'checkpoint.bin')).run.best).toEqual(r.best);
  }, 120_000);
});
