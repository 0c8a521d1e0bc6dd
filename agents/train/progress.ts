// The trainer's terminal display (`npm run train`, `npm start`): a progress line with env steps,
// updates per second, success per task (recent training episodes and the last evaluation) and the
// time left (to the budget or the time limit, whichever comes sooner), redrawn in place on a
// terminal and printed as periodic plain lines otherwise; a line per metrics row with where the
// time went; the session's time breakdown at the end.
import type { TaskSummary } from '../../sim/rollout.ts';
import { formatBreakdown } from './clock.ts';
import type { MetricsRow, RunView, StepView, TrainObserver, TrainResult } from './observer.ts';

export interface ProgressStream {
  write(text: string): unknown;
  /** A terminal: the progress line is redrawn in place. */
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  /** Plain (non-terminal) output: a progress line at least this often, in seconds (default 30). */
  plainEvery?: number;
  /** Terminal output: redraw at most this often, in milliseconds (default 250). */
  redrawMs?: number;
  /** Training episodes per task behind the "recent" success figure (default 20). */
  recent?: number;
  /** The clock, in milliseconds (tests). */
  now?: () => number;
}

/** Seconds as "42 s", "12 min", "2 h 05 min". */
export function duration(s: number): string {
  if (!Number.isFinite(s)) return '-';
  if (s < 90) return `${Math.max(0, Math.round(s))} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '-' : `${Math.round(100 * x)}%`);

/** `[5000 steps, 14 s, 24.1 upd/s, 356 steps/s] reach train 40% eval 50%, push train 0% | time 14.2 s: updates 81%, ...` */
export function rowLine(row: MetricsRow): string {
  const per = Object.entries(row.tasks)
    .map(([t, r]) => `${t} train ${pct(r.trainSuccess)}${r.evalSuccess === undefined ? '' : ` eval ${pct(r.evalSuccess)}`}`)
    .join(', ');
  return `[${row.envSteps} steps, ${row.wallSeconds.toFixed(0)} s, ${row.updatesPerSec.toFixed(1)} upd/s, ${row.envStepsPerSec.toFixed(0)} steps/s] ${per} | time ${formatBreakdown(row.time)}`;
}

export class ProgressLine implements TrainObserver {
  private readonly plainEvery: number;
  private readonly redrawMs: number;
  private readonly window: number;
  private readonly now: () => number;
  private recent: number[][] = [];
  private lastEval: TaskSummary[] | null = null;
  /** (time, env steps, updates) samples of the last ~30 s, for rates that follow the run as it goes. */
  private samples: { t: number; envSteps: number; updates: number }[] = [];
  private shown = '';
  private lastDraw = -Infinity;
  private lastPlain: number;
  private run: RunView | null = null;

  constructor(
    private readonly stream: ProgressStream,
    opts: ProgressOptions = {},
  ) {
    this.plainEvery = opts.plainEvery ?? 30;
    this.redrawMs = opts.redrawMs ?? 250;
    this.window = opts.recent ?? 20;
    this.now = opts.now ?? (() => performance.now());
    this.lastPlain = this.now();
  }

  /** Prints a line (above the progress line on a terminal). */
  log(line: string): void {
    this.above(line);
    if (this.stream.isTTY && this.shown) this.stream.write(this.shown);
  }

  /** A line where the progress line is, which the next draw puts back under it. */
  private above(line: string): void {
    this.stream.write(this.stream.isTTY && this.shown ? `\r\x1b[K${line}\n` : `${line}\n`);
  }

  start(run: RunView): void {
    this.run = run;
    this.recent = run.taskNames.map(() => []);
    this.samples = [{ t: this.now(), envSteps: run.envSteps, updates: run.updates }];
  }

  afterStep(step: StepView, run: RunView): void {
    for (const e of step.episodes) {
      const r = this.recent[e.task];
      r.push(e.success ? 1 : 0);
      if (r.length > this.window) r.shift();
    }
    if (step.evaluation) this.lastEval = step.evaluation;
    const t = this.now();
    this.samples.push({ t, envSteps: run.envSteps, updates: run.updates });
    while (this.samples.length > 2 && t - this.samples[1].t > 30_000) this.samples.shift();
    if (step.row) this.above(rowLine(step.row));
    if (this.stream.isTTY) {
      if (t - this.lastDraw < this.redrawMs && !step.row) return;
      this.lastDraw = t;
      this.draw(this.status(run));
    } else if (t - this.lastPlain >= 1000 * this.plainEvery || step.row) {
      if (!step.row) this.stream.write(`${this.status(run)}\n`);
      this.lastPlain = t;
    }
  }

  end(result: TrainResult): void {
    if (this.stream.isTTY && this.shown) this.stream.write('\r\x1b[K');
    this.shown = '';
    this.log(`time of this session ${formatBreakdown(result.time)}`);
  }

  /** The progress line: env steps, updates/s, success per task (recent training / last evaluation), time left. */
  status(run: RunView = this.run!): string {
    const { cfg } = run;
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    const dt = last && first ? (last.t - first.t) / 1000 : 0;
    const stepRate = dt > 0 ? (last.envSteps - first.envSteps) / dt : 0;
    const updRate = dt > 0 ? (last.updates - first.updates) / dt : 0;
    const toBudget = stepRate > 0 ? (cfg.envSteps - run.envSteps) / stepRate : Infinity;
    const toLimit = cfg.maxSeconds === null ? Infinity : cfg.maxSeconds - run.wall();
    const left = Math.min(toBudget, toLimit);
    const tasks = run.taskNames
      .map((name, k) => {
        const r = this.recent[k] ?? [];
        const train = r.length ? r.reduce((a, b) => a + b, 0) / r.length : null;
        const ev = this.lastEval?.find((e) => e.task === name)?.successRate;
        return `${name} ${pct(train)}/${pct(ev)}`;
      })
      .join(' ');
    const share = Math.min(100, (100 * run.envSteps) / cfg.envSteps);
    return `${run.envSteps}/${cfg.envSteps} env steps (${share.toFixed(0)}%) | ${dt > 0 ? updRate.toFixed(1) : '-'} upd/s | success train/eval: ${tasks} | ${Number.isFinite(left) ? `${duration(left)} left${toLimit < toBudget ? ' (time limit)' : ''}` : 'time left -'}`;
  }

  private draw(line: string): void {
    const width = this.stream.columns ?? 0;
    const fitted = width > 1 && line.length >= width ? `${line.slice(0, width - 2)}…` : line;
    this.shown = fitted;
    this.stream.write(`\r\x1b[K${fitted}`);
  }
}
