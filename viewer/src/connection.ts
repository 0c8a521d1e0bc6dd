// The viewer's WebSocket: JSON text for scene/status/metrics, ArrayBuffer binary for frames, and a
// reconnect loop with backoff so the page picks the stream up again when the server restarts.
import type { ControlMessage, ServerMessage } from '../../server/protocol.ts';

export type ConnState = 'connecting' | 'open' | 'closed';

export interface ConnectionHandlers {
  onMessage(m: ServerMessage): void;
  onFrame(buf: ArrayBuffer): void;
  onState(s: ConnState, detail: string): void;
}

export class Connection {
  private ws: WebSocket | null = null;
  private retryMs = 500;
  private timer: ReturnType<typeof setTimeout> | null = null;
  state: ConnState = 'connecting';
  connects = 0;

  constructor(
    private readonly url: string,
    private readonly h: ConnectionHandlers,
  ) {
    this.connect();
  }

  send(m: ControlMessage): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(m));
    return true;
  }

  private setState(s: ConnState, detail: string): void {
    this.state = s;
    this.h.onState(s, detail);
  }

  private connect(): void {
    this.timer = null;
    this.setState('connecting', 'connecting');
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.url);
    } catch (e) {
      this.retry(String(e));
      return;
    }
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onopen = () => {
      this.retryMs = 500;
      this.connects++;
      this.setState('open', 'live');
    };
    ws.onmessage = (ev: MessageEvent) => {
      if (typeof ev.data === 'string') {
        let m: ServerMessage;
        try {
          m = JSON.parse(ev.data) as ServerMessage;
        } catch {
          return;
        }
        this.h.onMessage(m);
      } else if (ev.data instanceof ArrayBuffer) {
        this.h.onFrame(ev.data);
      }
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.retry(ev.code === 1006 ? 'server unreachable' : `closed (${ev.code}${ev.reason ? `: ${ev.reason}` : ''})`);
    };
  }

  private retry(why: string): void {
    if (this.timer) return;
    this.setState('closed', `${why}; retrying in ${(this.retryMs / 1000).toFixed(1)} s`);
    this.timer = setTimeout(() => this.connect(), this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, 5000);
  }
}
