// The `language` descriptor on the agent's side: each task's description embedded (sim/language.ts,
// tested in test/sim/language.test.ts) and stored in the agent spec, so checkpoints carry it and
// are checked against it; networks conditioned on it learn and act; a sweep condition can name it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentSpec, MultiTaskAgent } from '../../agents/agent.ts';
import { parseCondition } from '../../agents/bench/spec.ts';
import { assertCompatible, decodeCheckpoint, encodeCheckpoint } from '../../agents/checkpoint.ts';
import { makeConfig } from '../../agents/config.ts';
import { MultiTaskReplay, type Transition } from '../../agents/replay.ts';
import { selectBackend } from '../../agents/tensor/index.ts';
import { train } from '../../agents/train/train.ts';
import { LANGUAGE_DIM, languageVector } from '../../sim/language.ts';
import { GOAL_DIM, OBS_DIM } from '../../sim/layout.ts';
import { getTask } from '../../sim/registry.ts';
import { Rng } from '../../sim/rng.ts';

const dir = mkdtempSync(join(tmpdir(), 'rrl-language-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  await selectBackend({ log: false });
});

const tasks = [getTask('reach'), getTask('push')];

describe('language descriptor', () => {
  it('the agent spec carries each task\'s language vector (with that descriptor only), and checkpoints keep it', () => {
    const spec = agentSpec(tasks, { arch: 'concat', descriptor: 'language', sac: { hidden: [16] } });
    expect(spec.language).toHaveLength(2);
    expect(spec.language![1]).toHaveLength(LANGUAGE_DIM);
    expect(spec.language![1]).toEqual(Array.from(languageVector(tasks[1].description)));
    expect(spec.language![0]).not.toEqual(spec.language![1]);
    expect(agentSpec(tasks, { arch: 'concat', descriptor: 'metadata', sac: { hidden: [16] } }).language).toBeUndefined();
    const agent = new MultiTaskAgent(spec);
    const run = { envSteps: 0, updates: 0, episodes: 0, wallSeconds: 0, rng: [1, 2, 3, 4], config: {} };
    const back = decodeCheckpoint(encodeCheckpoint({ spec, run, agent: agent.getState() }), 'lang.bin');
    expect(back.spec).toEqual(spec);
    agent.dispose();
  });

  it('a checkpoint is checked against the language vectors; a language spec without them is refused', () => {
    const spec = agentSpec(tasks, { arch: 'concat', descriptor: 'language', sac: { hidden: [16] } });
    const changed = { ...spec, language: spec.language!.map((v, t) => (t === 0 ? v.map((x) => -x) : v)) };
    expect(() => assertCompatible(spec, changed, 'old.bin')).toThrow(/old\.bin does not match this run.*task language vectors differ/);
    const agent = new MultiTaskAgent(spec);
    const bytes = encodeCheckpoint({ spec: { ...spec, language: undefined }, run: { envSteps: 0, updates: 0, episodes: 0, wallSeconds: 0, rng: [1, 2, 3, 4], config: {} }, agent: agent.getState() });
    expect(() => decodeCheckpoint(bytes, 'nolang.bin')).toThrow(/nolang\.bin has a malformed header: field "spec\.language": the language descriptor needs one language row per task/);
    expect(() => new MultiTaskAgent({ ...spec, language: undefined })).toThrow(/language descriptor needs 2 x 100 language numbers, got none/);
    agent.dispose();
  });

  for (const arch of ['concat', 'gated', 'moe'] as const) {
    it(`${arch} conditioned on language: acts, and an update reaches every parameter`, () => {
      const agent = new MultiTaskAgent(agentSpec(tasks, { arch, descriptor: 'language', sac: { hidden: [16, 16] } }));
      const rep = new MultiTaskReplay({ tasks, capacityPerTask: 100, herK: 0, reward: 'sparse', terminateOnSuccess: false, demoFraction: 0 });
      const rng = new Rng(1);
      const vec = (n: number) => Float32Array.from({ length: n }, () => rng.uniform(-0.2, 0.2));
      for (const b of rep.buffers) b.addEpisode(Array.from({ length: 20 }, (): Transition => ({ obs: vec(OBS_DIM), achieved: vec(GOAL_DIM), action: vec(4), reward: -1, nextObs: vec(OBS_DIM), nextAchieved: vec(GOAL_DIM), desired: vec(GOAL_DIM), terminated: false })));
      const before = [...agent.sac.actorParams, ...agent.sac.criticParams].map((p) => p.dataSync().slice());
      agent.update(rep.sample(32, rng), false);
      const after = [...agent.sac.actorParams, ...agent.sac.criticParams].map((p) => p.dataSync().slice());
      after.forEach((a, i) => expect(a.some((v, k) => v !== before[i][k])).toBe(true));
      const act = agent.act(new Float32Array(2 * OBS_DIM), new Float32Array(2 * GOAL_DIM), new Float32Array(2 * GOAL_DIM), Int32Array.from([0, 1]), true);
      expect(act.every((x) => Number.isFinite(x) && Math.abs(x) <= 1)).toBe(true);
      agent.dispose();
    });
  }

  it('trains end to end, resumes against the same vectors, and is a sweep condition', async () => {
    const out = join(dir, 'run');
    const cfg = makeConfig({ tasks: ['reach', 'push'], demoEpisodes: 0, arch: 'concat', descriptor: 'language', numEnvs: 2, envSteps: 200, learningStartsPerTask: 20, batchSize: 16, evalEvery: 0, evalEpisodes: 1, logEvery: 100, checkpointEvery: 100, out, sac: { hidden: [16] } });
    const r = await train(cfg, { log: () => {} });
    expect(r.envSteps).toBe(200);
    const lines: string[] = [];
    await train({ ...cfg, envSteps: 300 }, { resume: true, log: (l) => lines.push(l) });
    expect(lines.join('\n')).toMatch(/resumed from .* at 200 env steps/);
    expect(parseCondition('concat:language')).toEqual({ id: 'concat-language', kind: 'multi', arch: 'concat', descriptor: 'language' });
  }, 120_000);
});
