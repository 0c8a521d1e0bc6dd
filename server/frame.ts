// Builds and reads binary transform frames (layout in protocol.ts) on the server side: the hub
// builds one per client for the envs it watches, the recorder one with every env, and playback
// reads recorded frames back into transforms + HUD.
import { ENV_WORDS, FLOATS_PER_BODY, HEADER_WORDS, frameByteLength, readFrameHeader, writeFrameHeader, type FrameHeader } from './protocol.ts';
import { makeHudBuffers, type HudBuffers, type SourceScene } from './source.ts';

/** Where each env's bodies sit in the flat transforms array. */
export interface SceneLayout {
  bodiesPerEnv: Int32Array;
  /** Float offset of env i's first body in the transforms array. */
  floatOffset: Int32Array;
  totalBodies: number;
}

export function sceneLayout(scene: Pick<SourceScene, 'envs' | 'numEnvs'>): SceneLayout {
  const n = scene.numEnvs;
  const bodiesPerEnv = new Int32Array(n);
  const floatOffset = new Int32Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const e = scene.envs[i];
    if (!e || e.index !== i) throw new Error(`scene env ${i} is missing or out of order`);
    bodiesPerEnv[i] = e.bodies.length;
    floatOffset[i] = total * FLOATS_PER_BODY;
    total += e.bodies.length;
  }
  return { bodiesPerEnv, floatOffset, totalBodies: total };
}

/** Encodes a frame for `envs` (indices into the scene) into a new ArrayBuffer. */
export function encodeFrame(
  layout: SceneLayout,
  header: Omit<FrameHeader, 'envCount'>,
  transforms: Float32Array,
  hud: HudBuffers,
  envs: ArrayLike<number>,
): ArrayBuffer {
  const buf = new ArrayBuffer(frameByteLength(layout.bodiesPerEnv, envs));
  const u32 = new Uint32Array(buf);
  const f32 = new Float32Array(buf);
  writeFrameHeader(u32, { ...header, envCount: envs.length });
  let w = HEADER_WORDS;
  for (let k = 0; k < envs.length; k++) {
    const i = envs[k];
    u32[w] = i;
    u32[w + 1] = hud.episodeStep[i];
    u32[w + 2] = hud.flags[i];
    f32[w + 3] = hud.episodeReturn[i];
    u32[w + 4] = hud.episodes[i];
    u32[w + 5] = hud.successes[i];
    w += ENV_WORDS;
    const n = layout.bodiesPerEnv[i] * FLOATS_PER_BODY;
    const from = layout.floatOffset[i];
    f32.set(transforms.subarray(from, from + n), w);
    w += n;
  }
  return buf;
}

export interface DecodedFrame {
  header: FrameHeader;
  transforms: Float32Array;
  hud: HudBuffers;
  /** Env indices present in the frame. */
  envs: number[];
}

/** Decodes a frame against a scene layout (for playback and tests); throws on a malformed frame. */
export function decodeFrame(layout: SceneLayout, buf: ArrayBuffer): DecodedFrame {
  if (buf.byteLength % 4 !== 0) throw new Error('frame length is not a multiple of 4');
  const u32 = new Uint32Array(buf);
  const f32 = new Float32Array(buf);
  const header: FrameHeader = { sceneId: 0, seq: 0, envSteps: 0, envCount: 0, flags: 0 };
  if (!readFrameHeader(u32, header)) throw new Error('not a transform frame of this protocol version');
  const n = layout.bodiesPerEnv.length;
  const transforms = new Float32Array(layout.totalBodies * FLOATS_PER_BODY);
  const hud = makeHudBuffers(n);
  const envs: number[] = [];
  let w = HEADER_WORDS;
  for (let k = 0; k < header.envCount; k++) {
    if (w + ENV_WORDS > u32.length) throw new Error('frame is truncated');
    const i = u32[w];
    if (i >= n) throw new Error(`frame names env ${i}, the scene has ${n}`);
    hud.episodeStep[i] = u32[w + 1];
    hud.flags[i] = u32[w + 2];
    hud.episodeReturn[i] = f32[w + 3];
    hud.episodes[i] = u32[w + 4];
    hud.successes[i] = u32[w + 5];
    w += ENV_WORDS;
    const len = layout.bodiesPerEnv[i] * FLOATS_PER_BODY;
    if (w + len > f32.length) throw new Error('frame is truncated');
    transforms.set(f32.subarray(w, w + len), layout.floatOffset[i]);
    w += len;
    envs.push(i);
  }
  if (w !== u32.length) throw new Error(`frame has ${u32.length - w} trailing words`);
  return { header, transforms, hud, envs };
}
