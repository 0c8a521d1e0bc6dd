// One HTTP server: serves the built viewer (viewer/dist) and upgrades /ws to a WebSocket for the
// hub. Binds loopback by default; any other address needs a token. Every request, HTTP or
// WebSocket, passes the same gate (`admit`):
//   1. its Host header must name the address the server is bound to (127.0.0.1, localhost, [::1],
//      the --host value, and for 0.0.0.0 / :: this machine's own addresses and host name), with or
//      without a port. A page on an attacker's domain that resolves to 127.0.0.1 (DNS rebinding)
//      sends its own name as Host, so it is refused even though it reaches the socket;
//   2. with a token, the request must present it: `?token=` in the URL, an
//      `Authorization: Bearer` header, or the cookie the server sets when a page was opened with
//      `?token=` (so the page's scripts, assets, reports and WebSocket carry it without help).
//      Without it every route answers 401 with a static "token required" page, nothing else;
//   3. a WebSocket upgrade with an Origin must come from the page's own origin.
import { timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';
import type { Hub } from './hub.ts';

export interface ViewerServerOptions {
  hub: Hub;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** If the port was not given explicitly, a busy one moves on to the next free one (up to 20). */
  portExplicit?: boolean;
  token?: string | null;
  /** Directory of the built viewer. */
  distDir: string;
  /**
   * Benchmark reports (folders holding results.json, from `npm run bench`), served read-only under
   * /reports/ for the viewer's report page (bench.html). Default: $RRL_BENCH_REPORTS, else the
   * repository's docs/benchmarks.
   */
  reportsDir?: string;
  log?: (line: string) => void;
}

export interface ViewerServer {
  server: Server;
  host: string;
  port: number;
  url: string;
  close(): Promise<void>;
}

/** Hard cap of one incoming WebSocket message; the hub replies "too-large" above its own, lower limit. */
const SOCKET_MAX_PAYLOAD = 1024 * 1024;

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
  '.md': 'text/markdown; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.jsonl': 'application/json',
  '.wasm': 'application/wasm',
};

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export class PortBusyError extends Error {
  override name = 'PortBusyError';
}

export async function startViewerServer(opts: ViewerServerOptions): Promise<ViewerServer> {
  const host = opts.host ?? '127.0.0.1';
  const token = opts.token ?? null;
  if (!isLoopback(host) && !token) {
    throw new Error(`binding ${host} (not loopback) requires a token: pass --token <secret>, and open the viewer with ?token=<secret>`);
  }
  const log = opts.log ?? (() => {});
  const dist = resolve(opts.distDir);
  const reports = resolve(opts.reportsDir ?? process.env.RRL_BENCH_REPORTS ?? DEFAULT_REPORTS);
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: SOCKET_MAX_PAYLOAD });
  wss.on('connection', (ws) => opts.hub.addClient(ws));
  const hosts = allowedHosts(host);
  // Cookies are shared by every port of a host: one name per port keeps two servers' tokens apart.
  const cookieName = () => `rrl_token_${(server.address() as AddressInfo | null)?.port ?? 0}`;

  /** The gate every request passes (see the top of this file); the refusal, or null to go on. */
  const admit = (req: IncomingMessage, url: URL): { status: number; reason: string; body: string; headers?: Record<string, string> } | null => {
    const name = hostnameOf(req.headers.host);
    if (name === null || !hosts.has(name)) {
      return { status: 403, reason: 'Forbidden', body: `Host "${String(req.headers.host ?? '').slice(0, 100)}" is not an address of this server (DNS rebinding protection): open it by the address it printed\n` };
    }
    if (token && !presentsToken(req, url, token, cookieName())) {
      return { status: 401, reason: 'Unauthorized', body: TOKEN_PAGE, headers: { 'content-type': 'text/html; charset=utf-8', 'www-authenticate': 'Bearer' } };
    }
    return null;
  };

  const server = createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://x');
    const refused = admit(req, url);
    if (refused) {
      res.writeHead(refused.status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...refused.headers }).end(req.method === 'HEAD' ? undefined : refused.body);
      return;
    }
    // A page opened with ?token= keeps it in a cookie for its scripts, reports and WebSocket.
    if (token && url.searchParams.has('token')) setTokenCookie(res, cookieName(), token);
    if (url.pathname === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, ...opts.hub.getStats() }));
      return;
    }
    let rel: string;
    try {
      rel = decodeURIComponent(url.pathname);
    } catch {
      res.writeHead(400).end('bad path');
      return;
    }
    if (rel.includes('\0')) {
      res.writeHead(400).end('bad path');
      return;
    }
    let base = dist;
    if (rel === '/reports' || rel.startsWith('/reports/')) {
      if (rel === '/reports/index.json') {
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache' }).end(JSON.stringify(listReports(reports)));
        return;
      }
      base = reports;
      rel = rel.slice('/reports'.length);
    }
    let file = normalize(join(base, rel));
    if (file !== base && !file.startsWith(base + sep)) {
      res.writeHead(403).end('forbidden');
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(base !== dist || existsSync(join(dist, 'index.html')) ? 'not found' : 'the viewer is not built (npm run build:viewer)');
      return;
    }
    const hashed = rel.startsWith('/assets/');
    res.writeHead(200, {
      'content-type': MIME[extname(file)] ?? 'application/octet-stream',
      'cache-control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refuse = (status: string): void => {
      socket.write(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      socket.destroy();
    };
    const url = new URL(req.url ?? '/', 'http://x');
    const refused = admit(req, url);
    if (refused) return refuse(`${refused.status} ${refused.reason}`);
    if (url.pathname !== '/ws') return refuse('404 Not Found');
    const origin = req.headers.origin;
    if (origin && safeHost(origin) !== req.headers.host) return refuse('403 Forbidden');
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  const explicit = opts.portExplicit ?? true;
  const want = opts.port ?? 8080;
  let port = want;
  for (let attempt = 0; ; attempt++) {
    try {
      await listen(server, port, host);
      break;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EADDRINUSE') throw e;
      if (explicit || port === 0) throw new PortBusyError(`port ${port} on ${host} is already in use; pick another with --port`);
      if (attempt >= 20) throw new PortBusyError(`ports ${want}-${port} on ${host} are all in use; pick one with --port`);
      log(`port ${port} is busy, trying ${port + 1}`);
      port++;
    }
  }
  const addr = server.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${shownHost}:${addr.port}/${token ? `?token=${encodeURIComponent(token)}` : ''}`;
  return {
    server,
    host,
    port: addr.port,
    url,
    close: () =>
      new Promise<void>((res) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        server.close(() => res());
        server.closeAllConnections();
      }),
  };
}

const DEFAULT_REPORTS = fileURLToPath(new URL('../docs/benchmarks', import.meta.url));

/** A report folder as the report page lists it: what it measured, and when. */
export interface ReportEntry {
  /** Path relative to the reports directory ('.' for the directory itself). */
  name: string;
  /** When its newest result came in (older reports: when they were written); null if unknown. */
  date: string | null;
  budgetPerTask: number | null;
  tasks: string[];
  conditions: string[];
  seeds: number;
  runsDone: number | null;
  runsTotal: number | null;
  /** Set when its results.json cannot be read; the page shows it instead of the report. */
  error?: string;
}

function reportEntry(name: string, file: string): ReportEntry {
  const entry: ReportEntry = { name, date: null, budgetPerTask: null, tasks: [], conditions: [], seeds: 0, runsDone: null, runsTotal: null };
  try {
    const r = JSON.parse(readFileSync(file, 'utf8'));
    const s = r.spec ?? {};
    const str = (x: unknown) => (typeof x === 'string' ? x : null);
    const num = (x: unknown) => (typeof x === 'number' ? x : null);
    entry.date = str(r.dataAsOf) ?? str(r.generatedAt);
    entry.budgetPerTask = num(s.budgetPerTask);
    entry.tasks = Array.isArray(s.taskNames) ? s.taskNames.filter((t: unknown) => typeof t === 'string') : [];
    entry.conditions = Array.isArray(s.conditions) ? s.conditions.map((c: { id?: unknown }) => str(c?.id)).filter(Boolean) : [];
    entry.seeds = Array.isArray(s.seeds) ? s.seeds.length : 0;
    entry.runsDone = num(r.runsDone);
    entry.runsTotal = num(r.runsTotal);
  } catch (e) {
    entry.error = `${name}/results.json: ${(e as Error).message}`;
  }
  return entry;
}

/** Report folders under `dir` that hold a results.json (two levels deep at most), newest first. */
export function listReports(dir: string): { reports: ReportEntry[] } {
  const found: ReportEntry[] = [];
  const walk = (rel: string, depth: number) => {
    const abs = join(dir, rel);
    if (existsSync(join(abs, 'results.json'))) found.push(reportEntry(rel || '.', join(abs, 'results.json')));
    if (depth >= 2) return;
    let entries: string[] = [];
    try {
      entries = readdirSync(abs, { withFileTypes: true }).filter((e) => e.isDirectory() && e.name !== 'raw').map((e) => e.name);
    } catch {
      return;
    }
    for (const e of entries.sort()) walk(rel ? `${rel}/${e}` : e, depth + 1);
  };
  walk('', 0);
  // Newest first (ISO dates sort as strings); undated ones last, by name.
  found.sort((a, b) => (b.date ?? '').localeCompare(a.date ?? '') || a.name.localeCompare(b.name));
  return { reports: found };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((res, rej) => {
    const onError = (e: Error): void => {
      server.off('listening', onListening);
      rej(e);
    };
    const onListening = (): void => {
      server.off('error', onError);
      res();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

function safeHost(origin: string): string | null {
  try {
    return new URL(origin).host;
  } catch {
    return null;
  }
}

const TOKEN_PAGE = `<!doctype html>
<meta charset="utf-8"><title>Token required</title>
<p>This viewer server needs a token. Open the address <code>npm start</code> printed, which ends in
<code>?token=...</code>, or add <code>?token=YOUR_TOKEN</code> to this page's address.</p>
`;

/** The names a Host header may carry for a server bound to `bound` (lower case; IPv6 in brackets). */
export function allowedHosts(bound: string): Set<string> {
  const bracket = (a: string) => (a.includes(':') && !a.startsWith('[') ? `[${a}]` : a).toLowerCase();
  const names = new Set(['localhost', '127.0.0.1', '[::1]', bracket(bound)]);
  if (bound === '0.0.0.0' || bound === '::' || bound === '[::]') {
    // Bound to every interface: the machine is reached by its own addresses or name.
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) names.add(bracket(a.address));
    names.add(hostname().toLowerCase());
  }
  return names;
}

/** The host name of a Host header ("[::1]:8080" -> "[::1]"), or null when it is missing or not one. */
export function hostnameOf(header: string | undefined): string | null {
  if (!header || /[\s/?#@\\]/.test(header)) return null;
  try {
    return new URL(`http://${header}`).hostname.toLowerCase();
  } catch {
    return null;
  }
}

function presentsToken(req: IncomingMessage, url: URL, token: string, cookieName: string): boolean {
  const query = url.searchParams.get('token');
  if (query !== null) return sameSecret(query, token);
  const auth = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
  if (auth) return sameSecret(auth[1].trim(), token);
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === cookieName) {
      try {
        return sameSecret(decodeURIComponent(part.slice(eq + 1).trim()), token);
      } catch {
        return false;
      }
    }
  }
  return false;
}

function setTokenCookie(res: ServerResponse, name: string, token: string): void {
  res.setHeader('set-cookie', `${name}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict`);
}

function sameSecret(given: string, want: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(want);
  return a.length === b.length && timingSafeEqual(a, b);
}
