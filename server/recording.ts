// Recordings: a tap that writes everything a source produces (scenes, a frame of every env at
// every control step, learning-curve points) to a gzip file, and a source that plays such a file
// back through the same hub, with pause, speed and env selection, and no simulator or trainer.
// The layout of the file is in protocol.ts (records are wire messages plus a timestamp).
import { createWriteStream, mkdirSync, readFileSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { gunzipSync, createGzip, type Gzip } from 'node:zlib';
import { decodeFrame, encodeFrame, sceneLayout, type SceneLayout } from './frame.ts';
import {
  FRAME_FLAG_EVAL,
  RECORDING_MAGIC,
  RECORD_FRAME,
  RECORD_JSON,
  encodeRecord,
  metricPointSchema,
  parseRecording,
  sceneMessageSchema,
  type MetricPoint,
  type Mode,
  type SceneMessage,
  type SourceInfo,
  type Speed,
} from './protocol.ts';
import { ControlledSource, Pacer, type HudBuffers, type RolloutSource, type RolloutTap, type SourceScene } from './source.ts';

/** Writes a recording. Writes are buffered by the gzip stream, so the loop never waits on the disk. */
export class RecordingWriter implements RolloutTap {
  private readonly gzip: Gzip;
  private readonly file: WriteStream;
  private readonly t0 = performance.now();
  private layout: SceneLayout | null = null;
  private mode: Mode = 'train';
  private sceneId = 0;
  private seq = 0;
  private readonly enc = new TextEncoder();
  private allEnvs: number[] = [];
  frames = 0;
  private closed: Promise<void> | null = null;

  constructor(
    readonly path: string,
    /** Stop recording frames after this many (the file is then closed by close()). */
    readonly maxFrames = Infinity,
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.file = createWriteStream(path);
    this.gzip = createGzip({ level: 6 });
    this.gzip.pipe(this.file);
    this.gzip.write(Buffer.from(RECORDING_MAGIC, 'latin1'));
  }

  get full(): boolean {
    return this.frames >= this.maxFrames;
  }

  private now(): number {
    return (performance.now() - this.t0) / 1000;
  }

  private json(m: object): void {
    if (this.closed) return;
    this.gzip.write(encodeRecord(RECORD_JSON, this.now(), this.enc.encode(JSON.stringify(m))));
  }

  scene(s: SourceScene): void {
    if (this.full) return;
    this.sceneId++;
    this.layout = sceneLayout(s);
    this.mode = s.mode;
    this.allEnvs = s.envs.map((e) => e.index);
    this.json({ type: 'scene', sceneId: this.sceneId, mode: s.mode, tasks: s.tasks, numEnvs: s.numEnvs, controlDt: s.controlDt, floatsPerBody: 7, envs: s.envs } satisfies SceneMessage);
  }

  frame(transforms: Float32Array, hud: HudBuffers, envSteps: number): void {
    if (!this.layout || this.closed || this.full) return;
    const flags = this.mode === 'eval' ? FRAME_FLAG_EVAL : 0;
    const buf = encodeFrame(this.layout, { sceneId: this.sceneId, seq: this.seq++, envSteps, flags }, transforms, hud, this.allEnvs);
    this.gzip.write(encodeRecord(RECORD_FRAME, this.now(), new Uint8Array(buf)));
    this.frames++;
  }

  metrics(points: MetricPoint[], reset = false): void {
    if (this.full) return;
    this.json({ type: 'metrics', reset, points });
  }

  /** Flushes and closes the file. */
  close(): Promise<void> {
    if (!this.closed) {
      this.closed = new Promise((resolve, reject) => {
        this.file.once('close', () => resolve());
        this.file.once('error', reject);
        this.gzip.end();
      });
    }
    return this.closed;
  }
}

/** A tap that forwards every call to several taps (e.g. the hub and a recorder). */
export function teeTap(...taps: RolloutTap[]): RolloutTap {
  return {
    scene: (s) => taps.forEach((t) => t.scene(s)),
    frame: (tr, hud, n) => taps.forEach((t) => t.frame(tr, hud, n)),
    metrics: (p, r) => taps.forEach((t) => t.metrics(p, r)),
  };
}

interface Segment {
  scene: SourceScene;
  layout: SceneLayout;
  /** Timeline entries in order: frames and metric batches. */
  items: ({ kind: 'frame'; buf: ArrayBuffer } | { kind: 'metrics'; points: MetricPoint[]; reset: boolean })[];
}

export interface LoadedRecording {
  segments: Segment[];
  frames: number;
}

/** Reads and validates a recording file. */
export function loadRecording(path: string): LoadedRecording {
  let bytes: Uint8Array;
  try {
    bytes = gunzipSync(readFileSync(path));
  } catch (e) {
    throw new Error(`cannot read recording ${path}: ${(e as Error).message}`);
  }
  const entries = parseRecording(bytes);
  const segments: Segment[] = [];
  let frames = 0;
  for (const e of entries) {
    if (e.kind === RECORD_JSON) {
      const m = JSON.parse(e.json!) as { type?: string };
      if (m.type === 'scene') {
        const s = sceneMessageSchema.parse(m);
        const scene: SourceScene = { mode: s.mode, tasks: s.tasks, numEnvs: s.numEnvs, controlDt: s.controlDt, envs: s.envs };
        segments.push({ scene, layout: sceneLayout(scene), items: [] });
      } else if (m.type === 'metrics') {
        const mm = m as { points: unknown; reset?: unknown };
        const points = metricPointSchema.array().parse(mm.points);
        const seg = segments.at(-1);
        if (!seg) throw new Error(`recording ${path}: metrics before any scene`);
        seg.items.push({ kind: 'metrics', points, reset: mm.reset === true });
      }
    } else {
      const seg = segments.at(-1);
      if (!seg) throw new Error(`recording ${path}: a frame before any scene`);
      decodeFrame(seg.layout, e.frame!); // validates against the scene
      seg.items.push({ kind: 'frame', buf: e.frame! });
      frames++;
    }
  }
  if (frames === 0) throw new Error(`recording ${path} holds no frames`);
  return { segments, frames };
}

/** Plays a recording through a tap, paced at `speed` x one control period per frame; loops by default. */
export class PlaybackSource extends ControlledSource implements RolloutSource {
  readonly info: SourceInfo;
  private position = 0;

  constructor(
    private readonly rec: LoadedRecording,
    name: string,
    opts: { speed?: Speed; loop?: boolean } = {},
    private readonly loop = opts.loop ?? true,
  ) {
    super(rec.segments[0].scene.mode, opts.speed ?? 1);
    this.info = { kind: 'playback', name: `recording ${name}`, modes: [...new Set(rec.segments.map((s) => s.scene.mode))] };
  }

  override setMode(mode: Mode): void {
    if (!this.info.modes.includes(mode)) throw new RangeError(`the recording holds no ${mode} rollouts`);
    // A recording plays in the order it was recorded; the mode follows the segment being played.
  }
  progress(): { frame: number; frames: number } {
    return { frame: this.position, frames: this.rec.frames };
  }

  async run(tap: RolloutTap, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      this.position = 0;
      tap.metrics([], true); // each pass redraws the curves from the start
      for (const seg of this.rec.segments) {
        this.mode = seg.scene.mode;
        const pacer = new Pacer(seg.scene.controlDt);
        tap.scene(seg.scene);
        for (const item of seg.items) {
          if (signal.aborted) return;
          if (item.kind === 'metrics') {
            tap.metrics(item.points, item.reset);
            continue;
          }
          while (this.paused && !signal.aborted) {
            pacer.reset();
            await this.waker.wait(signal);
          }
          const f = decodeFrame(seg.layout, item.buf);
          tap.frame(f.transforms, f.hud, f.header.envSteps);
          this.position++;
          await pacer.wait(this.speed, signal);
        }
      }
      if (!this.loop) return;
    }
  }
}
