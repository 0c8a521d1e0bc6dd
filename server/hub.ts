// The hub sits between one rollout source and any number of viewer sockets. As the source's tap it
// only copies the latest frame and bumps a counter (microseconds, no I/O), so the stepping loop
// never waits on a viewer. A timer at `sendHz` then sends each client the newest frame for the envs
// it watches, unless that client's socket still holds more than `maxBufferedBytes` unsent: then
// the frame is dropped for that client alone (counted), and it gets a fresher one next tick.
//
// Why non-blocking sends on the main thread rather than a worker: a frame is a few kB and a send
// is a copy plus a socket write, tens of microseconds, at most sendHz x clients times a second,
// while a control step costs milliseconds; a worker would need the same copy to cross threads,
// and would take the second of our two cores from the physics. bench:viewer measures the result.
import type { RawData, WebSocket } from 'ws';
import { encodeFrame, sceneLayout, type SceneLayout } from './frame.ts';
import {
  FRAME_FLAG_EVAL,
  FRAME_FLAG_PAUSED,
  MAX_CLIENT_MESSAGE_BYTES,
  MODES,
  PROTOCOL_VERSION,
  controlMessageSchema,
  type ControlMessage,
  type ErrorCode,
  type MetricPoint,
  type SceneMessage,
  type ServerMessage,
  type StatusMessage,
} from './protocol.ts';
import { makeHudBuffers, type HudBuffers, type RolloutSource, type RolloutTap, type SourceScene } from './source.ts';

export interface HubOptions {
  /** Frames per second sent to each client, at most. */
  sendHz?: number;
  /** A client whose socket holds more than this unsent gets no new frame this tick. */
  maxBufferedBytes?: number;
  /** A client whose socket holds more than this (it stopped reading) is disconnected. */
  hardBufferedBytes?: number;
  /** Learning-curve points kept for clients that connect later (older ones thinned out). */
  maxHistory?: number;
  /** Shown in status: where the run is being recorded, if it is. */
  recording?: string | null;
}

/** What the hub needs of a socket (a ws WebSocket, or a fake in tests). */
export type ClientSocket = Pick<WebSocket, 'send' | 'bufferedAmount' | 'readyState' | 'close' | 'terminate' | 'on'>;

interface Client {
  ws: ClientSocket;
  /** What the client asked to watch; null = everything. */
  spec: { envs?: number[]; tasks?: string[] } | null;
  /** Resolved env indices for the current scene, sorted. */
  envs: number[];
  sentSeq: number;
  sent: number;
  dropped: number;
}

export interface HubStats {
  clients: number;
  framesPublished: number;
  framesSent: number;
  framesDropped: number;
  errorsSent: number;
  /** Main-thread time spent building and sending frames, in total (ms). */
  flushMs: number;
}

const KNOWN_TYPES = new Set<string>(controlMessageSchema.options.map((o) => o.shape.type.value));
/** Each message type's fields (besides "type"), for errors that name what was wrong. */
const FIELDS = new Map<string, string[]>(controlMessageSchema.options.map((o) => [o.shape.type.value, Object.keys(o.shape).filter((k) => k !== 'type')]));
/** What a field must hold, in words. */
const FIELD_RULES: Record<string, string> = {
  id: 'must be a string of up to 64 characters or an integer',
  mode: `must be one of ${MODES.join(', ')}`,
  speed: 'must be a number from 0.05 to 64, or "max"',
  envs: 'must be a list of env indices (integers from 0)',
  tasks: 'must be a list of task names',
  all: 'must be true or false',
};

/** A control message that failed its schema, in words that name the field (not a schema path). */
export function describeBadMessage(type: string, raw: Record<string, unknown>, issues: readonly { path: PropertyKey[]; message: string }[]): string {
  const fields = FIELDS.get(type) ?? [];
  const list = fields.length ? fields.map((f) => `"${f}"`).join(', ') : 'none besides "type"';
  const unknown = Object.keys(raw).filter((k) => k !== 'type' && !fields.includes(k));
  if (unknown.length) return `"${type}" message: unknown field ${unknown.slice(0, 3).map((k) => `"${k.slice(0, 40)}"`).join(', ')}; its fields: ${list}`;
  const issue = issues[0];
  const field = String(issue?.path[0] ?? '');
  if (!field) return `"${type}" message: ${issue?.message ?? 'invalid'}`;
  if (!(field in raw)) return `"${type}" message: field "${field}" is missing`;
  const at = issue.path.length > 1 ? ` (at ${issue.path.slice(1).join('.')})` : '';
  return `"${type}" message: field "${field}"${at} ${FIELD_RULES[field] ?? issue.message}`;
}

export class Hub implements RolloutTap {
  readonly sendHz: number;
  readonly maxBufferedBytes: number;
  readonly hardBufferedBytes: number;
  private readonly maxHistory: number;
  private readonly recording: string | null;
  private readonly clients = new Set<Client>();
  private sceneMsg: SceneMessage | null = null;
  private sceneJson = '';
  private layout: SceneLayout | null = null;
  private sceneId = 0;
  private transforms = new Float32Array(0);
  private hud: HudBuffers = makeHudBuffers(0);
  private seq = 0;
  private envSteps = 0;
  private history: MetricPoint[] = [];
  private sendTimer: ReturnType<typeof setInterval> | null = null;
  private statusTimer: ReturnType<typeof setInterval> | null = null;
  private framesInWindow = 0;
  private stepsPerSec = 0;
  private finished = false;
  private flushMs = 0;
  private readonly stats = { framesPublished: 0, framesSent: 0, framesDropped: 0, errorsSent: 0 };

  constructor(
    readonly source: RolloutSource,
    opts: HubOptions = {},
  ) {
    this.sendHz = opts.sendHz ?? 30;
    this.maxBufferedBytes = opts.maxBufferedBytes ?? 64 * 1024;
    this.hardBufferedBytes = opts.hardBufferedBytes ?? 16 * 1024 * 1024;
    this.maxHistory = opts.maxHistory ?? 4000;
    this.recording = opts.recording ?? null;
  }

  start(): void {
    if (this.sendTimer) return;
    this.sendTimer = setInterval(() => this.flush(), 1000 / this.sendHz);
    this.statusTimer = setInterval(() => {
      this.stepsPerSec = this.framesInWindow;
      this.framesInWindow = 0;
      this.broadcastStatus();
    }, 1000);
  }

  stop(): void {
    if (this.sendTimer) clearInterval(this.sendTimer);
    if (this.statusTimer) clearInterval(this.statusTimer);
    this.sendTimer = this.statusTimer = null;
    for (const c of this.clients) c.ws.close(1001, 'server stopping');
    this.clients.clear();
  }

  getStats(): HubStats {
    return { clients: this.clients.size, ...this.stats, flushMs: this.flushMs };
  }

  /** Per client: frames sent and dropped, and bytes its socket holds unsent right now. */
  clientStats(): { sent: number; dropped: number; buffered: number }[] {
    return [...this.clients].map((c) => ({ sent: c.sent, dropped: c.dropped, buffered: c.ws.bufferedAmount }));
  }

  /** The source finished (end of a recording, or its step budget). */
  markFinished(): void {
    this.finished = true;
    this.broadcastStatus();
  }

  // ----- RolloutTap: called from the stepping loop; copy and return.

  scene(s: SourceScene): void {
    this.sceneId++;
    this.layout = sceneLayout(s);
    this.sceneMsg = { type: 'scene', sceneId: this.sceneId, mode: s.mode, tasks: s.tasks, numEnvs: s.numEnvs, controlDt: s.controlDt, floatsPerBody: 7, envs: s.envs };
    this.sceneJson = JSON.stringify(this.sceneMsg);
    this.transforms = new Float32Array(this.layout.totalBodies * 7);
    this.hud = makeHudBuffers(s.numEnvs);
    for (const c of this.clients) {
      this.sendText(c, this.sceneJson);
      const before = c.envs.join(',');
      this.resolveWatch(c);
      if (c.envs.join(',') !== before || c.sentSeq === -1) this.sendJson(c, { type: 'watching', envs: c.envs });
      c.sentSeq = -1;
    }
    this.updateWatchedHint();
  }

  frame(transforms: Float32Array, hud: HudBuffers, envSteps: number): void {
    const n = Math.min(transforms.length, this.transforms.length);
    this.transforms.set(n === transforms.length ? transforms : transforms.subarray(0, n));
    const h = this.hud;
    h.episodeStep.set(hud.episodeStep.subarray(0, h.episodeStep.length));
    h.episodeReturn.set(hud.episodeReturn.subarray(0, h.episodeReturn.length));
    h.flags.set(hud.flags.subarray(0, h.flags.length));
    h.episodes.set(hud.episodes.subarray(0, h.episodes.length));
    h.successes.set(hud.successes.subarray(0, h.successes.length));
    this.envSteps = envSteps;
    this.seq = (this.seq + 1) >>> 0;
    this.framesInWindow++;
    this.stats.framesPublished++;
  }

  metrics(points: MetricPoint[], reset = false): void {
    if (reset) this.history = [];
    this.history.push(...points);
    if (this.history.length > this.maxHistory) {
      // Thin the older half by two, so long runs keep their whole shape.
      const half = Math.floor(this.history.length / 2);
      this.history = [...this.history.slice(0, half).filter((_, k) => k % 2 === 0), ...this.history.slice(half)];
    }
    const json = JSON.stringify({ type: 'metrics', reset, points } satisfies ServerMessage);
    for (const c of this.clients) this.sendText(c, json);
  }

  // ----- Clients.

  addClient(ws: ClientSocket): void {
    const c: Client = { ws, spec: null, envs: [], sentSeq: -1, sent: 0, dropped: 0 };
    this.clients.add(c);
    this.sendJson(c, { type: 'hello', protocol: PROTOCOL_VERSION, source: this.source.info, limits: { maxMessageBytes: MAX_CLIENT_MESSAGE_BYTES } });
    if (this.sceneMsg) {
      this.sendText(c, this.sceneJson);
      this.resolveWatch(c);
      this.sendJson(c, { type: 'watching', envs: c.envs });
    }
    this.sendJson(c, { type: 'metrics', reset: true, points: this.history });
    this.sendJson(c, this.status());
    ws.on('message', (data: RawData, isBinary: boolean) => this.onMessage(c, data, isBinary));
    ws.on('close', () => {
      this.clients.delete(c);
      this.updateWatchedHint();
    });
    ws.on('error', () => {
      /* the close event follows; nothing to do here, but an unhandled 'error' would crash the process */
    });
    this.updateWatchedHint();
  }

  private onMessage(c: Client, data: RawData, isBinary: boolean): void {
    if (isBinary) return this.sendError(c, null, 'binary-not-accepted', 'the server accepts JSON text control messages only');
    const bytes = Array.isArray(data) ? data.reduce((a, b) => a + b.length, 0) : (data as Buffer | ArrayBuffer).byteLength;
    if (bytes > MAX_CLIENT_MESSAGE_BYTES) {
      return this.sendError(c, null, 'too-large', `message of ${bytes} bytes; the limit is ${MAX_CLIENT_MESSAGE_BYTES}`);
    }
    const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as Buffer).toString('utf8');
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return this.sendError(c, null, 'bad-json', 'message is not valid JSON');
    }
    const rawId = raw && typeof raw === 'object' && 'id' in raw ? (raw as { id: unknown }).id : null;
    const id = typeof rawId === 'string' || (typeof rawId === 'number' && Number.isInteger(rawId)) ? rawId : null;
    if (!raw || typeof raw !== 'object' || Array.isArray(raw) || typeof (raw as { type?: unknown }).type !== 'string') {
      return this.sendError(c, id, 'bad-message', 'a control message is a JSON object with a string "type"');
    }
    const type = (raw as { type: string }).type;
    if (!KNOWN_TYPES.has(type)) {
      return this.sendError(c, id, 'unknown-type', `unknown message type "${type.slice(0, 40)}"; known: ${[...KNOWN_TYPES].join(', ')}`);
    }
    const parsed = controlMessageSchema.safeParse(raw);
    if (!parsed.success) {
      return this.sendError(c, id, 'bad-message', describeBadMessage(type, raw as Record<string, unknown>, parsed.error.issues));
    }
    this.apply(c, parsed.data);
  }

  private apply(c: Client, m: ControlMessage): void {
    const id = m.id ?? null;
    switch (m.type) {
      case 'pause':
        this.source.pause();
        break;
      case 'resume':
        this.source.resume();
        break;
      case 'speed':
        this.source.setSpeed(m.speed);
        break;
      case 'mode':
        if (!this.source.info.modes.includes(m.mode)) {
          return this.sendError(c, id, 'unsupported', `this source (${this.source.info.name}) cannot show ${m.mode} rollouts`);
        }
        try {
          this.source.setMode(m.mode);
        } catch (e) {
          return this.sendError(c, id, 'bad-value', (e as Error).message);
        }
        break;
      case 'watch': {
        const spec = m.all || (m.envs === undefined && m.tasks === undefined) ? null : { envs: m.envs, tasks: m.tasks };
        if (spec && this.sceneMsg) {
          const problem = this.checkWatch(spec, this.sceneMsg);
          if (problem) return this.sendError(c, id, 'bad-value', problem);
        }
        c.spec = spec;
        this.resolveWatch(c);
        c.sentSeq = -1; // send the new selection even while paused
        this.sendJson(c, { type: 'watching', envs: c.envs });
        this.updateWatchedHint();
        break;
      }
    }
    this.sendJson(c, { type: 'ack', id, of: m.type });
    if (m.type !== 'watch') this.broadcastStatus();
  }

  private checkWatch(spec: { envs?: number[]; tasks?: string[] }, scene: SceneMessage): string | null {
    for (const e of spec.envs ?? []) if (e >= scene.numEnvs) return `env ${e} does not exist; envs are 0..${scene.numEnvs - 1}`;
    for (const t of spec.tasks ?? []) if (!scene.tasks.includes(t)) return `task "${t.slice(0, 60)}" is not in this run; tasks: ${scene.tasks.join(', ')}`;
    if ((spec.envs?.length ?? 0) + (spec.tasks?.length ?? 0) === 0) return 'watch names no env and no task (send {"type":"watch","all":true} for all)';
    return null;
  }

  /** Resolves the client's watch spec against the current scene; an empty result means all envs. */
  private resolveWatch(c: Client): void {
    const s = this.sceneMsg;
    if (!s) return;
    const set = new Set<number>();
    if (c.spec) {
      for (const e of c.spec.envs ?? []) if (e < s.numEnvs) set.add(e);
      if (c.spec.tasks) for (const e of s.envs) if (c.spec.tasks.includes(e.task)) set.add(e.index);
    }
    c.envs = set.size ? [...set].sort((a, b) => a - b) : s.envs.map((e) => e.index);
  }

  private updateWatchedHint(): void {
    if (!this.source.setWatched) return;
    if (this.clients.size === 0) return this.source.setWatched(null);
    const u = new Set<number>();
    for (const c of this.clients) for (const e of c.envs) u.add(e);
    this.source.setWatched(u);
  }

  /** Sends each client the newest frame it has not had, unless its socket is backed up. */
  flush(): void {
    const layout = this.layout;
    if (!layout || this.stats.framesPublished === 0) return;
    const t0 = performance.now();
    const flags = (this.sceneMsg?.mode === 'eval' ? FRAME_FLAG_EVAL : 0) | (this.source.paused ? FRAME_FLAG_PAUSED : 0);
    // Clients watching the same envs share one encoded frame (a sent buffer is never written again).
    let encoded: Map<string, ArrayBuffer> | null = null;
    for (const c of this.clients) {
      if (c.sentSeq === this.seq || c.ws.readyState !== 1) continue;
      const buffered = c.ws.bufferedAmount;
      if (buffered > this.hardBufferedBytes) {
        c.ws.terminate();
        continue;
      }
      if (buffered > this.maxBufferedBytes) {
        c.dropped++;
        this.stats.framesDropped++;
        continue;
      }
      encoded ??= new Map();
      const key = c.envs.join(',');
      let buf = encoded.get(key);
      if (!buf) {
        buf = encodeFrame(layout, { sceneId: this.sceneId, seq: this.seq, envSteps: this.envSteps, flags }, this.transforms, this.hud, c.envs);
        encoded.set(key, buf);
      }
      c.ws.send(buf, { binary: true });
      c.sentSeq = this.seq;
      c.sent++;
      this.stats.framesSent++;
    }
    this.flushMs += performance.now() - t0;
  }

  status(): StatusMessage {
    return {
      type: 'status',
      paused: this.source.paused,
      mode: this.source.mode,
      speed: this.source.speed,
      envSteps: this.envSteps,
      stepsPerSec: this.stepsPerSec,
      clients: this.clients.size,
      recording: this.recording,
      playback: this.source.progress?.() ?? null,
      finished: this.finished,
    };
  }

  private broadcastStatus(): void {
    const json = JSON.stringify(this.status());
    for (const c of this.clients) this.sendText(c, json);
  }

  private sendJson(c: Client, m: ServerMessage): void {
    this.sendText(c, JSON.stringify(m));
  }

  private sendText(c: Client, text: string): void {
    if (c.ws.readyState !== 1) return;
    if (c.ws.bufferedAmount > this.hardBufferedBytes) {
      c.ws.terminate();
      return;
    }
    c.ws.send(text);
  }

  private sendError(c: Client, id: string | number | null, code: ErrorCode, message: string): void {
    this.stats.errorsSent++;
    this.sendJson(c, { type: 'error', id, code, message });
  }
}
