// train() from a script that never called selectBackend() chooses the backend itself, as the CLIs
// do, and says so in one line (tfjs would otherwise train on its plain cpu backend, many times
// slower, or fail on a registered backend it has not initialised); after selectBackend() it keeps
// the script's choice and says nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { makeConfig } from '../../agents/config.ts';
import { selectBackend, selectedBackend } from '../../agents/tensor/index.ts';
import { train } from '../../agents/train/train.ts';

const dir = mkdtempSync(join(tmpdir(), 'rrl-backend-hint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tiny = { tasks: ['reach'], demoEpisodes: 0, numEnvs: 2, learningStartsPerTask: 20, batchSize: 16, evalEvery: 100, evalEpisodes: 1, logEvery: 50, checkpointEvery: 100, envSteps: 60, sac: { hidden: [8, 8] } };

describe('train() and the tensor backend', () => {
  it('without selectBackend(): chooses as the CLIs do and says so; after it: keeps the script\'s choice', async () => {
    expect(selectedBackend()).toBeNull();
    const first: string[] = [];
    await train(makeConfig({ ...tiny, out: join(dir, 'a') }), { log: (l) => first.push(l) });
    const said = first.filter((l) => l.includes('selectBackend'));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/^\[tensor\] backend .* \[auto\] \(chosen by train\(\): the script did not call selectBackend\(\)\)$/);
    const auto = selectedBackend()!;
    expect(tf.getBackend()).toBe(auto.tfBackend);

    await selectBackend({ force: 'cpu', log: false });
    const second: string[] = [];
    await train(makeConfig({ ...tiny, out: join(dir, 'b') }), { log: (l) => second.push(l) });
    expect(second.some((l) => l.includes('selectBackend') || l.startsWith('[tensor] backend'))).toBe(false);
    expect(tf.getBackend()).toBe('cpu');
  }, 60_000);
});
