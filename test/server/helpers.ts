// Test helpers: a WebSocket client that keeps every message, and small waiting utilities.
import WebSocket from 'ws';
import { FRAME_MAGIC, readFrameHeader, type FrameHeader, type ServerMessage } from '../../server/protocol.ts';

export interface TestClient {
  ws: WebSocket;
  texts: ServerMessage[];
  frames: ArrayBuffer[];
  headers: FrameHeader[];
  send(m: unknown): void;
  sendRaw(data: string | Buffer, binary?: boolean): void;
  waitFor<T>(pred: () => T | undefined | null | false, ms?: number, what?: string): Promise<T>;
  ofType<K extends ServerMessage['type']>(type: K): Extract<ServerMessage, { type: K }>[];
  close(): Promise<void>;
}

export async function connect(url: string, opts: WebSocket.ClientOptions = {}): Promise<TestClient> {
  const ws = new WebSocket(url, { perMessageDeflate: false, ...opts });
  const texts: ServerMessage[] = [];
  const frames: ArrayBuffer[] = [];
  const headers: FrameHeader[] = [];
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) {
      const ab = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
      const h: FrameHeader = { sceneId: 0, seq: 0, envSteps: 0, envCount: 0, flags: 0 };
      const u32 = new Uint32Array(ab);
      if (u32[0] !== FRAME_MAGIC || !readFrameHeader(u32, h)) throw new Error('bad frame from server');
      frames.push(ab);
      headers.push(h);
    } else {
      texts.push(JSON.parse(data.toString('utf8')) as ServerMessage);
    }
  });
  await new Promise<void>((res, rej) => {
    ws.once('open', () => res());
    ws.once('error', rej);
    ws.once('unexpected-response', (_req, r) => rej(new Error(`HTTP ${r.statusCode}`)));
  });
  const c: TestClient = {
    ws,
    texts,
    frames,
    headers,
    send: (m) => ws.send(JSON.stringify(m)),
    sendRaw: (d, binary = false) => ws.send(d, { binary }),
    waitFor: (pred, ms = 10_000, what = 'condition') => waitFor(pred, ms, what),
    ofType: (type) => texts.filter((t) => t.type === type) as never,
    close: () =>
      new Promise<void>((res) => {
        if (ws.readyState === WebSocket.CLOSED) return res();
        ws.once('close', () => res());
        ws.close();
      }),
  };
  return c;
}

export async function waitFor<T>(pred: () => T | undefined | null | false, ms = 10_000, what = 'condition'): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = pred();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 15));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
