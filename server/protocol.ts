// The wire protocol between the server and the viewer, in one module both sides import: message
// types, the zod schemas that validate them, the binary frame layout, and the recording file
// layout. No Node imports here (the viewer bundles this file), and nothing from sim/ or agents/.
//
// Text frames carry JSON messages (scene, status, metrics, control, errors). Binary frames carry
// transforms: a fixed header of 32-bit words, then for each env in the frame a small block of HUD
// words followed by position (x, y, z) and quaternion (x, y, z, w) of each of its bodies as float32,
// in the order of the scene description. All words are little-endian (every platform we target).
import { z } from 'zod';

export const PROTOCOL_VERSION = 1;

// ---------------------------------------------------------------------------------------------
// Scene description (server -> client, JSON), mirrors sim's describeScene() plus the source's view.

const vec3 = z.tuple([z.number(), z.number(), z.number()]);
const quat = z.tuple([z.number(), z.number(), z.number(), z.number()]);

export const visualShapeSchema = z.discriminatedUnion('shape', [
  z.object({ shape: z.literal('box'), halfExtents: vec3 }),
  z.object({ shape: z.literal('cylinder'), radius: z.number(), halfHeight: z.number() }),
  z.object({ shape: z.literal('capsule'), radius: z.number(), halfHeight: z.number() }),
  z.object({ shape: z.literal('sphere'), radius: z.number() }),
]);
export type VisualShape = z.infer<typeof visualShapeSchema>;

export const visualPartSchema = z.object({ geometry: visualShapeSchema, offset: vec3, rotation: quat, color: z.string() });
export type VisualPart = z.infer<typeof visualPartSchema>;

export const bodySchema = z.object({
  name: z.string(),
  kind: z.enum(['static', 'kinematic', 'dynamic', 'marker']),
  parts: z.array(visualPartSchema),
});
export type WireBody = z.infer<typeof bodySchema>;

export const envSceneSchema = z.object({
  index: z.number().int().nonnegative(),
  task: z.string(),
  /** The env slot's origin in the shared world; transforms are world-frame. */
  origin: vec3,
  bodies: z.array(bodySchema),
});
export type WireEnvScene = z.infer<typeof envSceneSchema>;

export const MODES = ['train', 'eval'] as const;
export type Mode = (typeof MODES)[number];
export const SOURCE_KINDS = ['policy', 'training', 'playback'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

/** Real-time factor of the rollout (1 = 25 control steps per second), or as fast as it goes. */
export const speedSchema = z.union([z.number().min(0.05).max(64), z.literal('max')]);
export type Speed = z.infer<typeof speedSchema>;

export const sourceInfoSchema = z.object({
  kind: z.enum(SOURCE_KINDS),
  /** e.g. "random policy", "expert policy", "recording runs/x.rrlrec". */
  name: z.string(),
  /** Modes this source can switch between (a recording has only the one it was recorded in). */
  modes: z.array(z.enum(MODES)),
});
export type SourceInfo = z.infer<typeof sourceInfoSchema>;

export const sceneMessageSchema = z.object({
  type: z.literal('scene'),
  /** Changes whenever the env set is rebuilt; frames carry it so stale ones are dropped. */
  sceneId: z.number().int().nonnegative(),
  mode: z.enum(MODES),
  tasks: z.array(z.string()),
  numEnvs: z.number().int().positive(),
  /** Simulated seconds per control step: a recording plays one frame per controlDt / speed. */
  controlDt: z.number().positive().max(10),
  floatsPerBody: z.literal(7),
  envs: z.array(envSceneSchema),
});
export type SceneMessage = z.infer<typeof sceneMessageSchema>;

// ---------------------------------------------------------------------------------------------
// Other server -> client JSON messages.

export const metricPointSchema = z.object({
  /** train: recent finished training episodes; eval: one evaluation round. */
  series: z.enum(MODES),
  task: z.string(),
  /** Training env-steps so far (x axis of the learning curves). */
  envSteps: z.number().nonnegative(),
  successRate: z.number().min(0).max(1),
  meanReturn: z.number(),
  /** Episodes behind this point. */
  episodes: z.number().int().nonnegative(),
});
export type MetricPoint = z.infer<typeof metricPointSchema>;

export interface HelloMessage {
  type: 'hello';
  protocol: number;
  source: SourceInfo;
  /** Watching limits the client may ask for. */
  limits: { maxMessageBytes: number };
}
export interface StatusMessage {
  type: 'status';
  paused: boolean;
  mode: Mode;
  speed: Speed;
  /** Training env-steps (or, for a recording, the recorded ones). */
  envSteps: number;
  /** Control steps per second of the stepping loop, over the last second. */
  stepsPerSec: number;
  clients: number;
  recording: string | null;
  /** For a recording: playback position and length in frames; null otherwise. */
  playback: { frame: number; frames: number } | null;
  /** Set when the source finished (e.g. end of a recording, or --steps reached). */
  finished: boolean;
}
export interface MetricsMessage {
  type: 'metrics';
  /** true: replace the history (sent on connect); false: append. */
  reset: boolean;
  points: MetricPoint[];
}
export interface WatchingMessage {
  type: 'watching';
  envs: number[];
}
export interface AckMessage {
  type: 'ack';
  id: string | number | null;
  of: ControlMessage['type'];
}
export const ERROR_CODES = ['bad-json', 'bad-message', 'unknown-type', 'too-large', 'binary-not-accepted', 'bad-value', 'unsupported'] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];
export interface ErrorMessage {
  type: 'error';
  id: string | number | null;
  code: ErrorCode;
  message: string;
}
export type ServerMessage = HelloMessage | SceneMessage | StatusMessage | MetricsMessage | WatchingMessage | AckMessage | ErrorMessage;

// ---------------------------------------------------------------------------------------------
// Client -> server control messages. Anything that does not parse against this union is refused
// with an error reply and changes nothing.

/** Text messages larger than this get a "too-large" error (the socket's hard cap is higher). */
export const MAX_CLIENT_MESSAGE_BYTES = 4096;

const id = z.union([z.string().max(64), z.number().int()]).optional();
export const controlMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('pause'), id }).strict(),
  z.object({ type: z.literal('resume'), id }).strict(),
  /**
   * Which envs this client receives frames for: explicit env indices, or every env of the named
   * tasks; both absent (or `all: true`) means all envs. Per client.
   */
  z
    .object({
      type: z.literal('watch'),
      id,
      envs: z.array(z.number().int().nonnegative()).max(4096).optional(),
      tasks: z.array(z.string().max(200)).max(256).optional(),
      all: z.boolean().optional(),
    })
    .strict(),
  /** Show training rollouts or evaluation rollouts of the current policy (global). */
  z.object({ type: z.literal('mode'), id, mode: z.enum(MODES) }).strict(),
  /** Real-time factor of the shown rollouts (global). */
  z.object({ type: z.literal('speed'), id, speed: speedSchema }).strict(),
]);
export type ControlMessage = z.infer<typeof controlMessageSchema>;

// ---------------------------------------------------------------------------------------------
// Binary transform frames.
//
// Header (HEADER_WORDS x 32-bit words):
//   0 FRAME_MAGIC            3 seq (frame counter of the source)   6 envCount in this frame
//   1 PROTOCOL_VERSION       4 envSteps, low 32 bits               7 flags (FRAME_FLAG_*)
//   2 sceneId                5 envSteps, high bits
// Then per env: ENV_WORDS words of HUD (uint32 except where noted)
//   0 env index   1 episode step   2 flags (ENV_FLAG_*)   3 episode return (float32)
//   4 episodes finished in this env   5 of which successes
// followed by bodies x 7 float32 (position, quaternion x y z w), bodies as in the scene.

export const FRAME_MAGIC = 0x46_4c_52_52; // "RRLF" read as little-endian bytes
export const HEADER_WORDS = 8;
export const ENV_WORDS = 6;
export const FLOATS_PER_BODY = 7;
export const FRAME_FLAG_EVAL = 1;
export const FRAME_FLAG_PAUSED = 2;
/** The task's success predicate holds at this step. */
export const ENV_FLAG_SUCCESS = 1;
/** An episode ended at this step (the HUD already shows the new one). */
export const ENV_FLAG_DONE = 2;
/** ... and it ended in success. */
export const ENV_FLAG_DONE_SUCCESS = 4;

export function frameByteLength(bodiesPerEnv: ArrayLike<number>, envs: ArrayLike<number>): number {
  let words = HEADER_WORDS;
  for (let k = 0; k < envs.length; k++) words += ENV_WORDS + FLOATS_PER_BODY * bodiesPerEnv[envs[k]];
  return words * 4;
}

export interface FrameHeader {
  sceneId: number;
  seq: number;
  envSteps: number;
  envCount: number;
  flags: number;
}

/** Reads a frame header into `out` (no allocation); returns false if it is not a frame of this protocol. */
export function readFrameHeader(u32: Uint32Array, out: FrameHeader): boolean {
  if (u32.length < HEADER_WORDS || u32[0] !== FRAME_MAGIC || u32[1] !== PROTOCOL_VERSION) return false;
  out.sceneId = u32[2];
  out.seq = u32[3];
  out.envSteps = u32[4] + u32[5] * 2 ** 32;
  out.envCount = u32[6];
  out.flags = u32[7];
  return true;
}

export function writeFrameHeader(u32: Uint32Array, h: FrameHeader): void {
  u32[0] = FRAME_MAGIC;
  u32[1] = PROTOCOL_VERSION;
  u32[2] = h.sceneId >>> 0;
  u32[3] = h.seq >>> 0;
  u32[4] = h.envSteps % 2 ** 32;
  u32[5] = Math.floor(h.envSteps / 2 ** 32);
  u32[6] = h.envCount;
  u32[7] = h.flags;
}

// ---------------------------------------------------------------------------------------------
// Recordings: a gzip-compressed stream of records, each the same bytes as a wire message (scene,
// metrics and status as JSON text, frames as binary frames holding every env), with a timestamp.
// Magic "RRLREC01", then records: uint32 kind, uint32 byte length, float64 seconds since start,
// payload, zero padding to a multiple of 8 bytes.

export const RECORDING_MAGIC = 'RRLREC01';
export const RECORD_JSON = 1;
export const RECORD_FRAME = 2;
export const RECORD_HEADER_BYTES = 16;

export interface RecordEntry {
  kind: typeof RECORD_JSON | typeof RECORD_FRAME;
  time: number;
  /** JSON text for RECORD_JSON; the frame's bytes (own buffer, 4-byte aligned) for RECORD_FRAME. */
  json?: string;
  frame?: ArrayBuffer;
}

/** Parses the decompressed bytes of a recording; throws with a reason on a malformed file. */
export function parseRecording(bytes: Uint8Array): RecordEntry[] {
  const magic = new TextDecoder().decode(bytes.subarray(0, 8));
  if (magic !== RECORDING_MAGIC) throw new Error(`not a recording (magic "${magic.replace(/[^\x20-\x7e]/g, '?')}", expected "${RECORDING_MAGIC}")`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dec = new TextDecoder();
  const out: RecordEntry[] = [];
  let p = 8;
  while (p < bytes.length) {
    if (p + RECORD_HEADER_BYTES > bytes.length) throw new Error(`recording is truncated at byte ${p}`);
    const kind = view.getUint32(p, true);
    const len = view.getUint32(p + 4, true);
    const time = view.getFloat64(p + 8, true);
    const start = p + RECORD_HEADER_BYTES;
    const padded = Math.ceil(len / 8) * 8;
    if (start + padded > bytes.length) throw new Error(`recording is truncated at byte ${p} (record of ${len} bytes)`);
    const payload = bytes.subarray(start, start + len);
    if (kind === RECORD_JSON) out.push({ kind, time, json: dec.decode(payload) });
    else if (kind === RECORD_FRAME) out.push({ kind, time, frame: new Uint8Array(payload).buffer }); // a copy: Node Buffers share pools
    else throw new Error(`recording has an unknown record kind ${kind} at byte ${p}`);
    p = start + padded;
  }
  return out;
}

/** Encodes one record (header + payload + padding). */
export function encodeRecord(kind: RecordEntry['kind'], time: number, payload: Uint8Array): Uint8Array {
  const padded = Math.ceil(payload.length / 8) * 8;
  const out = new Uint8Array(RECORD_HEADER_BYTES + padded);
  const view = new DataView(out.buffer);
  view.setUint32(0, kind, true);
  view.setUint32(4, payload.length, true);
  view.setFloat64(8, time, true);
  out.set(payload, RECORD_HEADER_BYTES);
  return out;
}
