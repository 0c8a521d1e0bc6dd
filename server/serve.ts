// One call that puts any rollout source on screen: builds the viewer if needed, starts the hub and
// the HTTP/WebSocket server, tees a recorder in if asked, and runs the source. `npm start` uses it;
// so can the trainer's CLI (`serveRollouts({ source: trainer, ... })`).
import { resolve } from 'node:path';
import { startViewerServer, type ViewerServer } from './http.ts';
import { Hub } from './hub.ts';
import { RecordingWriter, teeTap } from './recording.ts';
import type { RolloutSource, RolloutTap } from './source.ts';
import { VIEWER_DIST, ensureViewerBuilt } from './viewer-build.ts';

export interface ServeOptions {
  source: RolloutSource;
  /** false: run (and record) without serving the viewer. Default true. */
  serve?: boolean;
  host?: string;
  /** Default 8080; see `portExplicit`. */
  port?: number;
  /** A busy explicit port is an error; a busy default one moves on to the next free port. */
  portExplicit?: boolean;
  token?: string | null;
  /** Record everything the source produces to this file (.rrlrec). */
  record?: string | null;
  sendHz?: number;
  log?: (line: string) => void;
}

export interface Serving {
  hub: Hub;
  server: ViewerServer | null;
  /** Resolves when the source's run ends (finished, or stopped). */
  done: Promise<void>;
  /** Stops the source, closes the recording (flushed) and the server. Idempotent. */
  stop(): Promise<void>;
}

export async function serveRollouts(opts: ServeOptions): Promise<Serving> {
  const log = opts.log ?? ((s: string) => console.log(s));
  const recorder = opts.record ? new RecordingWriter(resolve(opts.record)) : null;
  const hub = new Hub(opts.source, { sendHz: opts.sendHz, recording: opts.record ?? null });
  const tap: RolloutTap = recorder ? teeTap(hub, recorder) : hub;
  let server: ViewerServer | null = null;
  if (opts.serve !== false) {
    await ensureViewerBuilt({ log });
    server = await startViewerServer({
      hub,
      host: opts.host ?? '127.0.0.1',
      port: opts.port ?? 8080,
      portExplicit: opts.portExplicit ?? opts.port !== undefined,
      token: opts.token ?? null,
      distDir: VIEWER_DIST,
      log,
    });
    hub.start();
    log(`viewer: ${server.url}`);
  }

  let recorderClosed: Promise<void> | null = null;
  const closeRecorder = (): Promise<void> => {
    if (!recorder) return Promise.resolve();
    recorderClosed ??= recorder.close().then(() => log(`recorded ${recorder.frames} frames to ${opts.record}`));
    return recorderClosed;
  };
  const ac = new AbortController();
  const done = opts.source.run(tap, ac.signal).then(async () => {
    if (!ac.signal.aborted) hub.markFinished();
    await closeRecorder();
  });
  let stopped: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      ac.abort();
      await done.catch(() => {});
      hub.stop();
      await closeRecorder();
      await server?.close();
    })();
    return stopped;
  };
  return { hub, server, done, stop };
}
