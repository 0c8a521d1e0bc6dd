// What the server streams from: a "rollout source" owns a stepping loop (a VecEnv driven by a
// policy, a trainer, or a recording) and reports to a tap. The server (hub.ts) is one tap, the
// recorder (recording.ts) another. The trainer in agents/ becomes a source by implementing
// RolloutSource; HudTracker and SuccessCurves below do the bookkeeping it would otherwise repeat.
//
// Contract for the stepping loop (why: the loop and the sockets share one thread):
// - every tap call is synchronous and cheap (it copies what it needs), so it never makes the loop
//   wait; the loop may reuse the buffers it passes right after the call returns;
// - the loop yields to the event loop (await setImmediate or a timer) at least every ~50 ms, or
//   the server cannot answer control messages or send frames.
import { CONTROL_DT } from '../sim/config.ts';
import type { EnvInfo, SceneDescription, StepResult } from '../sim/vec-env.ts';
import { ENV_FLAG_DONE, ENV_FLAG_DONE_SUCCESS, ENV_FLAG_SUCCESS, type MetricPoint, type Mode, type SourceInfo, type Speed, type WireEnvScene } from './protocol.ts';

/** The env set the loop is stepping now: sim's describeScene() plus the mode and task list. */
export interface SourceScene {
  mode: Mode;
  tasks: string[];
  numEnvs: number;
  /** Simulated seconds per control step (sim's CONTROL_DT). */
  controlDt: number;
  envs: WireEnvScene[];
}

/** Per-env HUD numbers as struct-of-arrays, so the loop fills them without allocating. */
export interface HudBuffers {
  episodeStep: Uint32Array;
  episodeReturn: Float32Array;
  /** ENV_FLAG_* bits for the last step. */
  flags: Uint8Array;
  episodes: Uint32Array;
  successes: Uint32Array;
}

export interface RolloutTap {
  /** A new env set (at start, on a mode switch, on any rebuild). Frames that follow refer to it. */
  scene(scene: SourceScene): void;
  /**
   * After each control step: every body's transform in scene order (7 floats each, world frame),
   * HUD numbers per env, and training env-steps so far. Buffers may be reused after the call.
   */
  frame(transforms: Float32Array, hud: HudBuffers, envSteps: number): void;
  /** New learning-curve points; reset: the history restarts (e.g. a recording loops). */
  metrics(points: MetricPoint[], reset?: boolean): void;
}

/** Control the server forwards from viewers. Every method is synchronous and takes effect at the loop's next step. */
export interface SourceControl {
  readonly paused: boolean;
  pause(): void;
  resume(): void;
  readonly mode: Mode;
  /** Throws RangeError if the source cannot show that mode (the client gets the message). */
  setMode(mode: Mode): void;
  readonly speed: Speed;
  setSpeed(speed: Speed): void;
  /** Hint: the union of env indices some viewer watches (null: nobody). Sources may skip work for the rest. */
  setWatched?(envs: ReadonlySet<number> | null): void;
}

export interface RolloutSource extends SourceControl {
  readonly info: SourceInfo;
  /** Runs the loop, reporting to `tap`, until it finishes or `signal` aborts. */
  run(tap: RolloutTap, signal: AbortSignal): Promise<void>;
  /** For recordings: playback position; null for live sources. */
  progress?(): { frame: number; frames: number } | null;
}

// sim's scene description must stay assignable to what goes on the wire.
const _sceneFits = (s: SceneDescription): Pick<SourceScene, 'numEnvs' | 'envs'> => s;
void _sceneFits;

export function sourceScene(desc: SceneDescription, mode: Mode, tasks: readonly string[]): SourceScene {
  return { mode, tasks: [...tasks], numEnvs: desc.numEnvs, controlDt: CONTROL_DT, envs: desc.envs };
}

export function makeHudBuffers(n: number): HudBuffers {
  return {
    episodeStep: new Uint32Array(n),
    episodeReturn: new Float32Array(n),
    flags: new Uint8Array(n),
    episodes: new Uint32Array(n),
    successes: new Uint32Array(n),
  };
}

/** Keeps HudBuffers up to date from VecEnv results. */
export class HudTracker {
  readonly hud: HudBuffers;
  constructor(readonly numEnvs: number) {
    this.hud = makeHudBuffers(numEnvs);
  }

  reset(info: readonly EnvInfo[]): void {
    const h = this.hud;
    h.episodes.fill(0);
    h.successes.fill(0);
    for (let i = 0; i < this.numEnvs; i++) {
      h.episodeStep[i] = info[i].episodeStep;
      h.episodeReturn[i] = info[i].episodeReturn;
      h.flags[i] = 0;
    }
  }

  update(r: StepResult): void {
    const h = this.hud;
    for (let i = 0; i < this.numEnvs; i++) {
      let f = 0;
      const fin = r.finalInfo[i];
      if (fin) {
        h.episodes[i]++;
        f |= ENV_FLAG_DONE;
        if (fin.success) {
          h.successes[i]++;
          f |= ENV_FLAG_DONE_SUCCESS;
        }
      }
      const inf = r.info[i];
      if (inf.success) f |= ENV_FLAG_SUCCESS;
      h.flags[i] = f;
      h.episodeStep[i] = inf.episodeStep;
      h.episodeReturn[i] = inf.episodeReturn;
    }
  }
}

/**
 * Per-task success-versus-env-steps points for the "train" series: the success rate and mean
 * return over each task's last `window` finished episodes, one point per task at most every
 * `everyEnvSteps` env-steps (and only when that task finished an episode since its last point).
 */
export class SuccessCurves {
  private readonly recent: { success: number[]; ret: number[]; fresh: boolean; lastAt: number }[];
  constructor(
    readonly tasks: readonly string[],
    readonly window = 20,
    readonly everyEnvSteps = 500,
  ) {
    this.recent = tasks.map(() => ({ success: [], ret: [], fresh: false, lastAt: -Infinity }));
  }

  /** Records the episodes that ended in this step; taskOfEnv maps env index to task index. */
  record(r: StepResult, taskOfEnv: ArrayLike<number>): void {
    for (let i = 0; i < r.finalInfo.length; i++) {
      const fin = r.finalInfo[i];
      if (!fin) continue;
      const t = this.recent[taskOfEnv[i]];
      t.success.push(fin.success ? 1 : 0);
      t.ret.push(fin.episodeReturn);
      if (t.success.length > this.window) {
        t.success.shift();
        t.ret.shift();
      }
      t.fresh = true;
    }
  }

  /** Points due at this env-step count (empty most of the time). */
  due(envSteps: number, series: Mode = 'train'): MetricPoint[] {
    const out: MetricPoint[] = [];
    this.recent.forEach((t, k) => {
      if (!t.fresh || envSteps - t.lastAt < this.everyEnvSteps) return;
      t.fresh = false;
      t.lastAt = envSteps;
      const n = t.success.length;
      out.push({
        series,
        task: this.tasks[k],
        envSteps,
        successRate: t.success.reduce((a, b) => a + b, 0) / n,
        meanReturn: t.ret.reduce((a, b) => a + b, 0) / n,
        episodes: n,
      });
    });
    return out;
  }
}

/**
 * Paces a loop to a real-time factor: at speed s, one control step every CONTROL_DT / s seconds;
 * at 'max', only yields to the event loop. Never bursts to catch up after a stall.
 */
export class Pacer {
  private next = 0;
  constructor(private readonly stepSeconds: number) {}

  reset(): void {
    this.next = 0;
  }

  async wait(speed: Speed, signal: AbortSignal): Promise<void> {
    if (speed === 'max') {
      this.next = 0;
      await yieldToEventLoop();
      return;
    }
    const now = performance.now();
    const interval = (1000 * this.stepSeconds) / speed;
    if (this.next === 0 || now - this.next > 250) this.next = now;
    this.next += interval;
    // Sleep in slices so a speed change or an abort is seen soon.
    for (;;) {
      if (signal.aborted) return;
      const left = this.next - performance.now();
      if (left <= 1) break;
      await sleep(Math.min(left, 50));
    }
    await yieldToEventLoop();
  }
}

/**
 * The control state every live source shares: pause, mode and speed, with a waker that a parked
 * loop waits on. Sources extend it and override setMode where a mode needs checking.
 */
export abstract class ControlledSource implements SourceControl {
  paused = false;
  mode: Mode;
  speed: Speed;
  protected readonly waker = new Waker();

  constructor(mode: Mode, speed: Speed) {
    this.mode = mode;
    this.speed = speed;
  }

  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
    this.waker.poke();
  }
  setMode(mode: Mode): void {
    this.mode = mode;
    this.waker.poke();
  }
  setSpeed(speed: Speed): void {
    this.speed = speed;
    this.waker.poke();
  }
}

export const yieldToEventLoop = (): Promise<void> => new Promise((r) => setImmediate(r));
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A promise that resolves the next time `poke()` is called (used to park a paused loop). */
export class Waker {
  private waiters: (() => void)[] = [];
  wait(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.push(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }
  poke(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
