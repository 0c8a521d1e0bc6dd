// Who gets in, over real sockets: with --token every route (the viewer, its assets, /healthz, the
// benchmark reports, the WebSocket) answers only a request that presents the token (query,
// Bearer header, or the cookie a page opened with ?token= receives), everything else gets the
// static "token required" page; and whatever the token, a request whose Host header does not name
// the server's own address is refused, so a DNS-rebinding page (Host: evil, Origin: http://evil)
// can neither read the reports nor watch or steer the run.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect as netConnect } from 'node:net';
import { hostname, networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowedHosts, hostnameOf, startViewerServer, type ViewerServer } from '../../server/http.ts';
import { Hub } from '../../server/hub.ts';
import { PolicySource } from '../../server/policy-source.ts';
import { connect } from './helpers.ts';

const dist = mkdtempSync(join(tmpdir(), 'rrl-dist-'));
writeFileSync(join(dist, 'index.html'), '<!doctype html><title>viewer</title>');
writeFileSync(join(dist, 'bench.html'), '<!doctype html><title>reports</title>');
mkdirSync(join(dist, 'assets'));
writeFileSync(join(dist, 'assets', 'app.js'), 'console.log(1)');
const reports = mkdtempSync(join(tmpdir(), 'rrl-reports-'));
mkdirSync(join(reports, 'sweep-a'));
writeFileSync(join(reports, 'sweep-a', 'results.json'), JSON.stringify({ provenance: { git: { commit: 'abc' }, machine: { cpu: 'secret cpu' } } }));

const fakeHub = () => new Hub(new PolicySource({ tasks: ['reach'], numEnvs: 1, policy: 'random' }));

/** A GET with exactly these headers (Host included), over a plain socket. */
function get(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((res, rej) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers: { host: `127.0.0.1:${port}`, ...headers } }, (r) => {
      let body = '';
      r.on('data', (b) => (body += b));
      r.on('end', () => res({ status: r.statusCode!, body, headers: r.headers }));
    });
    req.on('error', rej);
    req.end();
  });
}

const ROUTES = ['/', '/index.html', '/assets/app.js', '/bench.html', '/healthz', '/reports/index.json', '/reports/sweep-a/results.json', '/nope.js'];

describe('the token guards every route', () => {
  let s: ViewerServer;
  beforeAll(async () => {
    s = await startViewerServer({ hub: fakeHub(), host: '127.0.0.1', port: 0, token: 's3cret', distDir: dist, reportsDir: reports });
  });
  afterAll(() => s.close());

  it('without the token (or with a wrong one) every route answers 401 with the static token page only', async () => {
    for (const path of ROUTES) {
      for (const headers of [{}, { authorization: 'Bearer wrong' }, { cookie: `rrl_token_${s.port}=wrong` }] as Record<string, string>[]) {
        const r = await get(s.port, path, headers);
        expect(r.status, `${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(r.body).toMatch(/needs a token/);
        expect(r.body).not.toMatch(/secret cpu|abc|console\.log|reports|clients/);
        expect(r.headers['set-cookie']).toBeUndefined();
      }
      expect((await get(s.port, `${path}${path.includes('?') ? '&' : '?'}token=wrong`)).status).toBe(401);
      expect((await get(s.port, path, {}, 'HEAD')).status).toBe(401);
    }
    await expect(connect(`ws://127.0.0.1:${s.port}/ws`)).rejects.toThrow(/401/);
    await expect(connect(`ws://127.0.0.1:${s.port}/ws?token=wrong`)).rejects.toThrow(/401/);
  });

  it('with the token in the query, a Bearer header or the cookie set by the page, every route answers', async () => {
    const page = await get(s.port, '/?token=s3cret');
    expect(page.status).toBe(200);
    const cookie = String(page.headers['set-cookie']).split(';')[0];
    expect(cookie).toBe(`rrl_token_${s.port}=s3cret`);
    expect(String(page.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict/);
    for (const path of ROUTES) {
      for (const headers of [{ cookie }, { authorization: 'Bearer s3cret' }] as Record<string, string>[]) {
        const r = await get(s.port, path, headers);
        expect(r.status, `${path} ${JSON.stringify(headers)}`).toBe(path === '/nope.js' ? 404 : 200);
      }
    }
    const index = JSON.parse((await get(s.port, '/reports/index.json', { cookie })).body) as { reports: { name: string }[] };
    expect(index.reports.map((r) => r.name)).toEqual(['sweep-a']);
    expect(JSON.parse((await get(s.port, '/healthz?token=s3cret')).body)).toMatchObject({ ok: true });
    // The page's WebSocket: by query (what the viewer sends) or by its cookie alone.
    for (const c of [await connect(`ws://127.0.0.1:${s.port}/ws?token=s3cret`), await connect(`ws://127.0.0.1:${s.port}/ws`, { headers: { cookie } })]) {
      await c.waitFor(() => c.ofType('hello')[0], 5000, 'hello');
      await c.close();
    }
  });
});

describe('Host check against DNS rebinding', () => {
  let s: ViewerServer;
  beforeAll(async () => {
    s = await startViewerServer({ hub: fakeHub(), port: 0, distDir: dist, reportsDir: reports }); // the default: loopback, no token
  });
  afterAll(() => s.close());

  it('refuses the rebinding request on every HTTP route', async () => {
    for (const path of ROUTES) {
      for (const host of ['evil.example', `evil.example:${s.port}`, `127.0.0.1.evil.example:${s.port}`, 'localhost.evil.example']) {
        const r = await get(s.port, path, { host, origin: `http://${host}` });
        expect(r.status, `${path} Host: ${host}`).toBe(403);
        expect(r.body).toMatch(/is not an address of this server \(DNS rebinding protection\)/);
        expect(r.body).not.toMatch(/secret cpu|console\.log|clients/);
      }
    }
  });

  it('refuses the rebinding WebSocket upgrade (Host: evil, Origin: http://evil), so the page can neither watch nor steer', async () => {
    const host = `evil.example:${s.port}`;
    await expect(connect(`ws://127.0.0.1:${s.port}/ws`, { headers: { host }, origin: `http://${host}` })).rejects.toThrow(/403/);
    await expect(connect(`ws://127.0.0.1:${s.port}/ws`, { headers: { host: 'evil.example' } })).rejects.toThrow(/403/);
  });

  it('accepts the names of the bound address, with or without the port', async () => {
    for (const host of ['127.0.0.1', `127.0.0.1:${s.port}`, 'localhost', `localhost:${s.port}`, `LOCALHOST:${s.port}`, '[::1]', `[::1]:${s.port}`]) {
      expect((await get(s.port, '/healthz', { host })).status, host).toBe(200);
    }
    const c = await connect(`ws://localhost:${s.port}/ws`, { origin: `http://localhost:${s.port}` });
    await c.waitFor(() => c.ofType('hello')[0], 5000, 'hello');
    await c.close();
  });

  it('refuses a request with no Host header at all', async () => {
    const reply = await new Promise<string>((res) => {
      const sock = netConnect(s.port, '127.0.0.1', () => sock.write('GET /healthz HTTP/1.0\r\n\r\n'));
      let text = '';
      sock.on('data', (b) => (text += b));
      sock.on('end', () => res(text));
    });
    expect(reply).toMatch(/^HTTP\/1\.1 403/);
  });

  it('names: the configured host, and for 0.0.0.0 this machine\'s addresses and host name', async () => {
    expect(hostnameOf('[::1]:8080')).toBe('[::1]');
    expect(hostnameOf('Example.COM:80')).toBe('example.com');
    expect(hostnameOf(undefined)).toBeNull();
    expect(hostnameOf('a/b')).toBeNull();
    expect(hostnameOf('user@host')).toBeNull();
    expect([...allowedHosts('127.0.0.1')].sort()).toEqual(['127.0.0.1', '[::1]', 'localhost']);
    expect(allowedHosts('10.1.2.3').has('10.1.2.3')).toBe(true);
    expect(allowedHosts('10.1.2.3').has(hostname().toLowerCase())).toBe(false);
    expect(allowedHosts('::1').has('[::1]')).toBe(true);
    const any = allowedHosts('0.0.0.0');
    expect(any.has(hostname().toLowerCase())).toBe(true);
    const own = Object.values(networkInterfaces()).flat().map((a) => a!.address).filter((a) => !a.includes(':'));
    for (const a of own) expect(any.has(a)).toBe(true);

    // Bound to every interface (with its required token): the machine's own name is accepted, others are not.
    const wide = await startViewerServer({ hub: fakeHub(), host: '0.0.0.0', port: 0, token: 't', distDir: dist, reportsDir: reports });
    try {
      expect((await get(wide.port, '/healthz?token=t', { host: `${hostname()}:${wide.port}` })).status).toBe(200);
      expect((await get(wide.port, '/healthz?token=t', { host: `evil.example:${wide.port}` })).status).toBe(403);
    } finally {
      await wide.close();
    }
  });
});
