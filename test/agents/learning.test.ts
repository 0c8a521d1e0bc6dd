// The learner end to end on real Rapier worlds and real (small) networks: per-task temperatures,
// checkpoint round trip, corrupt and mismatched checkpoints refused, resume, and a short run
// that learns reach far better than random.
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentSpec, MultiTaskAgent } from '../../agents/agent.ts';
import { assertCompatible, decodeCheckpoint, encodeCheckpoint, loadCheckpoint, saveCheckpoint } from '../../agents/checkpoint.ts';
import { ConfigError, makeConfig, targetClipOf } from '../../agents/config.ts';
import { MultiTaskReplay, type Transition } from '../../agents/replay.ts';
import { selectBackend } from '../../agents/tensor/index.ts';
import { Sac } from '../../agents/sac/update.ts';
import { train } from '../../agents/train/train.ts';
import { GOAL_DIM, OBS_DIM } from '../../sim/layout.ts';
import { getTask } from '../../sim/registry.ts';
import { Rng } from '../../sim/rng.ts';
import { randomPolicy, runEpisodes } from '../../sim/rollout.ts';
import { VecEnv } from '../../sim/vec-env.ts';

const dir = mkdtempSync(join(tmpdir(), 'rrl-learn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  await selectBackend({ log: false });
});

const small = { hidden: [32, 32] };
const tasks = [getTask('reach'), getTask('push')];

function syntheticReplay(): MultiTaskReplay {
  const rep = new MultiTaskReplay({ tasks, capacityPerTask: 1000, herK: 4, reward: 'sparse', terminateOnSuccess: false, demoFraction: 0 });
  const rng = new Rng(1);
  for (let t = 0; t < 2; t++) {
    const ep: Transition[] = Array.from({ length: 30 }, () => ({
      obs: Float32Array.from({ length: OBS_DIM }, () => rng.uniform(-0.2, 0.2)),
      achieved: Float32Array.from({ length: GOAL_DIM }, () => rng.uniform(-0.2, 0.2)),
      action: Float32Array.from({ length: 4 }, () => rng.uniform(-1, 1)),
      reward: -1,
      nextObs: Float32Array.from({ length: OBS_DIM }, () => rng.uniform(-0.2, 0.2)),
      nextAchieved: Float32Array.from({ length: GOAL_DIM }, () => rng.uniform(-0.2, 0.2)),
      desired: Float32Array.from({ length: GOAL_DIM }, () => rng.uniform(-0.2, 0.2)),
      terminated: false,
    }));
    rep.buffers[t].addEpisode(ep);
  }
  return rep;
}

describe('multi-task SAC', () => {
  it('keeps one temperature per task: a batch of one task moves only its own', () => {
    const agent = new MultiTaskAgent(agentSpec(tasks, { arch: 'multihead', descriptor: 'onehot', sac: small }));
    const rep = syntheticReplay();
    const b = rep.sample(64, new Rng(2));
    b.task.fill(0); // every row claims task 0
    const before = Array.from(agent.sac.logAlpha.dataSync());
    for (let i = 0; i < 5; i++) agent.update(b, false);
    const after = Array.from(agent.sac.logAlpha.dataSync());
    expect(after[0]).not.toBe(before[0]);
    expect(after[1]).toBe(before[1]);
    agent.dispose();
  });

  for (const arch of ['concat', 'multihead', 'gated', 'moe', 'independent'] as const) {
    it(`updates every actor and critic parameter with the ${arch} architecture`, () => {
      const agent = new MultiTaskAgent(agentSpec(tasks, { arch, descriptor: 'metadata', sac: small }));
      const snap = () => [...agent.sac.actorParams, ...agent.sac.criticParams].map((p) => p.dataSync().slice());
      const before = snap();
      const rep = syntheticReplay();
      const m = agent.update(rep.sample(64, new Rng(3)), true)!;
      expect(Number.isFinite(m.qLoss) && Number.isFinite(m.actorLoss)).toBe(true);
      expect(m.alpha).toHaveLength(2);
      const after = snap();
      after.forEach((a, i) => expect(a.some((v, k) => v !== before[i][k])).toBe(true));
      // acting works for rows of any task
      const act = agent.act(new Float32Array(3 * OBS_DIM), new Float32Array(3 * GOAL_DIM), new Float32Array(3 * GOAL_DIM), Int32Array.from([1, 0, 1]), true);
      expect(act.length).toBe(12);
      expect(act.every((x) => x >= -1 && x <= 1)).toBe(true);
      agent.dispose();
    });
  }
});

describe('checkpoints', () => {
  it('round-trips every parameter, moment and counter exactly', () => {
    const spec = agentSpec(tasks, { arch: 'gated', descriptor: 'onehot', sac: small });
    const a = new MultiTaskAgent(spec);
    a.update(syntheticReplay().sample(64, new Rng(4)), false);
    const run = { envSteps: 1234, updates: 56, episodes: 7, wallSeconds: 8.5, rng: [1, 2, 3, 4], config: { tasks: ['reach', 'push'] } };
    const rep = syntheticReplay();
    const replay = { buffers: rep.buffers.map((b) => b.exportState()), demos: rep.demos.map((b) => b.exportState()) };
    a.observe(Float32Array.from({ length: 3 * OBS_DIM }, (_, i) => Math.cos(i) / 7), Float32Array.from({ length: 9 }, (_, i) => -i / 20), Float32Array.from({ length: 9 }, (_, i) => i / 10));
    const full = a.getState();
    const back = decodeCheckpoint(encodeCheckpoint({ spec, run, agent: full, replay }));
    expect(back.agent.norm.count).toBe(3);
    expect(Array.from(back.agent.norm.mean)).toEqual(Array.from(full.norm.mean));
    expect(Array.from(back.agent.norm.m2)).toEqual(Array.from(full.norm.m2));
    // replay comes back whole: same batches from the same generator
    const rep2 = new MultiTaskReplay(rep.cfg);
    back.replay!.buffers.forEach((r, t) => rep2.buffers[t].importState(r));
    back.replay!.demos.forEach((r, t) => rep2.demos[t].importState(r));
    expect(rep2.sample(32, new Rng(9))).toEqual(rep.sample(32, new Rng(9)));
    expect(rep2.buffers[1].episodes).toBe(1);
    expect(back.spec).toEqual(spec);
    expect(back.run).toEqual(run);
    expect(back.agent.sac.updates).toBe(1);
    expect(back.agent.sac.optimizers.critic.step).toBe(1);
    const b = new MultiTaskAgent(spec);
    b.setState(back.agent);
    const x = Float32Array.from({ length: 2 * OBS_DIM }, (_, i) => Math.sin(i));
    const g = new Float32Array(6);
    const h = Float32Array.from({ length: 6 }, (_, i) => i / 9);
    expect(Array.from(b.act(x, h, g, Int32Array.from([0, 1]), true))).toEqual(Array.from(a.act(x, h, g, Int32Array.from([0, 1]), true)));
    a.dispose();
    b.dispose();
  });

  it('writes atomically and refuses corrupt, truncated, foreign and mismatched files', () => {
    const spec = agentSpec(tasks, { arch: 'concat', descriptor: 'onehot', sac: small });
    const a = new MultiTaskAgent(spec);
    const path = join(dir, 'ck.bin');
    const run = { envSteps: 1, updates: 0, episodes: 0, wallSeconds: 0, rng: [1, 2, 3, 4], config: {} };
    saveCheckpoint(path, { spec, run, agent: a.getState() });
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    const good = readFileSync(path);
    expect(loadCheckpoint(path).run.envSteps).toBe(1);
    const flipped = Buffer.from(good);
    flipped[flipped.length >> 1] ^= 0xff;
    writeFileSync(join(dir, 'flipped.bin'), flipped);
    expect(() => loadCheckpoint(join(dir, 'flipped.bin'))).toThrow(/corrupt: its checksum does not match/);
    writeFileSync(join(dir, 'short.bin'), good.subarray(0, good.length - 100));
    expect(() => loadCheckpoint(join(dir, 'short.bin'))).toThrow(/corrupt/);
    writeFileSync(join(dir, 'foreign.bin'), Buffer.from('{"not":"a checkpoint"}'));
    expect(() => loadCheckpoint(join(dir, 'foreign.bin'))).toThrow(/not a checkpoint/);
    expect(() => loadCheckpoint(join(dir, 'missing.bin'))).toThrow(/no checkpoint/);
    const other = agentSpec(tasks, { arch: 'moe', descriptor: 'onehot', sac: small });
    expect(() => assertCompatible(spec, other, 'ck.bin')).toThrow(/does not match this run.*architecture concat vs moe/);
    const fewer = agentSpec([tasks[0]], { arch: 'concat', descriptor: 'onehot', sac: small });
    expect(() => assertCompatible(spec, fewer, 'ck.bin')).toThrow(/tasks \["reach","push"\] vs \["reach"\]/);
    const normed = agentSpec(tasks, { arch: 'concat', descriptor: 'onehot', sac: { ...small, layerNorm: true, numCritics: 3 } });
    expect(() => assertCompatible(spec, normed, 'ck.bin')).toThrow(/critics 2 vs 3; LayerNorm false vs true/);
    // a checkpoint written before these settings existed: two critics, no LayerNorm
    const { layerNorm: _ln, numCritics: _nc, ...older } = spec.sac;
    expect(() => assertCompatible({ ...spec, sac: older as typeof spec.sac }, spec, 'ck.bin')).not.toThrow();
    // the saved file is still the good one
    expect(readFileSync(path).equals(good)).toBe(true);
    a.dispose();
  });

  it('refuses an agent made for observation layout v1 (8 metadata numbers) rather than misreading it', () => {
    const spec = agentSpec(tasks, { arch: 'concat', descriptor: 'metadata', sac: small });
    const v1 = { ...spec, metadata: spec.metadata.map((m) => m.slice(0, 8)) };
    expect(() => new MultiTaskAgent(v1)).toThrow('agent spec: metadata must be 2 x 11 numbers, got 2 x 8, 8: made for observation layout v1');
    expect(() => assertCompatible(v1, spec, 'old.bin')).toThrow(/old\.bin does not match this run.*task metadata differs/);
  });
});

describe('training', () => {
  it('clips critic targets to the reward\'s return range', () => {
    const [lo, hi] = targetClipOf(makeConfig({ sac: { gamma: 0.98 } }))!;
    expect(lo).toBeCloseTo(-50, 9);
    expect(hi).toBe(0);
    expect(targetClipOf(makeConfig({ reward: 'dense-v1' }))).toBeNull();
    expect(targetClipOf(makeConfig({ clipTargets: false }))).toBeNull();
    expect(targetClipOf(makeConfig({ sac: { targetClip: [-3, 1] } }))).toEqual([-3, 1]);
    expect(() => makeConfig({ sac: { targetClip: [0, -1] } })).toThrow(/sac.targetClip/);
    // A terminal batch with reward -1: the critics fit y = -1 unclipped, y = -0.5 clipped at -0.5.
    const fit = (targetClip: [number, number] | null) => {
      const sac = new Sac({ obsDim: 3, actDim: 2, numTasks: 1, hidden: [16], qLr: 1e-2, targetClip, seed: 3 });
      const B = 32;
      const batch = {
        obs: tf.randomUniform([B, 3], -1, 1, 'float32', 1) as tf.Tensor2D,
        action: tf.randomUniform([B, 2], -1, 1, 'float32', 2) as tf.Tensor2D,
        reward: tf.fill([B, 1], -1) as tf.Tensor2D,
        nextObs: tf.randomUniform([B, 3], -1, 1, 'float32', 3) as tf.Tensor2D,
        terminated: tf.ones([B, 1]) as tf.Tensor2D,
        task: tf.zeros([B], 'int32') as tf.Tensor1D,
      };
      let q = 0;
      for (let i = 0; i < 400; i++) q = sac.update(batch, { metrics: i === 399 })?.meanQ ?? q;
      tf.dispose(Object.values(batch));
      sac.dispose();
      return q;
    };
    expect(fit(null)).toBeCloseTo(-1, 1);
    expect(fit([-0.5, 0])).toBeCloseTo(-0.5, 1);
  });

  it('refuses bad settings by name', () => {
    expect(() => makeConfig({ arch: 'film' as never })).toThrow(ConfigError);
    expect(() => makeConfig({ arch: 'film' as never })).toThrow(/arch/);
    expect(() => makeConfig({ utd: -1 })).toThrow(/utd/);
    expect(() => makeConfig({ sac: { gamma: 1.5 } })).toThrow(/sac.gamma/);
    expect(() => makeConfig({ tasks: ['reach', 'reach'] })).toThrow(/twice/);
  });

  it('checkpoints, refuses to overwrite a run, resumes with its counters, refuses a mismatched resume', async () => {
    const out = join(dir, 'resume');
    const base = { tasks: ['reach', 'push'], demoEpisodes: 0, out, numEnvs: 4, learningStartsPerTask: 150, evalEvery: 0, evalEpisodes: 2, logEvery: 100, checkpointEvery: 200, utd: 0.25, sac: small };
    const started = performance.now();
    const first = await train(makeConfig({ ...base, envSteps: 600 }), { log: () => {} });
    const elapsed = (performance.now() - started) / 1000;
    // Wall time is counted once, however many checkpoints were written on the way.
    expect(first.wallSeconds).toBeLessThanOrEqual(elapsed + 1e-3);
    expect(first.wallSeconds).toBeGreaterThan(0.5 * elapsed);
    expect(first.envSteps).toBe(600);
    const ck1 = loadCheckpoint(join(out, 'checkpoint.bin'));
    expect(ck1.run.envSteps).toBe(600);
    expect(ck1.agent.sac.updates).toBe(first.updates);
    expect(ck1.agent.norm.count).toBeGreaterThan(0);
    expect(first.updates).toBeGreaterThan(0);
    await expect(train(makeConfig({ ...base, envSteps: 600 }), { log: () => {} })).rejects.toThrow(/already holds a run.*--resume/);
    await expect(train(makeConfig({ ...base, arch: 'concat', envSteps: 1000 }), { resume: true, log: () => {} })).rejects.toThrow(/does not match this run/);
    const lines: string[] = [];
    const resumedAt = performance.now();
    const second = await train(makeConfig({ ...base, envSteps: 1000 }), { resume: true, log: (l) => lines.push(l) });
    const elapsed2 = (performance.now() - resumedAt) / 1000;
    expect(second.wallSeconds).toBeGreaterThan(ck1.run.wallSeconds);
    expect(second.wallSeconds).toBeLessThanOrEqual(ck1.run.wallSeconds + elapsed2 + 1e-3);
    expect(lines.join('\n')).toMatch(/resumed from .* at 600 env steps/);
    expect(lines.join('\n')).not.toMatch(/replay not restored/);
    expect(second.envSteps).toBe(1000);
    const ck2 = loadCheckpoint(join(out, 'checkpoint.bin'));
    expect(ck2.run.envSteps).toBe(1000);
    expect(ck2.agent.sac.updates).toBeGreaterThan(ck1.agent.sac.updates);
    expect(ck2.agent.sac.optimizers.actor.step).toBe(ck2.agent.sac.updates);
    expect(ck2.agent.norm.count).toBeGreaterThan(ck1.agent.norm.count);
    const rows = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const steps = rows.map((r) => r.envSteps);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    expect(steps.at(-1)).toBe(1000);
    expect(Object.keys(rows[0].tasks)).toEqual(['reach', 'push']);
  }, 300_000);

  it('learns reach to clearly better than random in a short run', async () => {
    const env = await VecEnv.create({ tasks: ['reach'], numEnvs: 8 });
    const random = runEpisodes(env, randomPolicy(1), { episodesPerTask: 40, seed: 99 })[0].successRate;
    env.close();
    const out = join(dir, 'reach');
    const r = await train(
      makeConfig({ tasks: ['reach'], demoEpisodes: 0, envSteps: 7000, out, numEnvs: 8, learningStartsPerTask: 500, utd: 0.5, evalEvery: 1000, evalEpisodes: 40, stopAtSuccess: 0.9, logEvery: 1000, sac: { hidden: [64, 64] } }),
      { log: () => {} },
    );
    const learned = r.final[0].successRate;
    expect(random).toBeLessThan(0.3);
    expect(learned).toBeGreaterThanOrEqual(0.7);
    expect(existsSync(join(out, 'checkpoint.bin'))).toBe(true);

    // stopAtSuccess: the run ends at the first evaluation at or above 90%, and only there; that
    // evaluation is the run's final one (no second evaluation, row or checkpoint at that step).
    const rows = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const steps = rows.map((x) => x.envSteps);
    expect(new Set(steps).size).toBe(steps.length);
    const evals = rows.filter((x) => x.tasks.reach.evalSuccess !== undefined);
    const firstHit = evals.findIndex((x) => x.tasks.reach.evalSuccess >= 0.9);
    const early = firstHit >= 0 && evals[firstHit].envSteps < 7000;
    expect(r.stoppedEarly).toBe(early);
    if (early) {
      expect(r.stopReason).toBe('target');
      expect(firstHit).toBe(evals.length - 1);
      expect(r.envSteps).toBe(evals[firstHit].envSteps);
    } else expect(r.envSteps).toBe(7000);
    expect(steps.at(-1)).toBe(r.envSteps);
    expect(r.final[0].successRate).toBe(evals.at(-1).tasks.reach.evalSuccess);

    // best.bin: the agent of the best evaluation (periodic or final), without replay, and loadable.
    const best = loadCheckpoint(join(out, 'best.bin'));
    const top = Math.max(...evals.map((x) => x.tasks.reach.evalSuccess));
    expect(best.replay).toBeUndefined();
    expect(best.run.best!.meanSuccess).toBe(top);
    expect(r.best!.meanSuccess).toBe(top);
    const bestRow = evals.filter((x) => x.tasks.reach.evalSuccess === top).at(-1)!;
    expect(best.run.envSteps).toBe(bestRow.envSteps);
    const agent = new MultiTaskAgent(best.spec);
    agent.setState(best.agent);
    agent.dispose();
  }, 600_000);
});

void tf;
