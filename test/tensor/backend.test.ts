// Backend selection, each case in a fresh process: the choice, the forcing and the start-up line
// depend on environment variables read once per process.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { addon } from './helpers.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const script = `
  import { selectBackend } from './agents/tensor/backend.ts';
  import * as tf from '@tensorflow/tfjs';
  try {
    const s = await selectBackend({ force: process.env.FORCE || undefined });
    console.log('RESULT ' + JSON.stringify({ choice: s.choice, tf: tf.getBackend(), blas: s.blas, skipped: s.skipped }));
  } catch (e) {
    console.log('ERROR ' + e.message);
  }
`;

function run(env: Record<string, string>): { stdout: string; result?: { choice: string; tf: string; blas: boolean; skipped: { choice: string; reason: string }[] }; error?: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, RRL_BACKEND: '', RRL_DISABLE_BLAS: '', FORCE: '', ...env },
    timeout: 60_000,
  });
  const out = r.stdout ?? '';
  const res = /^RESULT (.*)$/m.exec(out);
  const err = /^ERROR (.*)$/m.exec(out);
  return { stdout: out, result: res ? JSON.parse(res[1]) : undefined, error: err?.[1] };
}

describe('selectBackend', () => {
  it('auto: skips the absent node packages, then takes wasm with BLAS when the addon is built', () => {
    const r = run({});
    expect(r.error).toBeUndefined();
    expect(r.result!.skipped.map((s) => s.choice).slice(0, 2)).toEqual(['node-gpu', 'node']);
    expect(r.result!.skipped[0].reason).toMatch(/tfjs-node-gpu/);
    if (addon) {
      expect(r.result).toMatchObject({ choice: 'wasm-blas', tf: 'wasm', blas: true });
      expect(r.stdout).toMatch(/^\[tensor\] backend wasm; BLAS kernels on \(OpenBLAS|Accelerate|CBLAS/m);
    } else {
      expect(r.result).toMatchObject({ choice: 'wasm', tf: 'wasm', blas: false });
      expect(r.stdout).toMatch(/BLAS kernels off \(native BLAS kernels unavailable: addon not built/);
    }
  }, 60_000);

  it('auto with the addon disabled: plain wasm, and the start-up line says why', () => {
    const r = run({ RRL_DISABLE_BLAS: '1' });
    expect(r.result).toMatchObject({ choice: 'wasm', tf: 'wasm', blas: false });
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('[tensor]'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/BLAS kernels off \(native BLAS kernels unavailable: disabled by RRL_DISABLE_BLAS=1\)/);
  }, 60_000);

  it('RRL_BACKEND forces a backend', () => {
    const r = run({ RRL_BACKEND: 'cpu' });
    expect(r.result).toMatchObject({ choice: 'cpu', tf: 'cpu', blas: false });
    expect(r.stdout).toMatch(/\[forced by RRL_BACKEND\]/);
  }, 60_000);

  it('the option wins over the environment variable', () => {
    const r = run({ RRL_BACKEND: 'cpu', FORCE: 'wasm' });
    expect(r.result).toMatchObject({ choice: 'wasm', tf: 'wasm' });
  }, 60_000);

  it('forcing a backend that cannot load is an error that says why', () => {
    const r = run({ RRL_BACKEND: 'node' });
    expect(r.result).toBeUndefined();
    expect(r.error).toMatch(/backend "node" was forced \(RRL_BACKEND\) but cannot load: @tensorflow\/tfjs-node is not installed/);
  }, 60_000);

  it('forcing wasm-blas without the addon is an error; an unknown name lists the choices', () => {
    const r = run({ RRL_BACKEND: 'wasm-blas', RRL_DISABLE_BLAS: '1' });
    expect(r.error).toMatch(/"wasm-blas" was forced .* cannot load: native BLAS kernels unavailable: disabled by RRL_DISABLE_BLAS=1/);
    const u = run({ RRL_BACKEND: 'tpu' });
    expect(u.error).toMatch(/unknown backend "tpu".*auto, node-gpu, node, wasm-blas, wasm, cpu-blas, cpu/);
  }, 60_000);
});
