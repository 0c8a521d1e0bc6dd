// The trainer as the viewer's source: scene and frames of the training envs (from the trainer's
// worker), training curves, pause that parks training, and evaluation rollouts of the current
// agent in eval mode.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeConfig } from '../../agents/config.ts';
import { selectBackend } from '../../agents/tensor/index.ts';
import type { MetricPoint } from '../../server/protocol.ts';
import type { HudBuffers, RolloutTap, SourceScene } from '../../server/source.ts';
import { TrainingSource } from '../../server/training-source.ts';

const dir = mkdtempSync(join(tmpdir(), 'rrl-trainsrc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  await selectBackend({ log: false });
});

class RecordingTap implements RolloutTap {
  scenes: SourceScene[] = [];
  frames: { mode: string; envSteps: number; first: number }[] = [];
  points: MetricPoint[] = [];
  scene(s: SourceScene): void {
    this.scenes.push(s);
  }
  frame(t: Float32Array, _hud: HudBuffers, envSteps: number): void {
    this.frames.push({ mode: this.scenes.at(-1)!.mode, envSteps, first: t[0] });
  }
  metrics(p: MetricPoint[]): void {
    this.points.push(...p);
  }
}

const until = async (cond: () => boolean, ms = 60_000) => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('TrainingSource', () => {
  it('streams training, parks on pause, shows evaluation rollouts in eval mode', async () => {
    const cfg = makeConfig({ tasks: ['reach', 'push'], demoEpisodes: 0, envSteps: 1200, numEnvs: 2, out: join(dir, 'run'), learningStartsPerTask: 100, evalEvery: 600, evalEpisodes: 2, logEvery: 200, sac: { hidden: [16] } });
    const src = new TrainingSource(cfg, { speed: 'max', log: () => {} });
    const tap = new RecordingTap();
    const ac = new AbortController();
    const running = src.run(tap, ac.signal);
    await until(() => tap.frames.length > 20);
    expect(tap.scenes[0]).toMatchObject({ mode: 'train', tasks: ['reach', 'push'], numEnvs: 2 });
    expect(tap.scenes[0].envs[0].bodies.some((b) => b.name === 'finger-a')).toBe(true);
    const steps = tap.frames.map((f) => f.envSteps);
    expect(steps.at(-1)!).toBeGreaterThan(steps[0]);

    src.pause();
    await new Promise((r) => setTimeout(r, 300));
    const parked = tap.frames.length;
    await new Promise((r) => setTimeout(r, 500));
    expect(tap.frames.length).toBe(parked);
    src.resume();
    await until(() => tap.frames.length > parked + 5);

    src.setMode('eval');
    await until(() => tap.scenes.at(-1)!.mode === 'eval' && tap.frames.filter((f) => f.mode === 'eval').length > 30);
    const trainStepsDuringEval = new Set(tap.frames.filter((f) => f.mode === 'eval').map((f) => f.envSteps));
    expect(trainStepsDuringEval.size).toBe(1); // training parked while evaluating
    await until(() => tap.points.some((p) => p.series === 'eval'));
    src.setMode('train');
    await until(() => tap.scenes.at(-1)!.mode === 'train' && tap.frames.at(-1)!.mode === 'train');
    await running;
    expect(src.result!.envSteps).toBe(1200);
    expect(tap.points.some((p) => p.series === 'train' && p.task === 'reach')).toBe(true);
    ac.abort();
  }, 300_000);
});
