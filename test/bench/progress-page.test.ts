// The report page's sweep progress in headless Chromium: a report folder with a progress.json (as
// the queue coordinator writes it) shows runs done, running, queued and failed per worker, follows
// the file while the sweep runs, and reloads the report when runs finish; a silent sweep is said to
// be silent; a report without progress.json shows none. Skipped without Chromium outside CI, as the
// other browser tests are.
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { progressFile, writeProgressFile, type RunProgress } from '../../agents/bench/progress.ts';
import { collectResults, writeReport } from '../../agents/bench/report.ts';
import { planRuns } from '../../agents/bench/spec.ts';
import { startViewerServer, type ViewerServer } from '../../server/http.ts';
import { Hub } from '../../server/hub.ts';
import { PolicySource } from '../../server/policy-source.ts';
import { ensureViewerBuilt, VIEWER_DIST } from '../../server/viewer-build.ts';
import { syntheticSpec, writeSyntheticSweep } from './synthetic.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const inCI = process.env.CI === 'true';

const dir = mkdtempSync(join(tmpdir(), 'rrl-progress-page-'));
const sweep = join(dir, 'sweep');
const reports = join(dir, 'reports');
const live = join(reports, 'live');
let server: ViewerServer;
const plans = planRuns(syntheticSpec);
// Two runs still training, on two workers.
const training = ['multihead-onehot/3', 'multihead-onehot/4'];

function runs(state: 'running' | 'finished'): RunProgress[] {
  return plans.map((r) => {
    const t = training.indexOf(r.id);
    const budget = syntheticSpec.budgetPerTask * r.taskNames.length;
    if (t >= 0 && state === 'running') return { id: r.id, state: 'running', worker: t === 0 ? 'gpu-box:11' : 'laptop:22', envSteps: budget * (t === 0 ? 0.4 : 0.75), budget };
    return { id: r.id, state: 'done', worker: 'gpu-box:11', envSteps: budget, budget };
  });
}

beforeAll(async () => {
  writeSyntheticSweep(sweep);
  // A partial report: the two runs have not finished (their done.json aside for now).
  for (const id of training) renameSync(join(sweep, 'runs', id, 'done.json'), join(sweep, 'runs', id, 'done.later'));
  writeReport(sweep, live, await collectResults(sweep, syntheticSpec));
  writeProgressFile(live, progressFile(runs('running'), { state: 'running', mode: 'queue', queue: 'redis://queue.lan:6379', sweepId: 'sweep-1a2b3c4d', eta: 90, idleWorkers: ['spare:33'] }));
  // One whose coordinator went quiet ten minutes ago, and one with no progress.json at all.
  const silent = join(reports, 'silent');
  writeReport(sweep, silent, await collectResults(sweep, syntheticSpec));
  const old = progressFile(runs('running'), { state: 'running', mode: 'local', eta: null });
  writeProgressFile(silent, { ...old, updatedAt: new Date(Date.now() - 10 * 60_000).toISOString() });
  writeReport(sweep, join(reports, 'plain'), await collectResults(sweep, syntheticSpec));
  await ensureViewerBuilt({ log: () => {} });
  server = await startViewerServer({ hub: new Hub(new PolicySource({ tasks: ['reach'], numEnvs: 1, policy: 'random' })), port: 0, distDir: VIEWER_DIST, reportsDir: reports });
}, 180_000);

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!haveChromium && !inCI)('sweep progress on the report page (headless Chromium)', () => {
  it('shows runs per worker, follows progress.json, and reloads the report as runs finish', async () => {
    const base = `http://127.0.0.1:${server.port}`;
    expect((await fetch(`${base}/reports/live/progress.json`)).status).toBe(200);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${base}/bench.html?report=live`);
      await page.waitForFunction(() => (window as unknown as { __rrlProgress?: { report: string } }).__rrlProgress?.report === 'live', undefined, { timeout: 20_000 });
      expect(await page.locator('#progress').isVisible()).toBe(true);
      const summary = await page.locator('#progress-summary').textContent();
      expect(summary).toMatch(/^Sweep running through the queue at redis:\/\/queue\.lan:6379 \(sweep sweep-1a2b3c4d\), as of \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\. /);
      expect(summary).toContain('Runs: 13 done, 2 running, 0 queued, 0 failed, of 15;');
      expect(summary).toContain('about 1.5 min to go');
      const rows = await page.locator('#progress-workers tr').allTextContents();
      expect(rows).toEqual(['workerrunning nowdonefailed', 'gpu-box:11multihead-onehot/3 (40%)130', 'laptop:22multihead-onehot/4 (75%)00', 'spare:33idle00']);
      expect(await page.locator('#partial').isVisible()).toBe(true);
      expect(await page.locator('#partial').textContent()).toContain('13 of 15 runs finished');
      await page.screenshot({ path: join(process.cwd(), 'artifacts', 'bench-progress.png') });

      // The runs finish: the report is rewritten, then progress.json; the page follows both.
      for (const id of training) renameSync(join(sweep, 'runs', id, 'done.later'), join(sweep, 'runs', id, 'done.json'));
      writeReport(sweep, live, await collectResults(sweep, syntheticSpec));
      writeProgressFile(live, progressFile(runs('finished'), { state: 'finished', mode: 'queue', queue: 'redis://queue.lan:6379', sweepId: 'sweep-1a2b3c4d', eta: 0 }));
      await page.waitForFunction(() => (window as unknown as { __rrlProgress: { state: string } }).__rrlProgress.state === 'finished', undefined, { timeout: 20_000 });
      await page.waitForFunction(() => (window as unknown as { __rrlBench: { complete: boolean } }).__rrlBench.complete, undefined, { timeout: 20_000 });
      expect(await page.locator('#progress-summary').textContent()).toMatch(/^Sweep finished through the queue at redis:\/\/queue\.lan:6379 \(sweep sweep-1a2b3c4d\), .* Runs: 15 done, 0 running, 0 queued, 0 failed, of 15; 100\.0% of env steps\.$/);
      expect(await page.locator('#progress-workers tr').allTextContents()).toEqual(['workerrunning nowdonefailed', 'gpu-box:11idle150']);
      expect(await page.locator('#partial').isHidden()).toBe(true);

      // A sweep whose progress stopped coming in.
      await page.locator('#report').selectOption('silent');
      await page.waitForFunction(() => (window as unknown as { __rrlProgress?: { report: string } }).__rrlProgress?.report === 'silent', undefined, { timeout: 20_000 });
      expect(await page.locator('#progress-summary').textContent()).toMatch(/^Sweep running on one machine, as of .* \(no update for 10 min: its sweep may have stopped\)\./);

      // A report without progress.json: no progress box.
      await page.locator('#report').selectOption('plain');
      await page.waitForFunction(() => (window as unknown as { __rrlBench: { report: string } }).__rrlBench.report === 'plain', undefined, { timeout: 20_000 });
      await expect.poll(() => page.locator('#progress').isHidden()).toBe(true);
      expect(JSON.parse(readFileSync(join(live, 'progress.json'), 'utf8')).state).toBe('finished');
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 90_000);
});
