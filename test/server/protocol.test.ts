// The wire protocol: frames round-trip, recordings parse back to what was written, and the control
// schema refuses what it should.
import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame, sceneLayout } from '../../server/frame.ts';
import {
  ENV_WORDS,
  FRAME_MAGIC,
  HEADER_WORDS,
  RECORD_FRAME,
  RECORD_JSON,
  RECORDING_MAGIC,
  controlMessageSchema,
  encodeRecord,
  parseRecording,
  type WireEnvScene,
} from '../../server/protocol.ts';
import { makeHudBuffers, type SourceScene } from '../../server/source.ts';

const body = (name: string) => ({ name, kind: 'dynamic' as const, parts: [{ geometry: { shape: 'sphere' as const, radius: 0.1 }, offset: [0, 0, 0] as [number, number, number], rotation: [0, 0, 0, 1] as [number, number, number, number], color: '#fff' }] });
const env = (index: number, bodies: number): WireEnvScene => ({ index, task: index % 2 ? 'b' : 'a', origin: [index, 0, 0], bodies: Array.from({ length: bodies }, (_, k) => body(`b${k}`)) });
const scene: SourceScene = { mode: 'train', tasks: ['a', 'b'], numEnvs: 3, controlDt: 0.04, envs: [env(0, 2), env(1, 3), env(2, 1)] };

describe('binary frames', () => {
  it('round-trip a subset of envs with their HUD numbers', () => {
    const layout = sceneLayout(scene);
    expect(layout.totalBodies).toBe(6);
    const transforms = Float32Array.from({ length: 6 * 7 }, (_, k) => k + 0.5);
    const hud = makeHudBuffers(3);
    hud.episodeStep.set([5, 6, 7]);
    hud.episodeReturn.set([-1.5, -2.5, -3.5]);
    hud.flags.set([0, 3, 1]);
    hud.episodes.set([1, 2, 3]);
    hud.successes.set([0, 1, 2]);
    const buf = encodeFrame(layout, { sceneId: 9, seq: 41, envSteps: 2 ** 33 + 5, flags: 1 }, transforms, hud, [2, 1]);
    expect(buf.byteLength).toBe(4 * (HEADER_WORDS + 2 * ENV_WORDS + 7 * (1 + 3)));
    expect(new Uint32Array(buf)[0]).toBe(FRAME_MAGIC);
    const d = decodeFrame(layout, buf);
    expect(d.header).toEqual({ sceneId: 9, seq: 41, envSteps: 2 ** 33 + 5, envCount: 2, flags: 1 });
    expect(d.envs).toEqual([2, 1]);
    expect(Array.from(d.transforms.subarray(35, 42))).toEqual(Array.from(transforms.subarray(35, 42))); // env 2
    expect(Array.from(d.transforms.subarray(14, 35))).toEqual(Array.from(transforms.subarray(14, 35))); // env 1
    expect(Array.from(d.transforms.subarray(0, 14))).toEqual(new Array(14).fill(0)); // env 0 not sent
    expect(Array.from(d.hud.episodeStep)).toEqual([0, 6, 7]);
    expect(Array.from(d.hud.episodeReturn)).toEqual([0, -2.5, -3.5]);
    expect(Array.from(d.hud.flags)).toEqual([0, 3, 1]);
    expect(Array.from(d.hud.successes)).toEqual([0, 1, 2]);
  });

  it('refuse malformed frames', () => {
    const layout = sceneLayout(scene);
    const good = encodeFrame(layout, { sceneId: 1, seq: 1, envSteps: 0, flags: 0 }, new Float32Array(42), makeHudBuffers(3), [0]);
    expect(() => decodeFrame(layout, good.slice(0, good.byteLength - 4))).toThrow(/truncated/);
    const bad = good.slice(0);
    new Uint32Array(bad)[0] = 123;
    expect(() => decodeFrame(layout, bad)).toThrow(/not a transform frame/);
    const wrongEnv = good.slice(0);
    new Uint32Array(wrongEnv)[HEADER_WORDS] = 7;
    expect(() => decodeFrame(layout, wrongEnv)).toThrow(/env 7/);
  });
});

describe('recording container', () => {
  it('parses back the records written, with times, JSON and aligned frame buffers', () => {
    const enc = new TextEncoder();
    const frame = new Uint8Array(new Float32Array([1, 2, 3]).buffer);
    const bytes = new Uint8Array([
      ...enc.encode(RECORDING_MAGIC),
      ...encodeRecord(RECORD_JSON, 0.25, enc.encode('{"type":"x"}')),
      ...encodeRecord(RECORD_FRAME, 0.5, frame),
    ]);
    const recs = parseRecording(bytes);
    expect(recs).toHaveLength(2);
    expect(recs[0]).toMatchObject({ kind: RECORD_JSON, time: 0.25, json: '{"type":"x"}' });
    expect(recs[1].time).toBe(0.5);
    expect(Array.from(new Float32Array(recs[1].frame!))).toEqual([1, 2, 3]);
    expect(() => parseRecording(enc.encode('NOTAREC!'))).toThrow(/not a recording/);
    expect(() => parseRecording(bytes.subarray(0, bytes.length - 4))).toThrow(/truncated/);
  });
});

describe('control messages', () => {
  const ok = (m: unknown) => controlMessageSchema.safeParse(m).success;
  it('accept the documented forms', () => {
    expect(ok({ type: 'pause' })).toBe(true);
    expect(ok({ type: 'resume', id: 3 })).toBe(true);
    expect(ok({ type: 'watch', envs: [0, 2] })).toBe(true);
    expect(ok({ type: 'watch', tasks: ['reach'] })).toBe(true);
    expect(ok({ type: 'watch', all: true })).toBe(true);
    expect(ok({ type: 'mode', mode: 'eval' })).toBe(true);
    expect(ok({ type: 'speed', speed: 2 })).toBe(true);
    expect(ok({ type: 'speed', speed: 'max' })).toBe(true);
  });
  it('refuse unknown types, extra fields, bad values', () => {
    expect(ok({ type: 'reboot' })).toBe(false);
    expect(ok({ type: 'pause', force: true })).toBe(false);
    expect(ok({ type: 'mode', mode: 'test' })).toBe(false);
    expect(ok({ type: 'speed', speed: 0 })).toBe(false);
    expect(ok({ type: 'speed', speed: 1000 })).toBe(false);
    expect(ok({ type: 'speed', speed: 'fast' })).toBe(false);
    expect(ok({ type: 'watch', envs: [-1] })).toBe(false);
    expect(ok({ type: 'watch', envs: [1.5] })).toBe(false);
    expect(ok({ type: 'watch', envs: new Array(5000).fill(0) })).toBe(false);
  });
});
