// Viewer stand-ins for bench:viewer, in their own process (as browsers would be). Commands on
// stdin, one per line:
//   open N S   open N WebSocket clients that decode every frame, S of which stop reading from
//              their socket after their first frame (so the server's buffer for them fills);
//              answers "ready" once every client has had a frame
//   close      close them all; answers one JSON line of per-client stats
// Exits when stdin ends.
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import { readFrameHeader, type FrameHeader } from './protocol.ts';

const h: FrameHeader = { sceneId: 0, seq: 0, envSteps: 0, envCount: 0, flags: 0 };
let clients: { ws: WebSocket; stalled: boolean; frames: number; bytes: number }[] = [];

function open(url: string, n: number, stalled: number): void {
  let ready = 0;
  clients = Array.from({ length: n }, (_, k) => {
    const c = { ws: new WebSocket(url, { perMessageDeflate: false }), stalled: k < stalled, frames: 0, bytes: 0 };
    c.ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) return;
      // A copy, as a browser gets its own ArrayBuffer (ws hands out unaligned slices).
      const u32 = new Uint32Array(new Uint8Array(data).buffer);
      if (!readFrameHeader(u32, h)) throw new Error('bad frame');
      c.frames++;
      c.bytes += data.byteLength;
      if (c.frames === 1) {
        if (c.stalled) (c.ws as unknown as { _socket: { pause(): void } })._socket.pause();
        if (++ready === n) console.log('ready');
      }
    });
    c.ws.on('error', (e) => console.error(`bench client ${k}: ${e.message}`));
    return c;
  });
}

const url = process.argv[2];
if (!url) throw new Error('usage: bench-clients.ts ws://host:port/ws');
const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const [cmd, a, b] = line.trim().split(/\s+/);
  if (cmd === 'open') open(url, Number(a), Number(b ?? 0));
  else if (cmd === 'close') {
    const stats = clients.map((c) => ({ stalled: c.stalled, frames: c.frames, bytes: c.bytes }));
    for (const c of clients) c.ws.terminate();
    clients = [];
    console.log(JSON.stringify(stats));
  }
});
rl.on('close', () => process.exit(0));
