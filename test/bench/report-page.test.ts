// The viewer's benchmark report page: the server lists and serves report folders under /reports/
// (and nothing outside them), and bench.html in headless Chromium renders the table and curves of
// a synthetic report. The browser part is skipped without Chromium, as the viewer's own test is.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
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
  writeReport(sweep, join(dir, 'reports', 'synthetic'), await collectResults(sweep, syntheticSpec));
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
    expect(await (await fetch(`${base}/reports/index.json`)).json()).toEqual({ reports: ['synthetic'] });
    const res = await fetch(`${base}/reports/synthetic/results.json`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { cells: unknown[] }).cells).toHaveLength(4);
    const svg = await fetch(`${base}/reports/synthetic/curves.svg`);
    expect(svg.headers.get('content-type')).toBe('image/svg+xml');
    expect((await fetch(`${base}/reports/synthetic/nope.json`)).status).toBe(404);
    expect((await fetch(`${base}/reports/..%2fsweep/runs/single-task/reach/0/done.json`)).status).toBe(403);
    expect((await fetch(`${base}/bench.html`)).status).toBe(200);
  });
});

describe.skipIf(!haveChromium && !inCI)('benchmark report page in headless Chromium', () => {
  it('renders the table, the negative-transfer flag and the curves', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`http://127.0.0.1:${server.port}/bench.html?report=synthetic`);
      await page.waitForFunction(() => (window as unknown as { __rrlBench?: unknown }).__rrlBench, undefined, { timeout: 20_000 });
      expect(await page.locator('#results tr').count()).toBe(1 + 4);
      const pushMulti = page.locator('#results tr', { hasText: 'multihead-onehot' }).filter({ hasText: 'push' });
      await expect.poll(() => pushMulti.locator('td.flag').textContent()).toMatch(/^yes/);
      expect(await page.locator('#headline').textContent()).toContain('Negative transfer flagged on: push (multihead-onehot)');
      await page.waitForFunction(() => (document.getElementById('curves') as HTMLImageElement).naturalWidth > 0, undefined, { timeout: 10_000 });
      expect(await page.locator('#partial').isHidden()).toBe(true);
      await page.screenshot({ path: join(process.cwd(), 'artifacts', 'bench-report.png'), fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
