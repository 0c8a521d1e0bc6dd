// A committed sweep's finished runs come back from its report's raw/ folder (runs/ is never
// committed): finished runs only, file for file, and only where the sweep folder lacks them.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { collectResults, writeReport } from '../../agents/bench/report.ts';
import { restoreFinishedRuns } from '../../agents/bench/restore.ts';
import { DONE_FILE, planRuns } from '../../agents/bench/spec.ts';
import { syntheticSpec, writeSyntheticSweep } from './synthetic.ts';

const dir = mkdtempSync(join(tmpdir(), 'rrl-bench-restore-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('restoreFinishedRuns', () => {
  it('copies back the finished runs of raw/ that runs/ lacks, and nothing else', async () => {
    const sweep = join(dir, 'sweep');
    const rep = join(sweep, 'report');
    writeSyntheticSweep(sweep);
    writeReport(sweep, rep, await collectResults(sweep, syntheticSpec));
    const plans = planRuns(syntheticSpec);
    const files = (d: string) => Object.fromEntries(readdirSync(d).sort().map((f) => [f, readFileSync(join(d, f), 'utf8')]));
    const original = files(join(sweep, 'runs', 'multihead-onehot', '2'));

    // a fresh clone: no runs/; and one run that the report holds unfinished
    rmSync(join(sweep, 'runs'), { recursive: true });
    rmSync(join(rep, 'raw', 'single-task', 'push', '3', DONE_FILE));
    const restored = restoreFinishedRuns(sweep, rep, plans);
    expect(restored).toHaveLength(plans.length - 1);
    expect(restored).not.toContain('single-task/push/3');
    expect(existsSync(join(sweep, 'runs', 'single-task', 'push', '3'))).toBe(false);
    expect(files(join(sweep, 'runs', 'multihead-onehot', '2'))).toEqual(original);
    const again = await collectResults(sweep, syntheticSpec);
    expect(again.runsDone).toBe(plans.length - 1);

    // a run the sweep folder has finished itself is left as it is
    writeFileSync(join(sweep, 'runs', 'multihead-onehot', '2', DONE_FILE), '{"mine": true}');
    expect(restoreFinishedRuns(sweep, rep, plans)).toEqual([]);
    expect(readFileSync(join(sweep, 'runs', 'multihead-onehot', '2', DONE_FILE), 'utf8')).toBe('{"mine": true}');
    // no report yet: nothing to restore
    expect(restoreFinishedRuns(join(dir, 'empty'), join(dir, 'empty', 'report'), plans)).toEqual([]);
  });
});
