// The checkpointer's schedule: every grid point while writes are fast; after a slow write (the
// replay has grown), grid points are skipped until 19 times its duration of training time has
// passed, so checkpointing stays near 5% of a long run; the last step always checkpoints.
import { describe, expect, it } from 'vitest';
import { Checkpointer, MAX_SHARE, SLOW_CHECKPOINT_S } from '../../agents/train/checkpointer.ts';
import type { StepView } from '../../agents/train/observer.ts';
import type { TrainRun } from '../../agents/train/run.ts';

/** A run whose training clock the test moves, and whose checkpoint writes take `writeSeconds` of it. */
function fakeRun(every: number) {
  const fake = {
    clockS: 0,
    writeSeconds: 0,
    written: [] as number[],
    cfg: { checkpointEvery: every },
    resumed: false,
    envSteps: 0,
    state: { envSteps: 0 } as Record<string, unknown>,
    rng: { getState: () => [1, 2, 3, 4] },
    folder: {
      metricsBytes: () => 0,
      saveCheckpoint: () => {
        fake.written.push(fake.envSteps);
        // The write's duration, as performance.now() sees it (a real busy wait for slow writes).
        const until = performance.now() + fake.writeSeconds * 1000;
        while (performance.now() < until);
        fake.clockS += fake.writeSeconds;
      },
    },
    spec: {},
    agent: { getState: () => ({}) },
    replay: { buffers: [], demos: [] },
    clock: { measure: <T>(_phase: string, f: () => T): T => f() },
    wall: () => fake.clockS,
  };
  return fake;
}

function stepTo(cp: Checkpointer, fake: ReturnType<typeof fakeRun>, envSteps: number, seconds: number, final = false): boolean {
  fake.envSteps = envSteps;
  (fake.state as { envSteps: number }).envSteps = envSteps;
  fake.clockS = seconds;
  const step = { envSteps, final } as StepView;
  cp.afterStep(step);
  return step.checkpointed === true;
}

describe('checkpoint schedule', () => {
  it('writes every grid point while writes are fast, and at the last step', () => {
    const fake = fakeRun(100);
    const cp = new Checkpointer(fake as unknown as TrainRun);
    for (let s = 50; s <= 1000; s += 50) stepTo(cp, fake, s, s / 100);
    stepTo(cp, fake, 1030, 10.3, true);
    expect(fake.written).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1030]);
  });

  it('after a slow write, skips grid points for 19 times its duration, then writes on the grid again', () => {
    expect(1 / MAX_SHARE - 1).toBe(19);
    const fake = fakeRun(100);
    const cp = new Checkpointer(fake as unknown as TrainRun);
    fake.writeSeconds = SLOW_CHECKPOINT_S + 0.1; // 1.1 s: the next one no sooner than 20.9 s after it ends
    // One grid point every 2 s of training time; the slow write at 100 ends at 2 + 1.1 = 3.1 s.
    expect(stepTo(cp, fake, 100, 2)).toBe(true);
    fake.writeSeconds = 0;
    const writtenAt: number[] = [];
    for (let s = 200; s <= 1500; s += 100) if (stepTo(cp, fake, s, 3.1 + (s - 100) / 50)) writtenAt.push(s);
    // Not before 3.1 s + 20.9 s = 24 s: 1100 comes at 23.1 s (skipped), 1200 at 25.1 s; fast again from there.
    expect(writtenAt).toEqual([1200, 1300, 1400, 1500]);
    expect(stepTo(cp, fake, 1520, 33, true)).toBe(true);
  });

  it('the last step checkpoints even inside a skipped stretch', () => {
    const fake = fakeRun(100);
    const cp = new Checkpointer(fake as unknown as TrainRun);
    fake.writeSeconds = SLOW_CHECKPOINT_S + 0.1;
    stepTo(cp, fake, 100, 1);
    fake.writeSeconds = 0;
    expect(stepTo(cp, fake, 200, 3)).toBe(false);
    expect(stepTo(cp, fake, 250, 4, true)).toBe(true);
    expect(fake.written).toEqual([100, 250]);
  });
});
