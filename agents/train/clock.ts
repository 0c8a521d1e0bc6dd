// Where a training run's time goes. The loop tells the clock which phase it enters; every
// millisecond since the clock started belongs to exactly one phase, so the shares of any interval
// sum to 1. Measured with performance.now() around each phase of the loop (agents/train/train.ts).
export const PHASES = [
  /**
   * The env worker: handing it a step (on a busy machine the worker waking up can take the core
   * for a while), then waiting for its result after this thread's own work (the updates run while
   * it simulates); at the start, waiting for it to start and reset the envs.
   */
  'simulation',
  /** Scripted-expert demonstrations collected before the first step (agents/train/demos.ts). */
  'demonstrations',
  /** The policy choosing actions (or random actions before learning starts). */
  'acting',
  /** Replay sampling with goal relabeling. */
  'sampling',
  /** SAC updates. */
  'updates',
  /** Finished episodes into replay, input statistics. */
  'storing',
  /** The trainer's evaluations. */
  'evaluation',
  /** checkpoint.bin and best.bin writes. */
  'checkpointing',
  /** Handing the thread to the event loop once per step (timers, sockets). */
  'idle',
  /** Parked by a viewer: paused, or showing evaluation rollouts (not training time). */
  'parked',
  /** Everything else: metrics rows, progress display, viewer frames, loop bookkeeping. */
  'other',
] as const;
export type Phase = (typeof PHASES)[number];

/** Milliseconds per phase since the clock started. */
export type PhaseTotals = Record<Phase, number>;

/** An interval's seconds and each phase's share of it (the shares sum to 1). */
export interface TimeBreakdown {
  seconds: number;
  fractions: Record<Phase, number>;
}

const zeros = (): PhaseTotals => Object.fromEntries(PHASES.map((p) => [p, 0])) as PhaseTotals;

export class PhaseClock {
  private current: Phase = 'other';
  private since = performance.now();
  private readonly totals = zeros();

  /** Enters `phase`; returns the phase it left (to go back to). */
  enter(phase: Phase): Phase {
    const now = performance.now();
    this.totals[this.current] += now - this.since;
    this.since = now;
    const left = this.current;
    this.current = phase;
    return left;
  }

  /** Runs `f` in `phase`, then returns to the phase before. */
  measure<T>(phase: Phase, f: () => T): T {
    const back = this.enter(phase);
    try {
      return f();
    } finally {
      this.enter(back);
    }
  }

  async measureAsync<T>(phase: Phase, f: () => Promise<T>): Promise<T> {
    const back = this.enter(phase);
    try {
      return await f();
    } finally {
      this.enter(back);
    }
  }

  /** Totals up to now. */
  snapshot(): PhaseTotals {
    this.enter(this.current);
    return { ...this.totals };
  }
}

/** The breakdown of the interval between two snapshots of one clock. */
export function breakdown(from: PhaseTotals, to: PhaseTotals): TimeBreakdown {
  const ms = zeros();
  let total = 0;
  for (const p of PHASES) {
    ms[p] = Math.max(0, to[p] - from[p]);
    total += ms[p];
  }
  const fractions = zeros();
  if (total > 0) for (const p of PHASES) fractions[p] = ms[p] / total;
  return { seconds: total / 1000, fractions };
}

/** Totals of a clock that has not run. */
export const emptyTotals = zeros;

/** "updates 81%, simulation 9%, ...": the phases with at least half a percent, largest first. */
export function formatBreakdown(t: TimeBreakdown): string {
  const parts = PHASES.filter((p) => t.fractions[p] >= 0.005)
    .sort((a, b) => t.fractions[b] - t.fractions[a])
    .map((p) => `${p} ${(100 * t.fractions[p]).toFixed(0)}%`);
  return `${t.seconds.toFixed(1)} s: ${parts.join(', ') || '-'}`;
}
