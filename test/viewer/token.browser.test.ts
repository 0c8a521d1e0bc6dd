// The viewer behind a token, in a real browser: the page opened from the printed address (which
// carries ?token=) loads its scripts, streams frames over its WebSocket and, through the cookie it
// received, keeps working at addresses without the token (the report page and its reports, the
// viewer again); a browser without the token sees the static "token required" page and nothing
// else. Skipped where no Chromium exists, except in CI.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startViewerServer, type ViewerServer } from '../../server/http.ts';
import { Hub } from '../../server/hub.ts';
import { PolicySource } from '../../server/policy-source.ts';
import { VIEWER_DIST, ensureViewerBuilt } from '../../server/viewer-build.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const inCI = process.env.CI === 'true' || process.env.CI === '1';

const framesOf = (page: Page): Promise<number> => page.evaluate(() => (window as unknown as { __rrl?: { stats: { framesReceived: number } } }).__rrl?.stats.framesReceived ?? 0);

describe.skipIf(!haveChromium && !inCI)('viewer with a token in headless Chromium', () => {
  let browser: Browser;
  let server: ViewerServer;
  const ac = new AbortController();
  let running: Promise<void>;
  let hub: Hub;

  beforeAll(async () => {
    if (!haveChromium) throw new Error(`CI=true but no Chromium at ${CHROMIUM}: install it (apt-get install -y chromium)`);
    await ensureViewerBuilt({ log: () => {} });
    const source = new PolicySource({ tasks: ['reach', 'push'], numEnvs: 2, policy: 'expert', speed: 2, seed: 5 });
    hub = new Hub(source, { sendHz: 30 });
    running = source.run(hub, ac.signal);
    // A token with characters that need escaping in a URL and a cookie; reports: docs/benchmarks.
    server = await startViewerServer({ hub, port: 0, token: 'se cret/?&=;', distDir: VIEWER_DIST });
    hub.start();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    ac.abort();
    await running;
    hub.stop();
    await server.close();
  });

  it('works from the printed address, then by its cookie on pages without the token', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    expect(server.url).toContain('?token=se%20cret%2F%3F%26%3D%3B');
    await page.goto(server.url);
    await expect.poll(() => framesOf(page), { timeout: 30_000 }).toBeGreaterThan(5);

    // The report page, its list and a report, with no token in any of their addresses.
    const base = `http://127.0.0.1:${server.port}`;
    await page.goto(`${base}/bench.html`);
    // Whichever report is newest (a sweep under way may have no finished run yet): it was fetched and shown.
    await page.waitForFunction(() => (window as unknown as { __rrlBench?: { report: string } }).__rrlBench?.report, undefined, { timeout: 20_000 });
    // And the viewer again: its WebSocket gets in by the cookie alone.
    await page.goto(`${base}/`);
    await expect.poll(() => framesOf(page), { timeout: 30_000 }).toBeGreaterThan(5);
    expect(errors).toEqual([]);
    await page.close();
  }, 90_000);

  it('a browser without the token gets the token page and nothing else', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const res = await page.goto(`http://127.0.0.1:${server.port}/`);
    expect(res!.status()).toBe(401);
    expect(await page.textContent('body')).toMatch(/needs a token/);
    expect(await page.evaluate(() => typeof (window as unknown as { __rrl?: unknown }).__rrl)).toBe('undefined');
    expect((await page.goto(`http://127.0.0.1:${server.port}/bench.html`))!.status()).toBe(401);
    expect((await page.goto(`http://127.0.0.1:${server.port}/reports/index.json`))!.status()).toBe(401);
    await context.close();
  }, 60_000);
});
