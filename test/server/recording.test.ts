// Recordings: what a source produced is written to a file and played back, frame for frame, through
// the same tap interface with no simulator; the CLI records headless and serves a playback.
import { spawn } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PolicySource } from '../../server/policy-source.ts';
import type { MetricPoint } from '../../server/protocol.ts';
import { PlaybackSource, RecordingWriter, loadRecording, teeTap } from '../../server/recording.ts';
import type { HudBuffers, RolloutTap, SourceScene } from '../../server/source.ts';
import { connect } from './helpers.ts';

/** A tap that keeps copies of everything. */
function captureTap() {
  const got = { scenes: [] as SourceScene[], frames: [] as { t: Float32Array; steps: Uint32Array; flags: Uint8Array; envSteps: number }[], points: [] as MetricPoint[] };
  const tap: RolloutTap = {
    scene: (s) => got.scenes.push(structuredClone(s)),
    frame: (t: Float32Array, hud: HudBuffers, envSteps: number) => got.frames.push({ t: t.slice(), steps: hud.episodeStep.slice(), flags: hud.flags.slice(), envSteps }),
    metrics: (p) => got.points.push(...p),
  };
  return { got, tap };
}

const root = join(import.meta.dirname, '..', '..');

describe('recordings', () => {
  it('play back exactly the frames, scenes and curve points that were recorded', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rrl-rec-'));
    const path = join(dir, 'run.rrlrec');
    const src = new PolicySource({ tasks: ['reach', 'push'], numEnvs: 2, policy: 'expert', speed: 'max', maxSteps: 120, curveEveryEnvSteps: 1 });
    const live = captureTap();
    const rec = new RecordingWriter(path);
    await src.run(teeTap(live.tap, rec), new AbortController().signal);
    await rec.close();
    expect(live.got.frames.length).toBe(121); // the initial pose plus 120 steps
    expect(live.got.points.length).toBeGreaterThan(0);
    expect(statSync(path).size).toBeGreaterThan(100);

    const loaded = loadRecording(path);
    expect(loaded.frames).toBe(live.got.frames.length);
    const play = new PlaybackSource(loaded, 'run.rrlrec', { speed: 'max', loop: false });
    expect(play.info).toEqual({ kind: 'playback', name: 'recording run.rrlrec', modes: ['train'] });
    const back = captureTap();
    await play.run(back.tap, new AbortController().signal);
    expect(back.got.scenes).toEqual(live.got.scenes);
    expect(back.got.frames.length).toBe(live.got.frames.length);
    for (let k = 0; k < live.got.frames.length; k++) {
      expect(back.got.frames[k].t).toEqual(live.got.frames[k].t);
      expect(back.got.frames[k].steps).toEqual(live.got.frames[k].steps);
      expect(back.got.frames[k].flags).toEqual(live.got.frames[k].flags);
      expect(back.got.frames[k].envSteps).toBe(live.got.frames[k].envSteps);
    }
    expect(back.got.points).toEqual(live.got.points);
    expect(play.progress()).toEqual({ frame: 121, frames: 121 });
  });

  it('refuses a file that is not a recording', () => {
    expect(() => loadRecording(join(root, 'package.json'))).toThrow(/cannot read recording/);
  });

  it('the CLI records headless, then plays the file back to a viewer with no simulator running', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rrl-cli-'));
    const path = join(dir, 'expert.rrlrec');
    const tsx = join(root, 'node_modules', '.bin', 'tsx');
    const rec = spawn(tsx, ['server/main.ts', '--headless', '--record', path, '--steps', '30', '--tasks', 'reach', '--envs', '1', '--policy', 'expert', '--speed', 'max'], { cwd: root });
    let out = '';
    rec.stdout.on('data', (d) => (out += d));
    rec.stderr.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((r) => rec.on('exit', r));
    expect(code, out).toBe(0);
    expect(out).toMatch(/recorded 31 frames/);

    const play = spawn(tsx, ['server/main.ts', '--play', path, '--port', '0', '--speed', '4'], { cwd: root, env: { ...process.env } });
    try {
      let log = '';
      const url = await new Promise<string>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no URL printed:\n${log}`)), 60_000);
        const on = (d: Buffer) => {
          log += d;
          const m = /viewer: (http:\/\/\S+)/.exec(log);
          if (m) {
            clearTimeout(t);
            resolve(m[1]);
          }
        };
        play.stdout.on('data', on);
        play.stderr.on('data', on);
        play.on('exit', (code) => reject(new Error(`playback exited with ${code}:\n${log}`)));
      });
      const c = await connect(url.replace('http', 'ws').replace(/\/$/, '') + '/ws');
      await c.waitFor(() => c.headers.length >= 3, 10_000, 'playback frames');
      expect(c.ofType('hello')[0]).toMatchObject({ source: { kind: 'playback' } });
      const status = await c.waitFor(() => c.ofType('status').find((s) => s.playback), 5000, 'status');
      expect(status.playback!.frames).toBe(31);
      await c.close();
    } finally {
      play.kill('SIGTERM');
    }
  }, 120_000);
});
