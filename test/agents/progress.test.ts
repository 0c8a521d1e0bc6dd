// The trainer's progress display with a scripted clock and run: the line's figures (env steps,
// updates per second, recent training and last evaluation success per task, time left to the
// budget or the time limit, whichever is sooner), redrawn in place on a terminal and printed as
// periodic plain lines otherwise, a line per metrics row, and the session's breakdown at the end.
import { describe, expect, it } from 'vitest';
import { makeConfig } from '../../agents/config.ts';
import { PHASES } from '../../agents/train/clock.ts';
import type { MetricsRow, RunView, StepView, TrainResult } from '../../agents/train/observer.ts';
import { duration, ProgressLine, rowLine, type ProgressStream } from '../../agents/train/progress.ts';

class FakeStream implements ProgressStream {
  out = '';
  constructor(
    readonly isTTY: boolean,
    readonly columns?: number,
  ) {}
  write(t: string): void {
    this.out += t;
  }
}

const time = (seconds: number, shares: Partial<Record<(typeof PHASES)[number], number>>) => ({
  seconds,
  fractions: Object.fromEntries(PHASES.map((p) => [p, shares[p] ?? 0])) as Record<(typeof PHASES)[number], number>,
});

function fakeRun(maxSeconds: number | null = null) {
  const state = { envSteps: 0, updates: 0, wall: 0 };
  const run: RunView = {
    cfg: makeConfig({ tasks: ['reach', 'push'], envSteps: 10_000, maxSeconds }),
    taskNames: ['reach', 'push'],
    numEnvs: 8,
    agent: null as never,
    get envSteps() {
      return state.envSteps;
    },
    get updates() {
      return state.updates;
    },
    wall: () => state.wall,
    describeScene: () => Promise.reject(new Error('no scene')),
    log: () => {},
  };
  return { run, state };
}

const step = (envSteps: number, extra: Partial<StepView> = {}): StepView => ({ envSteps, result: null as never, transforms: null, taskOfEnv: new Int32Array(8), episodes: [], final: false, ...extra });

describe('progress line', () => {
  it('on a terminal: one line redrawn in place with the run\'s figures; rows and logs above it', () => {
    let now = 0;
    const stream = new FakeStream(true, 400);
    const p = new ProgressLine(stream, { now: () => now, redrawMs: 250 });
    const { run, state } = fakeRun();
    p.start(run);
    // 10 s later: 1,000 env steps, 250 updates; reach succeeded in 1 of 2 episodes.
    now = 10_000;
    Object.assign(state, { envSteps: 1000, updates: 250, wall: 10 });
    p.afterStep(step(1000, { episodes: [{ task: 0, success: true, return: -5 }, { task: 0, success: false, return: -50 }] }), run);
    expect(stream.out).toBe('\r\x1b[K1000/10000 env steps (10%) | 25.0 upd/s | success train/eval: reach 50%/- push -/- | 2 min left');
    // Within the redraw interval: nothing drawn.
    now = 10_100;
    p.afterStep(step(1008), run);
    expect(stream.out.split('\r\x1b[K')).toHaveLength(2);
    // An evaluation and a row: the row is printed above, and the line redrawn with the evaluation.
    now = 20_000;
    Object.assign(state, { envSteps: 2000, updates: 500, wall: 20 });
    const row: MetricsRow = {
      envSteps: 2000, wallSeconds: 20, updates: 500, envStepsPerSec: 100, updatesPerSec: 25,
      tasks: { reach: { episodes: 2, trainSuccess: 0.5, trainReturn: -27, alpha: 0.1, evalSuccess: 1, evalReturn: -5 }, push: { episodes: 0, trainSuccess: null, trainReturn: null, alpha: 0.1 } },
      qLoss: 0.1, actorLoss: 1, alphaLoss: 0, meanQ: -3, time: time(10, { updates: 0.8, simulation: 0.15, evaluation: 0.05 }),
    };
    const evaluation = [
      { task: 'reach', episodes: 2, successRate: 1, meanReturn: -5, meanLength: 6, resetReasons: { success: 2, timeLimit: 0, invalidState: 0 } },
      { task: 'push', episodes: 2, successRate: 0, meanReturn: -100, meanLength: 100, resetReasons: { success: 0, timeLimit: 2, invalidState: 0 } },
    ];
    stream.out = '';
    p.afterStep(step(2000, { evaluation, row }), run);
    expect(stream.out).toBe(
      '\r\x1b[K[2000 steps, 20 s, 25.0 upd/s, 100 steps/s] reach train 50% eval 100%, push train - | time 10.0 s: updates 80%, simulation 15%, evaluation 5%\n' +
        '\r\x1b[K2000/10000 env steps (20%) | 25.0 upd/s | success train/eval: reach 50%/100% push -/0% | 80 s left',
    );
    stream.out = '';
    p.log('eval @ 2000 env steps: reach 100%, push 0%');
    expect(stream.out).toBe('\r\x1b[Keval @ 2000 env steps: reach 100%, push 0%\n2000/10000 env steps (20%) | 25.0 upd/s | success train/eval: reach 50%/100% push -/0% | 80 s left');
    stream.out = '';
    p.end({ time: time(20, { updates: 0.75, simulation: 0.25 }) } as TrainResult);
    expect(stream.out).toBe('\r\x1b[Ktime of this session 20.0 s: updates 75%, simulation 25%\n');
  });

  it('time left: to the budget or the time limit, whichever is sooner', () => {
    let now = 0;
    const stream = new FakeStream(true);
    const p = new ProgressLine(stream, { now: () => now });
    const { run, state } = fakeRun(30); // 30 s limit; the budget would take 90 s more
    p.start(run);
    now = 10_000;
    Object.assign(state, { envSteps: 1000, updates: 100, wall: 10 });
    p.afterStep(step(1000), run);
    expect(p.status()).toMatch(/\| 20 s left \(time limit\)$/);
  });

  it('recent training success is over the last episodes only', () => {
    const p = new ProgressLine(new FakeStream(false), { recent: 3, now: () => 0 });
    const { run } = fakeRun();
    p.start(run);
    const ep = (success: boolean) => ({ task: 1, success, return: 0 });
    p.afterStep(step(8, { episodes: [ep(false), ep(false), ep(true), ep(true), ep(true)] }), run);
    expect(p.status()).toContain('push 100%/-');
  });

  it('without a terminal: a plain line per row, and a progress line at least every plainEvery seconds', () => {
    let now = 0;
    const stream = new FakeStream(false);
    const p = new ProgressLine(stream, { now: () => now, plainEvery: 30 });
    const { run, state } = fakeRun();
    p.start(run);
    for (let t = 1; t <= 70; t++) {
      now = 1000 * t;
      Object.assign(state, { envSteps: 100 * t, updates: 10 * t, wall: t });
      p.afterStep(step(100 * t), run);
    }
    const lines = stream.out.trim().split('\n');
    expect(lines).toEqual([
      '3000/10000 env steps (30%) | 10.0 upd/s | success train/eval: reach -/- push -/- | 70 s left',
      '6000/10000 env steps (60%) | 10.0 upd/s | success train/eval: reach -/- push -/- | 40 s left',
    ]);
    expect(stream.out).not.toContain('\r');
  });

  it('formats rows for the log (the tests of the CLIs wait for "[N steps")', () => {
    const row = { envSteps: 5000, wallSeconds: 14.2, updatesPerSec: 24.06, envStepsPerSec: 356.4, tasks: { reach: { trainSuccess: 0.4, evalSuccess: 0.5 }, push: { trainSuccess: 0 } }, time: time(14.2, { updates: 0.8, other: 0.2 }) } as unknown as MetricsRow;
    expect(rowLine(row)).toBe('[5000 steps, 14 s, 24.1 upd/s, 356 steps/s] reach train 40% eval 50%, push train 0% | time 14.2 s: updates 80%, other 20%');
    expect([duration(42), duration(600), duration(7500), duration(Infinity)]).toEqual(['42 s', '10 min', '2 h 05 min', '-']);
  });
});
