// A private Redis for a test file: Debian's redis-server on a free loopback port, with a temporary
// folder and no persistence (the README's command for users, plus --port/--bind/--dir), stopped
// afterwards. Every queue test starts its own, so tests need no Redis running and never share one.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

export const REDIS_SERVER = process.env.REDIS_SERVER_PATH ?? '/usr/bin/redis-server';
export const haveRedis = existsSync(REDIS_SERVER);

export interface TestRedis {
  url: string;
  port: number;
  /** A client for the test's own checks. */
  client: Redis;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

export async function startRedis(dir: string): Promise<TestRedis> {
  for (let tries = 0; ; tries++) {
    const port = await freePort();
    const child: ChildProcess = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (b) => (out += b));
    child.stderr!.on('data', (b) => (out += b));
    const exited = new Promise<void>((res) => child.on('exit', () => res()));
    const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => {});
    const t0 = Date.now();
    let ok = false;
    while (Date.now() - t0 < 10_000 && child.exitCode === null) {
      try {
        if (client.status !== 'ready') await client.connect();
        await client.ping();
        ok = true;
        break;
      } catch {
        client.disconnect();
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    if (!ok) {
      child.kill('SIGKILL');
      await exited;
      // The port was taken between picking and binding it: another.
      if (tries < 3) continue;
      throw new Error(`redis-server did not start on port ${port}:\n${out}`);
    }
    return {
      url: `redis://127.0.0.1:${port}`,
      port,
      client,
      stop: async () => {
        client.disconnect();
        child.kill('SIGTERM');
        await exited;
      },
    };
  }
}
