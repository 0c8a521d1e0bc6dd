// The real thing over real sockets: a policy-driven source stepping the simulator, the hub, the
// HTTP server with /ws. Frames arrive and advance, pause stops them, eval mode switches the scene,
// bad input gets errors while the server stays up, the token and the port rules hold, and the
// static viewer is served safely.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFrame, sceneLayout } from '../../server/frame.ts';
import { PortBusyError, startViewerServer, type ViewerServer } from '../../server/http.ts';
import { Hub } from '../../server/hub.ts';
import { PolicySource } from '../../server/policy-source.ts';
import { FRAME_FLAG_EVAL, type SceneMessage } from '../../server/protocol.ts';
import { makeHudBuffers } from '../../server/source.ts';
import { connect, sleep, waitFor } from './helpers.ts';

const dist = mkdtempSync(join(tmpdir(), 'rrl-dist-'));
writeFileSync(join(dist, 'index.html'), '<!doctype html><title>viewer</title>');
mkdirSync(join(dist, 'assets'));
writeFileSync(join(dist, 'assets', 'app.js'), 'console.log(1)');
writeFileSync(join(tmpdir(), 'rrl-secret.txt'), 'secret');

describe('viewer server with a policy-driven source', () => {
  let server: ViewerServer;
  let hub: Hub;
  let source: PolicySource;
  const ac = new AbortController();
  let running: Promise<void>;

  beforeAll(async () => {
    source = new PolicySource({ tasks: ['reach', 'push'], numEnvs: 2, policy: 'expert', speed: 4, seed: 3, curveEveryEnvSteps: 10 });
    hub = new Hub(source, { sendHz: 40 });
    running = source.run(hub, ac.signal);
    server = await startViewerServer({ hub, port: 0, distDir: dist });
    hub.start();
  });
  afterAll(async () => {
    ac.abort();
    await running;
    hub.stop();
    await server.close();
  });

  const wsUrl = () => `ws://127.0.0.1:${server.port}/ws`;

  it('sends hello and the scene, then frames that advance and match the scene', async () => {
    const c = await connect(wsUrl());
    const scene = await c.waitFor(() => c.ofType('scene')[0], 20_000, 'scene');
    expect(c.ofType('hello')[0]).toMatchObject({ protocol: 1, source: { kind: 'policy', name: 'expert policy', modes: ['train', 'eval'] } });
    expect(scene.envs.map((e) => e.task)).toEqual(['reach', 'push']);
    const names = scene.envs[1].bodies.map((b) => b.name);
    for (const n of ['table', 'upper-arm', 'palm', 'finger-a', 'finger-b', 'object', 'goal']) expect(names).toContain(n);
    expect(scene.envs[0].bodies.find((b) => b.name === 'goal')!.kind).toBe('marker');
    await c.waitFor(() => c.headers.length >= 5, 10_000, '5 frames');
    const seqs = c.headers.map((h) => h.seq);
    for (let k = 1; k < seqs.length; k++) expect(seqs[k]).toBeGreaterThan(seqs[k - 1]);
    const layout = sceneLayout(scene);
    const first = decodeFrame(layout, c.frames[0]);
    const last = decodeFrame(layout, c.frames.at(-1)!);
    expect(last.envs).toEqual([0, 1]);
    expect(last.header.envSteps).toBeGreaterThan(first.header.envSteps);
    // the palm (a moving body) has moved between the first and the last frame
    const palm = scene.envs[0].bodies.findIndex((b) => b.name === 'palm');
    const p0 = Array.from(first.transforms.subarray(palm * 7, palm * 7 + 3));
    const p1 = Array.from(last.transforms.subarray(palm * 7, palm * 7 + 3));
    expect(Math.hypot(p1[0] - p0[0], p1[1] - p0[1], p1[2] - p0[2])).toBeGreaterThan(1e-3);
    for (const v of last.transforms) expect(Number.isFinite(v)).toBe(true);
    await c.close();
  });

  it('pauses and resumes the rollouts for everyone', async () => {
    const a = await connect(wsUrl());
    const b = await connect(wsUrl());
    await waitFor(() => a.headers.length > 2 && b.headers.length > 2, 10_000, 'frames');
    a.send({ type: 'pause', id: 'p' });
    await a.waitFor(() => a.ofType('ack').find((m) => m.id === 'p'), 5000, 'ack');
    await b.waitFor(() => b.ofType('status').some((s) => s.paused), 5000, 'paused status');
    await sleep(150); // a step in flight may still land
    const stepsAtPause = source.steps;
    const seqAtPause = a.headers.at(-1)!.seq;
    await sleep(600);
    expect(source.steps).toBe(stepsAtPause);
    expect(a.headers.at(-1)!.seq).toBe(seqAtPause);
    b.send({ type: 'resume' });
    await a.waitFor(() => a.headers.at(-1)!.seq > seqAtPause, 5000, 'frames after resume');
    expect(source.steps).toBeGreaterThan(stepsAtPause);
    await a.close();
    await b.close();
  });

  it('switches to evaluation rollouts (new scene, eval frames, eval curve points) and back', async () => {
    const c = await connect(wsUrl());
    const first = await c.waitFor(() => c.ofType('scene')[0], 5000, 'scene');
    c.send({ type: 'speed', speed: 'max' });
    c.send({ type: 'mode', mode: 'eval' });
    const evalScene = await c.waitFor(() => c.ofType('scene').find((s) => s.mode === 'eval'), 10_000, 'eval scene');
    expect(evalScene.sceneId).toBeGreaterThan(first.sceneId);
    await c.waitFor(() => c.headers.some((h) => h.sceneId === evalScene.sceneId && (h.flags & FRAME_FLAG_EVAL) !== 0), 10_000, 'eval frames');
    // each eval env finishes an episode (expert: < 100 steps), giving one eval point per task
    const evalPoints = await c.waitFor(() => {
      const pts = c.ofType('metrics').flatMap((m) => m.points).filter((p) => p.series === 'eval');
      return pts.length >= 2 ? pts : null;
    }, 30_000, 'eval points');
    expect(new Set(evalPoints.map((p) => p.task))).toEqual(new Set(['reach', 'push']));
    c.send({ type: 'mode', mode: 'train' });
    c.send({ type: 'speed', speed: 4 });
    await c.waitFor(() => c.ofType('scene').filter((s: SceneMessage) => s.mode === 'train').length >= 2, 10_000, 'train scene again');
    await c.close();
  });

  it('reports learning-curve points for the training rollouts', async () => {
    const c = await connect(wsUrl());
    await c.waitFor(() => c.ofType('metrics').flatMap((m) => m.points).some((p) => p.series === 'train' && p.task === 'reach'), 30_000, 'train points');
    const p = c.ofType('metrics').flatMap((m) => m.points).find((q) => q.series === 'train')!;
    expect(p.successRate).toBeGreaterThan(0.5); // the expert solves reach
    await c.close();
  });

  it('stays up after garbage and still obeys the next valid message', async () => {
    const c = await connect(wsUrl());
    c.sendRaw('definitely not json');
    c.sendRaw('{"type":"format-disk"}');
    c.sendRaw(Buffer.alloc(10), true);
    c.sendRaw(JSON.stringify({ type: 'watch', envs: [0], pad: 'x'.repeat(10_000) }));
    await c.waitFor(() => c.ofType('error').length >= 4, 5000, '4 errors');
    expect(c.ofType('error').map((e) => e.code)).toEqual(['bad-json', 'unknown-type', 'binary-not-accepted', 'too-large']);
    c.send({ type: 'watch', envs: [1], id: 9 });
    await c.waitFor(() => c.ofType('ack').find((a) => a.id === 9), 5000, 'ack');
    const n = c.headers.length;
    await c.waitFor(() => c.headers.length > n + 2, 5000, 'frames');
    expect(decodeFrame(sceneLayout(c.ofType('scene').at(-1)!), c.frames.at(-1)!).envs).toEqual([1]);
    await c.close();
  });

  it('serves the viewer files, 404s unknown ones and refuses path traversal and foreign origins', async () => {
    const base = `http://127.0.0.1:${server.port}`;
    const index = await fetch(`${base}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/text\/html/);
    expect(await (await fetch(`${base}/assets/app.js`)).text()).toBe('console.log(1)');
    expect((await fetch(`${base}/nope.js`)).status).toBe(404);
    expect((await fetch(`${base}/..%2f..%2f..%2frrl-secret.txt`)).status).toBe(403);
    expect((await fetch(`${base}/`, { method: 'POST' })).status).toBe(405);
    await expect(connect(`ws://127.0.0.1:${server.port}/other`)).rejects.toThrow(/404/);
    await expect(connect(wsUrl(), { origin: 'http://evil.example' })).rejects.toThrow(/403/);
  });
});

describe('binding rules', () => {
  const fakeHub = () => new Hub(new PolicySource({ tasks: ['reach'], numEnvs: 1, policy: 'random' }));

  it('refuses a non-loopback address without a token', async () => {
    await expect(startViewerServer({ hub: fakeHub(), host: '0.0.0.0', port: 0, distDir: dist })).rejects.toThrow(/requires a token/);
  });

  it('requires the token from clients when one is set', async () => {
    const s = await startViewerServer({ hub: fakeHub(), host: '127.0.0.1', port: 0, token: 's3cret', distDir: dist });
    try {
      expect(s.url).toContain('?token=s3cret');
      await expect(connect(`ws://127.0.0.1:${s.port}/ws`)).rejects.toThrow(/401/);
      await expect(connect(`ws://127.0.0.1:${s.port}/ws?token=wrong!`)).rejects.toThrow(/401/);
      const c = await connect(`ws://127.0.0.1:${s.port}/ws?token=s3cret`);
      await c.waitFor(() => c.ofType('hello')[0], 5000, 'hello');
      await c.close();
    } finally {
      await s.close();
    }
  });

  it('errors on an explicitly requested busy port, and moves on from a busy default port', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const busy = (blocker.address() as { port: number }).port;
    try {
      await expect(startViewerServer({ hub: fakeHub(), port: busy, portExplicit: true, distDir: dist })).rejects.toThrow(PortBusyError);
      const lines: string[] = [];
      const s = await startViewerServer({ hub: fakeHub(), port: busy, portExplicit: false, distDir: dist, log: (l) => lines.push(l) });
      expect(s.port).toBeGreaterThan(busy);
      expect(lines.join('\n')).toMatch(new RegExp(`port ${busy} is busy`));
      await s.close();
    } finally {
      blocker.close();
    }
  });
});

describe('backpressure over a real socket', () => {
  it('drops frames for a viewer that stopped reading while another keeps getting them, and the publisher never waits', async () => {
    // A scene with large frames (about 500 kB), so a stalled reader fills the kernel's buffers fast.
    const bodies = 18_000;
    const scene = {
      mode: 'train' as const,
      tasks: ['t'],
      numEnvs: 1,
      controlDt: 0.04,
      envs: [{ index: 0, task: 't', origin: [0, 0, 0] as [number, number, number], bodies: Array.from({ length: bodies }, (_, k) => ({ name: `b${k}`, kind: 'dynamic' as const, parts: [] })) }],
    };
    const src = new PolicySource({ tasks: ['reach'], numEnvs: 1, policy: 'random' }); // only for info/control
    const hub = new Hub(src, { sendHz: 30, maxBufferedBytes: 1 << 20 });
    hub.scene(scene);
    const s = await startViewerServer({ hub, port: 0, distDir: dist });
    hub.start();
    const hud = makeHudBuffers(1);
    const transforms = new Float32Array(bodies * 7);
    let published = 0;
    let slowestPublishMs = 0;
    const timer = setInterval(() => {
      const t0 = performance.now();
      transforms[0] = published;
      hub.frame(transforms, hud, published++);
      slowestPublishMs = Math.max(slowestPublishMs, performance.now() - t0);
    }, 5);
    try {
      const live = await connect(`ws://127.0.0.1:${s.port}/ws`);
      const stalled = await connect(`ws://127.0.0.1:${s.port}/ws`);
      await waitFor(() => stalled.headers.length > 0, 5000, 'first frame');
      (stalled.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      await waitFor(() => hub.getStats().framesDropped > 5, 20_000, 'dropped frames for the stalled viewer');
      const liveBefore = live.headers.length;
      await sleep(500);
      expect(live.headers.length).toBeGreaterThan(liveBefore + 5); // ~30 frames/s keep flowing to the live one
      const per = hub.clientStats();
      expect(Math.max(...per.map((c) => c.dropped))).toBeGreaterThan(5);
      expect(Math.min(...per.map((c) => c.dropped))).toBe(0);
      expect(slowestPublishMs).toBeLessThan(20); // the tap only copies (~500 kB here)
      await live.close();
      stalled.ws.terminate();
    } finally {
      clearInterval(timer);
      hub.stop();
      await s.close();
    }
  }, 60_000);
});
