// Plays a recording file (.rrlrec) in the page itself, with no server work: the file's records are
// the same wire messages the server sends, so they go through the same handlers. Pace: one frame
// per control period / speed, looping.
import { RECORD_FRAME, parseRecording, type RecordEntry, type ServerMessage, type Speed } from '../../server/protocol.ts';

export interface PlayerHandlers {
  onMessage(m: ServerMessage): void;
  onFrame(buf: ArrayBuffer): void;
}

/** Decompresses (gzip) and parses a recording file. */
export async function readRecordingFile(file: Blob): Promise<RecordEntry[]> {
  const stream = file.stream().pipeThrough(new DecompressionStream('gzip'));
  const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
  return parseRecording(bytes);
}

export class LocalPlayer {
  paused = false;
  speed: Speed = 1;
  readonly frames: number;
  position = 0;
  private k = 0;
  private controlDt = 0.04;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;

  constructor(
    private readonly entries: RecordEntry[],
    private readonly h: PlayerHandlers,
  ) {
    this.frames = entries.filter((e) => e.kind === RECORD_FRAME).length;
    if (this.frames === 0) throw new Error('the recording holds no frames');
  }

  start(): void {
    this.h.onMessage({ type: 'metrics', reset: true, points: [] });
    this.tick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  setPaused(p: boolean): void {
    this.paused = p;
  }

  /** Emits records up to and including the next frame, then waits one control period / speed. */
  private tick(): void {
    if (this.stopped) return;
    if (!this.paused) {
      for (;;) {
        if (this.k >= this.entries.length) {
          this.k = 0;
          this.position = 0;
          this.h.onMessage({ type: 'metrics', reset: true, points: [] });
        }
        const e = this.entries[this.k++];
        if (e.kind === RECORD_FRAME) {
          this.position++;
          this.h.onFrame(e.frame!);
          break;
        }
        let m: ServerMessage;
        try {
          m = JSON.parse(e.json!) as ServerMessage;
        } catch {
          continue;
        }
        if (m.type === 'scene') this.controlDt = m.controlDt;
        this.h.onMessage(m);
      }
    }
    const ms = this.speed === 'max' ? 0 : (1000 * this.controlDt) / this.speed;
    this.timer = setTimeout(() => this.tick(), this.paused ? 50 : ms);
  }
}
