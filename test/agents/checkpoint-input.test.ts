// Checkpoints a hostile but honest user might hand over: crafted files with a valid checksum but a
// wrong structure, a folder, a file whose weights turned NaN. Each is refused with a message that
// names the file and what is wrong (never a raw JavaScript error), by the library and by the CLIs.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentSpec, MultiTaskAgent } from '../../agents/agent.ts';
import { TSX_LOADER } from '../../agents/bench/sweep.ts';
import { CheckpointError, loadCheckpoint, saveCheckpoint } from '../../agents/checkpoint.ts';
import { makeConfig } from '../../agents/config.ts';
import { loadAgent } from '../../agents/load-agent.ts';
import { selectBackend } from '../../agents/tensor/index.ts';
import { train } from '../../agents/train/train.ts';
import { getTask } from '../../sim/registry.ts';

const root = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'rrl-ckpt-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  await selectBackend({ log: false });
});

const spec = agentSpec([getTask('reach'), getTask('push')], { arch: 'multihead', descriptor: 'onehot', sac: { hidden: [16, 16] } });
const run = { envSteps: 100, updates: 0, episodes: 0, wallSeconds: 1, rng: [1, 2, 3, 4], config: { tasks: ['reach', 'push'] } };

function goodFile(name: string): string {
  const agent = new MultiTaskAgent(spec);
  const path = join(dir, name);
  saveCheckpoint(path, { spec, run, agent: agent.getState() });
  agent.dispose();
  return path;
}

/** Rewrites a checkpoint's header (and, optionally, its data) and seals it with a valid SHA-256. */
function craft(from: string, name: string, edit: (header: Record<string, any>) => unknown): string {
  const buf = readFileSync(from);
  const hlen = buf.readUInt32LE(8);
  const header = JSON.parse(buf.subarray(12, 12 + hlen).toString('utf8'));
  const replaced = edit(header);
  const json = Buffer.from(JSON.stringify(replaced === undefined ? header : replaced), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length);
  const body = Buffer.concat([buf.subarray(0, 8), len, json, buf.subarray(12 + hlen, buf.length - 32)]);
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat([body, createHash('sha256').update(body).digest()]));
  return path;
}

describe('checkpoints from outside', () => {
  const good = () => goodFile('good.bin');

  it('refuses crafted headers with a valid checksum, naming the file and the field', () => {
    const cases: [string, (h: Record<string, any>) => unknown, RegExp][] = [
      ['blocks-null', (h) => void (h.blocks = null), /blocks-null\.bin has a malformed header: field "blocks": .*expected array/],
      ['spec-null', (h) => void (h.spec = null), /spec-null\.bin has a malformed header: field "spec"/],
      ['tasks-missing', (h) => void delete h.spec.tasks, /field "spec\.tasks"/],
      ['steps-text', (h) => void (h.run.envSteps = 'many'), /field "run\.envSteps"/],
      ['steps-negative', (h) => void (h.run.envSteps = -5), /field "run\.envSteps"/],
      ['arch', (h) => void (h.spec.arch = 'film'), /field "spec\.arch"/],
      ['metadata', (h) => void h.spec.metadata.pop(), /field "spec\.metadata": needs one metadata row per task/],
      ['hidden', (h) => void (h.spec.sac.hidden = [16, 'wide']), /field "spec\.sac\.hidden\.1"/],
      ['rng', (h) => void (h.run.rng = [1, 2]), /field "run\.rng"/],
      ['block-length', (h) => void (h.blocks[0].length = 'x'), /field "blocks\.0\.length"/],
      ['block-twice', (h) => void (h.blocks[1].name = h.blocks[0].name), /block "norm\.mean" is listed twice/],
      ['header-null', () => null, /has format version undefined/],
      ['version', (h) => void (h.version = 4), /has format version 4; this build reads version 3/],
      ['version 2', (h) => void (h.version = 2), /has format version 2; this build reads version 3 \(version 2 agents saw no goal-relative inputs.*train a new agent\)/],
    ];
    const from = good();
    for (const [name, edit, message] of cases) {
      const path = craft(from, `${name}.bin`, edit);
      let err: unknown;
      try {
        loadCheckpoint(path);
      } catch (e) {
        err = e;
      }
      expect(err, name).toBeInstanceOf(CheckpointError);
      expect((err as Error).message, name).toMatch(message);
      expect((err as Error).message, name).toContain(path);
    }
  });

  it('refuses a header whose blocks do not fit the agent it describes, when loading and when resuming', async () => {
    const path = craft(good(), 'renamed.bin', (h) => {
      for (const b of h.blocks) if (b.name.startsWith('actor.')) b.name = b.name.replace('actor.', 'actorX.');
    });
    await expect(loadAgent(path, { log: false })).rejects.toThrow(/renamed\.bin does not fit the agent its own header describes: actor: 0 tensors for \d+ parameters/);
    const out = join(dir, 'resume-crafted');
    mkdirSync(out);
    writeFileSync(join(out, 'checkpoint.bin'), readFileSync(path));
    await expect(train(makeConfig({ tasks: ['reach', 'push'], strategy: 'none', demoEpisodes: 0, out, sac: { hidden: [16, 16] } }), { resume: true, log: () => {} })).rejects.toThrow(/checkpoint\.bin does not fit the agent/);
  });

  it('says "is a folder" for a folder, and points at the checkpoint inside a run folder', () => {
    const empty = join(dir, 'empty-folder');
    mkdirSync(empty);
    expect(() => loadCheckpoint(empty)).toThrow(new RegExp(`${empty} is a folder, not a checkpoint file$`));
    const runDir = join(dir, 'a-run');
    mkdirSync(runDir);
    writeFileSync(join(runDir, 'checkpoint.bin'), readFileSync(good()));
    expect(() => loadCheckpoint(runDir)).toThrow(/a-run is a folder, not a checkpoint file \(did you mean .*a-run\/checkpoint\.bin\?\)/);
  });

  it('refuses a checkpoint whose weights hold NaN, naming the file and the parameters', () => {
    const agent = new MultiTaskAgent(spec);
    const state = agent.getState();
    state.sac.actor[2][5] = NaN;
    const path = join(dir, 'nan.bin');
    saveCheckpoint(path, { spec, run, agent: state });
    expect(() => loadCheckpoint(path)).toThrow(/nan\.bin: parameters "actor\.2" hold a non-finite value \(NaN at index 5\)/);
    const inf = agent.getState();
    inf.norm.mean[3] = Infinity;
    saveCheckpoint(join(dir, 'inf.bin'), { spec, run, agent: inf });
    expect(() => loadCheckpoint(join(dir, 'inf.bin'))).toThrow(/inf\.bin: parameters "norm\.mean" hold a non-finite value \(Infinity at index 3\)/);
    agent.dispose();
  });

  it('the evaluation CLI prints those messages and exits 1', () => {
    const cli = (args: string[]) => spawnSync(process.execPath, ['--import', TSX_LOADER, join(root, 'agents/cli/evaluate.ts'), ...args], { cwd: root, encoding: 'utf8' });
    const nan = cli(['--checkpoint', join(dir, 'nan.bin')]);
    expect(nan.status).toBe(1);
    expect(nan.stderr).toMatch(/^error: .*nan\.bin: parameters "actor\.2" hold a non-finite value/m);
    const folder = cli(['--checkpoint', join(dir, 'a-run'), '--episodes', '0x10']);
    expect(folder.status).toBe(2); // the flag is checked first
    expect(folder.stderr).toMatch(/--episodes must be an integer from 1 to 1,000,000 \(plain decimal digits\), got "0x10"/);
    const folder2 = cli(['--checkpoint', join(dir, 'a-run')]);
    expect(folder2.status).toBe(1);
    expect(folder2.stderr).toMatch(/a-run is a folder, not a checkpoint file \(did you mean/);
    expect(folder2.stderr).not.toMatch(/EISDIR/);
  }, 60_000);
});
