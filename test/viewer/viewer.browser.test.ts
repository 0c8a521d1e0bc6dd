// End to end in a real browser: the server runs a short policy-driven rollout, headless Debian
// Chromium opens the viewer, and we check that the canvas draws a non-blank image (judged from the
// screenshot's pixels: a WebGL canvas reads back blank from page scripts), that transform frames
// arrive and advance, that the pause control stops them, that the viewer reconnects by itself
// when the server restarts, and that it plays a recording file opened in the page. The screenshot
// is kept as artifacts/viewer.png.
//
// Skipped with a one-line notice where no Chromium exists, except in CI, where that is a failure.
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startViewerServer, type ViewerServer } from '../../server/http.ts';
import { Hub } from '../../server/hub.ts';
import { PolicySource } from '../../server/policy-source.ts';
import { RecordingWriter } from '../../server/recording.ts';
import { VIEWER_DIST, ensureViewerBuilt } from '../../server/viewer-build.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const inCI = process.env.CI === 'true' || process.env.CI === '1';
const ARTIFACTS = join(import.meta.dirname, '..', '..', 'artifacts');

if (!haveChromium && !inCI) console.warn(`viewer browser test skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);

interface PageStats {
  framesReceived: number;
  lastSeq: number;
  lastEnvSteps: number;
  renders: number;
  connects: number;
  state: string;
  errors: string[];
}
const pageStats = (page: Page): Promise<PageStats> => page.evaluate(() => (window as unknown as { __rrl: { stats: PageStats } }).__rrl.stats);

async function waitForPage(page: Page, pred: (s: PageStats) => boolean, ms: number, what: string): Promise<PageStats> {
  const t0 = Date.now();
  for (;;) {
    const s = await pageStats(page);
    if (pred(s)) return s;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}; page stats ${JSON.stringify(s)}`);
    await page.waitForTimeout(100);
  }
}

/** Decodes a PNG in the page (a 2D canvas over an image, not the WebGL canvas) and measures it. */
async function pixelStats(page: Page, png: Buffer): Promise<{ colors: number; nonBackground: number; spread: number }> {
  return page.evaluate(async (b64) => {
    const img = await createImageBitmap(await (await fetch(`data:image/png;base64,${b64}`)).blob());
    const c = new OffscreenCanvas(img.width, img.height);
    const g = c.getContext('2d')!;
    g.drawImage(img, 0, 0);
    const d = g.getImageData(0, 0, img.width, img.height).data;
    const colors = new Set<number>();
    const bg = [d[0], d[1], d[2]];
    let nonBg = 0;
    let min = 255;
    let max = 0;
    for (let k = 0; k < d.length; k += 4) {
      colors.add((d[k] << 16) | (d[k + 1] << 8) | d[k + 2]);
      if (Math.abs(d[k] - bg[0]) + Math.abs(d[k + 1] - bg[1]) + Math.abs(d[k + 2] - bg[2]) > 30) nonBg++;
      const l = (d[k] + d[k + 1] + d[k + 2]) / 3;
      if (l < min) min = l;
      if (l > max) max = l;
    }
    return { colors: colors.size, nonBackground: nonBg / (d.length / 4), spread: max - min };
  }, png.toString('base64'));
}

describe.skipIf(!haveChromium && !inCI)('viewer in headless Chromium', () => {
  let browser: Browser;
  let server: ViewerServer;
  let hub: Hub;
  let source: PolicySource;
  let ac: AbortController;
  let running: Promise<void>;

  async function startStack(port: number): Promise<void> {
    source = new PolicySource({ tasks: ['reach', 'push', 'pick-place', 'peg-insert'], numEnvs: 4, policy: 'expert', speed: 2, seed: 5, curveEveryEnvSteps: 20 });
    hub = new Hub(source, { sendHz: 30 });
    ac = new AbortController();
    running = source.run(hub, ac.signal);
    server = await startViewerServer({ hub, port, distDir: VIEWER_DIST });
    hub.start();
  }
  async function stopStack(): Promise<void> {
    ac.abort();
    await running;
    hub.stop();
    await server.close();
  }

  beforeAll(async () => {
    if (!haveChromium) throw new Error(`CI=true but no Chromium at ${CHROMIUM}: install it (apt-get install -y chromium)`);
    await ensureViewerBuilt({ log: () => {} });
    await startStack(0);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await stopStack().catch(() => {});
  });

  it('draws the envs, streams advancing frames, obeys pause, reconnects after a server restart, and plays a recording file', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(server.url);

    // Frames arrive and advance.
    const s1 = await waitForPage(page, (s) => s.framesReceived >= 10 && s.renders >= 2, 30_000, '10 frames');
    const s2 = await waitForPage(page, (s) => s.lastSeq > s1.lastSeq + 5, 15_000, 'advancing frames');
    expect(s2.lastEnvSteps).toBeGreaterThan(s1.lastEnvSteps);
    expect(await page.locator('#hud .cell').count()).toBe(4);
    await expect.poll(() => page.locator('#hud .cell').first().textContent(), { timeout: 5000 }).toMatch(/reach.*step \d+.*return/s);
    await expect.poll(async () => (await page.locator('#legend .legend-item').allTextContents()).join(','), { timeout: 5000 }).toBe('reach,push,pick-place,peg-insert');

    // The canvas shows a scene, not a blank clear colour (judged from the screenshot's pixels).
    const canvasPng = await page.locator('#view').screenshot();
    const px = await pixelStats(page, canvasPng);
    expect(px.colors, JSON.stringify(px)).toBeGreaterThan(200);
    expect(px.nonBackground, JSON.stringify(px)).toBeGreaterThan(0.2);
    expect(px.spread, JSON.stringify(px)).toBeGreaterThan(60);

    // Learning-curve points reach the chart (the expert finishes episodes quickly).
    await expect.poll(() => page.evaluate(() => (window as unknown as { __rrl: { chartPoints(): number } }).__rrl.chartPoints()), { timeout: 30_000 }).toBeGreaterThan(0);

    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, 'viewer.png'), await page.screenshot());

    // Small cells (many envs, a small window) get a one-line HUD, so the robot stays in view.
    await page.setViewportSize({ width: 700, height: 420 });
    await expect.poll(() => page.locator('#hud .cell.compact').count(), { timeout: 5000 }).toBe(4);
    await expect.poll(() => page.locator('#hud .cell').first().textContent(), { timeout: 5000 }).toMatch(/^reach \d+ · \d+\/\d+/);
    await page.setViewportSize({ width: 1280, height: 760 });
    await expect.poll(() => page.locator('#hud .cell.compact').count(), { timeout: 5000 }).toBe(0);
    await expect.poll(() => page.locator('#hud .cell').first().textContent(), { timeout: 5000 }).toMatch(/reach.*step \d+.*return/s);

    // Pause from the UI: the rollouts stop, so frames stop advancing; resume brings them back.
    await page.click('#pause');
    await expect.poll(() => page.locator('#pause').textContent(), { timeout: 5000 }).toBe('Resume');
    await page.waitForTimeout(300); // a frame already on the wire may still land
    const paused = await pageStats(page);
    const stepsAtPause = source.steps;
    await page.waitForTimeout(1200);
    const later = await pageStats(page);
    expect(later.lastSeq).toBe(paused.lastSeq);
    expect(later.lastEnvSteps).toBe(paused.lastEnvSteps);
    expect(source.steps).toBe(stepsAtPause);
    await page.click('#pause');
    await waitForPage(page, (s) => s.lastSeq > paused.lastSeq, 10_000, 'frames after resume');

    // The server goes away and comes back on the same port: the page reconnects by itself.
    const port = server.port;
    const connectsBefore = (await pageStats(page)).connects;
    await stopStack();
    await waitForPage(page, (s) => s.state === 'closed', 10_000, 'disconnect noticed');
    await startStack(port);
    const back = await waitForPage(page, (s) => s.connects > connectsBefore && s.state === 'open', 20_000, 'reconnect');
    await waitForPage(page, (s) => s.framesReceived > back.framesReceived + 5, 20_000, 'frames after reconnect');

    // A recording opened in the page plays there (2 envs), ignoring the live stream (4 envs).
    const recPath = join(mkdtempSync(join(tmpdir(), 'rrl-view-')), 'two.rrlrec');
    const writer = new RecordingWriter(recPath);
    await new PolicySource({ tasks: ['push', 'pick-place'], numEnvs: 2, policy: 'expert', speed: 'max', maxSteps: 80 }).run(writer, new AbortController().signal);
    await writer.close();
    await page.setInputFiles('#open-file', recPath);
    type Playing = { frame: number; frames: number; paused: boolean } | null;
    const playing = (): Promise<Playing> => page.evaluate(() => (window as unknown as { __rrl: { playing: Playing } }).__rrl.playing);
    await expect.poll(async () => (await playing())?.frame ?? 0, { timeout: 10_000 }).toBeGreaterThan(5);
    expect((await playing())!.frames).toBe(81);
    await expect.poll(() => page.locator('#hud .cell').count(), { timeout: 5000 }).toBe(2);
    await expect.poll(() => page.locator('#hud .cell').first().textContent(), { timeout: 5000 }).toMatch(/push/);
    await page.click('#pause');
    await page.waitForTimeout(200);
    const at = (await playing())!.frame;
    await page.waitForTimeout(600);
    expect((await playing())!.frame).toBe(at);
    expect((await playing())!.paused).toBe(true);

    expect(pageErrors).toEqual([]);
    await page.close();
  }, 150_000);
});

// What `npm start` runs by default: the trainer as the source. The same page shows training
// envs acting with the learning policy; pausing in the page parks training itself.
describe.skipIf(!haveChromium && !inCI)('viewer of a training run in headless Chromium', () => {
  it('streams the training envs, plots training curves and pauses training', async () => {
    const { TrainingSource } = await import('../../server/training-source.ts');
    const { makeConfig } = await import('../../agents/config.ts');
    const { selectBackend } = await import('../../agents/tensor/index.ts');
    await selectBackend({ log: false });
    await ensureViewerBuilt({ log: () => {} });
    const out = join(mkdtempSync(join(tmpdir(), 'rrl-view-train-')), 'run');
    const cfg = makeConfig({ tasks: ['reach', 'push'], demoEpisodes: 0, envSteps: 20_000, numEnvs: 4, out, learningStartsPerTask: 100, evalEvery: 0, logEvery: 500, sac: { hidden: [32, 32] } });
    const source = new TrainingSource(cfg, { log: () => {} });
    const hub = new Hub(source, { sendHz: 30 });
    const ac = new AbortController();
    const running = source.run(hub, ac.signal);
    const server = await startViewerServer({ hub, port: 0, distDir: VIEWER_DIST });
    hub.start();
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
      const pageErrors: string[] = [];
      page.on('pageerror', (e) => pageErrors.push(e.message));
      await page.goto(server.url);
      const s1 = await waitForPage(page, (s) => s.framesReceived >= 10 && s.renders >= 2, 60_000, '10 frames');
      await waitForPage(page, (s) => s.lastEnvSteps > s1.lastEnvSteps + 40, 30_000, 'training env steps advancing');
      expect(await page.locator('#hud .cell').count()).toBe(4);
      const px = await pixelStats(page, await page.locator('#view').screenshot());
      expect(px.colors, JSON.stringify(px)).toBeGreaterThan(200);
      expect(px.nonBackground, JSON.stringify(px)).toBeGreaterThan(0.2);
      // training episodes end (reach: 50 steps) and reach the chart
      await expect.poll(() => page.evaluate(() => (window as unknown as { __rrl: { chartPoints(): number } }).__rrl.chartPoints()), { timeout: 60_000 }).toBeGreaterThan(0);
      mkdirSync(ARTIFACTS, { recursive: true });
      writeFileSync(join(ARTIFACTS, 'viewer-training.png'), await page.screenshot());

      await page.click('#pause');
      await expect.poll(() => page.locator('#pause').textContent(), { timeout: 5000 }).toBe('Resume');
      await page.waitForTimeout(1000); // an update burst or a frame on the wire may still land
      const paused = await pageStats(page);
      await page.waitForTimeout(1500);
      expect((await pageStats(page)).lastEnvSteps).toBe(paused.lastEnvSteps);
      await page.click('#pause');
      await waitForPage(page, (s) => s.lastEnvSteps > paused.lastEnvSteps, 30_000, 'training after resume');
      expect(pageErrors).toEqual([]);
    } finally {
      await browser.close();
      ac.abort();
      await running;
      hub.stop();
      await server.close();
    }
  }, 240_000);
});
