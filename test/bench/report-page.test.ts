// The viewer's benchmark report page: the server lists report folders under /reports/ newest first
// with their dates and budgets, and serves their files (and nothing outside them); bench.html in
// headless Chromium opens on the newest report and renders its intervals, profiles, flags, tables
// and curves, lists the others, opens an older one and survives a broken one. The browser part is
// skipped without Chromium, as the viewer's own test is.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectResults, writeReport } from '../../agents/bench/report.ts';
import { startViewerServer, type ViewerServer } from '../../server/http.ts';
import { Hub } from '../../server/hub.ts';
import { PolicySource } from '../../server/policy-source.ts';
import { ensureViewerBuilt, VIEWER_DIST } from '../../server/viewer-build.ts';
import { syntheticSpec, writeSyntheticSweep } from './synthetic.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const inCI = process.env.CI === 'true';

const dir = mkdtempSync(join(tmpdir(), 'rrl-bench-page-'));
let server: ViewerServer;

beforeAll(async () => {
  const sweep = join(dir, 'sweep');
  writeSyntheticSweep(sweep);
  const reports = join(dir, 'reports');
  writeReport(sweep, join(reports, 'synthetic'), await collectResults(sweep, syntheticSpec));
  // An older report, in the format written before the interval statistics (dated by generatedAt).
  const old = JSON.parse(readFileSync(join(reports, 'synthetic', 'results.json'), 'utf8'));
  for (const k of ['dataAsOf', 'aggregates', 'profiles', 'statistics']) delete old[k];
  for (const c of old.comparisons) for (const k of ['diff', 'seedsMulti', 'seedsSingle']) delete c[k];
  Object.assign(old, { generatedAt: '2025-05-01T10:00:00.000Z', spec: { ...old.spec, budgetPerTask: 2000 } });
  mkdirSync(join(reports, 'older', 'small'), { recursive: true });
  writeFileSync(join(reports, 'older', 'small', 'results.json'), JSON.stringify(old));
  // And one whose results.json is damaged: listed, never fatal.
  mkdirSync(join(reports, 'broken'));
  writeFileSync(join(reports, 'broken', 'results.json'), '{"spec": ');
  await ensureViewerBuilt({ log: () => {} });
  server = await startViewerServer({ hub: new Hub(new PolicySource({ tasks: ['reach'], numEnvs: 1, policy: 'random' })), port: 0, distDir: VIEWER_DIST, reportsDir: join(dir, 'reports') });
}, 180_000);

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('benchmark reports over HTTP', () => {
  it('lists report folders and serves their files, and nothing outside them', async () => {
    const base = `http://127.0.0.1:${server.port}`;
    const index = (await (await fetch(`${base}/reports/index.json`)).json()) as { reports: { name: string; date: string | null; budgetPerTask: number | null; error?: string }[] };
    // newest first; the undated, unreadable one last
    expect(index.reports.map((e) => e.name)).toEqual(['synthetic', 'older/small', 'broken']);
    expect(index.reports[0]).toEqual({ name: 'synthetic', date: '2026-01-02T03:15:00.000Z', budgetPerTask: 4000, tasks: ['reach', 'push'], conditions: ['single-task', 'multihead-onehot'], seeds: 5, runsDone: 15, runsTotal: 15 });
    expect(index.reports[1]).toMatchObject({ date: '2025-05-01T10:00:00.000Z', budgetPerTask: 2000 });
    expect(index.reports[2]).toMatchObject({ date: null, budgetPerTask: null });
    expect(index.reports[2].error).toMatch(/^broken\/results\.json: /);
    const res = await fetch(`${base}/reports/synthetic/results.json`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { cells: unknown[] }).cells).toHaveLength(4);
    for (const f of ['curves.svg', 'profiles.svg']) expect((await fetch(`${base}/reports/synthetic/${f}`)).headers.get('content-type')).toBe('image/svg+xml');
    expect((await fetch(`${base}/reports/synthetic/nope.json`)).status).toBe(404);
    expect((await fetch(`${base}/reports/..%2fsweep/runs/single-task/reach/0/done.json`)).status).toBe(403);
    expect((await fetch(`${base}/bench.html`)).status).toBe(200);
  });
});

describe.skipIf(!haveChromium && !inCI)('benchmark report page in headless Chromium', () => {
  it('opens on the newest report and renders its intervals, profiles, flags and curves; lists and opens the others', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`http://127.0.0.1:${server.port}/bench.html`);
      await page.waitForFunction(() => (window as unknown as { __rrlBench?: unknown }).__rrlBench, undefined, { timeout: 20_000 });
      expect(await page.evaluate(() => (window as unknown as { __rrlBench: { report: string } }).__rrlBench.report)).toBe('synthetic');
      expect(await page.locator('#report').inputValue()).toBe('synthetic');
      expect(await page.locator('#report option').allTextContents()).toEqual(['synthetic · 2026-01-02 · 4k steps/task', 'older/small · 2025-05-01 · 2k steps/task', 'broken · undated']);
      // the list of every report, with dates and budgets, the open one marked
      expect(await page.locator('#reports tr').count()).toBe(1 + 3);
      expect(await page.locator('#reports tr.current').textContent()).toMatch(/^synthetic2026-01-024k env steps2single-task, multihead-onehot515 of 15$/);
      expect(await page.locator('#reports tr', { hasText: 'older/small' }).textContent()).toContain('2025-05-01');

      expect(await page.locator('#results tr').count()).toBe(1 + 4);
      const pushSingle = page.locator('#results tr', { hasText: 'single-task' }).filter({ hasText: 'push' });
      expect(await pushSingle.locator('td').nth(4).textContent()).toMatch(/^88% \[\d+, \d+\]$/); // IQM with its interval
      expect(await page.locator('#aggregate tr').count()).toBe(1 + 2);
      expect(await page.locator('#aggregate tr', { hasText: 'multihead-onehot' }).locator('td').last().textContent()).toBe('0.25 [0.25, 0.25]');
      const pushMulti = page.locator('#transfer tr', { hasText: 'push' });
      expect(await pushMulti.locator('td.flag').textContent()).toBe('yes (5 / 5 seeds)');
      expect(await pushMulti.locator('td').nth(2).textContent()).toMatch(/^−73 pts \[−\d+, −\d+\]$/);
      expect(await page.locator('#transfer tr', { hasText: 'reach' }).locator('td').nth(3).textContent()).toBe('not shown (5 / 5 seeds)');
      expect(await page.locator('#headline').textContent()).toContain('Negative transfer flagged on: push (multihead-onehot, 5 / 5 seeds)');
      expect(await page.locator('#headline').textContent()).toContain('Probability of improvement over single-task: multihead-onehot 0.25 [0.25, 0.25]');
      for (const id of ['curves', 'profiles']) await page.waitForFunction((i) => (document.getElementById(i) as HTMLImageElement).naturalWidth > 0, id, { timeout: 10_000 });
      expect(await page.locator('#partial').isHidden()).toBe(true);
      expect(await page.locator('#old-format').isHidden()).toBe(true);
      await page.screenshot({ path: join(process.cwd(), 'artifacts', 'bench-report.png'), fullPage: true });

      // An older report from the list: rendered from what it has, with a note to rebuild it.
      await page.locator('#reports a', { hasText: 'older/small' }).click();
      await page.waitForFunction(() => (window as unknown as { __rrlBench: { report: string } }).__rrlBench.report === 'older/small', undefined, { timeout: 10_000 });
      expect(new URL(page.url()).searchParams.get('report')).toBe('older/small');
      expect(await page.locator('#old-format').isVisible()).toBe(true);
      expect(await page.locator('#setup').textContent()).toContain('Budget: 2k env steps per task');
      expect(await page.locator('#transfer tr', { hasText: 'push' }).locator('td.flag').textContent()).toBe('yes');
      expect(await page.locator('#reports tr.current').textContent()).toMatch(/^older\/small/);

      // The damaged one: an error on the page, nothing thrown.
      await page.locator('#report').selectOption('broken');
      await expect.poll(() => page.locator('#bench-status').textContent()).toMatch(/^Could not load broken: broken\/results\.json: /);
      expect(await page.locator('#bench-body').isHidden()).toBe(true);

      // ?report= still picks one explicitly.
      await page.goto(`http://127.0.0.1:${server.port}/bench.html?report=older/small`);
      await page.waitForFunction(() => (window as unknown as { __rrlBench?: { report: string } }).__rrlBench?.report === 'older/small', undefined, { timeout: 20_000 });
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
