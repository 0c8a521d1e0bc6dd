// The hub with a scripted source and fake sockets: the tap only copies (sending happens on flush),
// a backed-up socket has frames dropped while others keep receiving, each client gets only the envs
// it watches, and every malformed control message gets an error reply and changes nothing.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { decodeFrame, sceneLayout } from '../../server/frame.ts';
import { Hub, type ClientSocket } from '../../server/hub.ts';
import { MAX_CLIENT_MESSAGE_BYTES, type Mode, type ServerMessage, type Speed, type WireEnvScene } from '../../server/protocol.ts';
import { makeHudBuffers, type RolloutSource, type SourceScene } from '../../server/source.ts';

class FakeSource implements RolloutSource {
  info = { kind: 'policy' as const, name: 'fake', modes: ['train' as Mode] };
  paused = false;
  mode: Mode = 'train';
  speed: Speed = 1;
  watched: ReadonlySet<number> | null = null;
  pause() {
    this.paused = true;
  }
  resume() {
    this.paused = false;
  }
  setMode(m: Mode) {
    this.mode = m;
  }
  setSpeed(s: Speed) {
    this.speed = s;
  }
  setWatched(w: ReadonlySet<number> | null) {
    this.watched = w;
  }
  async run() {}
}

class FakeSocket extends EventEmitter {
  readyState = 1;
  bufferedAmount = 0;
  sent: (string | ArrayBuffer)[] = [];
  terminated = false;
  send(data: string | ArrayBuffer) {
    this.sent.push(data);
  }
  close() {
    this.readyState = 3;
    this.emit('close');
  }
  terminate() {
    this.terminated = true;
    this.close();
  }
  texts(): ServerMessage[] {
    return this.sent.filter((d): d is string => typeof d === 'string').map((d) => JSON.parse(d) as ServerMessage);
  }
  frames(): ArrayBuffer[] {
    return this.sent.filter((d): d is ArrayBuffer => typeof d !== 'string');
  }
  /** Simulates a text message from the browser. */
  receive(text: string | Buffer, binary = false) {
    this.emit('message', Buffer.isBuffer(text) ? text : Buffer.from(text), binary);
  }
}

const env = (index: number, task: string): WireEnvScene => ({
  index,
  task,
  origin: [index * 2.5, 0, 0],
  bodies: [0, 1].map((k) => ({ name: `b${k}`, kind: 'dynamic' as const, parts: [{ geometry: { shape: 'sphere' as const, radius: 0.02 }, offset: [0, 0, 0] as [number, number, number], rotation: [0, 0, 0, 1] as [number, number, number, number], color: '#fff' }] })),
});
const scene: SourceScene = { mode: 'train', tasks: ['reach', 'push'], numEnvs: 4, controlDt: 0.04, envs: [env(0, 'reach'), env(1, 'push'), env(2, 'reach'), env(3, 'push')] };

function setup() {
  const source = new FakeSource();
  const hub = new Hub(source, { sendHz: 30, maxBufferedBytes: 1000 });
  hub.scene(scene);
  const hud = makeHudBuffers(4);
  const transforms = new Float32Array(4 * 2 * 7);
  const publish = (v: number) => {
    transforms.fill(v);
    hud.episodeStep.fill(v);
    hub.frame(transforms, hud, v * 4);
  };
  const add = () => {
    const s = new FakeSocket();
    hub.addClient(s as unknown as ClientSocket);
    return s;
  };
  return { source, hub, publish, add };
}

describe('hub', () => {
  it('greets a client with hello, scene, watching, metrics history and status', () => {
    const { hub, add } = setup();
    hub.metrics([{ series: 'train', task: 'reach', envSteps: 10, successRate: 0.5, meanReturn: -3, episodes: 2 }]);
    const s = add();
    const types = s.texts().map((m) => m.type);
    expect(types).toEqual(['hello', 'scene', 'watching', 'metrics', 'status']);
    const metrics = s.texts().find((m) => m.type === 'metrics');
    expect(metrics).toMatchObject({ reset: true, points: [{ task: 'reach', successRate: 0.5 }] });
  });

  it('sends nothing from the tap itself, and only the newest frame on flush', () => {
    const { hub, publish, add } = setup();
    const s = add();
    publish(1);
    publish(2);
    publish(3);
    expect(s.frames()).toHaveLength(0); // the stepping loop never touched the socket
    hub.flush();
    expect(s.frames()).toHaveLength(1);
    const d = decodeFrame(sceneLayout(scene), s.frames()[0]);
    expect(d.header.seq).toBe(3);
    expect(d.transforms[0]).toBe(3);
    hub.flush(); // nothing new: nothing sent
    expect(s.frames()).toHaveLength(1);
  });

  it('drops frames for a backed-up client only, and catches it up with the newest frame', () => {
    const { hub, publish, add } = setup();
    const slow = add();
    const fast = add();
    slow.bufferedAmount = 5000; // above maxBufferedBytes = 1000
    for (let k = 1; k <= 5; k++) {
      publish(k);
      hub.flush();
    }
    expect(fast.frames()).toHaveLength(5);
    expect(slow.frames()).toHaveLength(0);
    expect(hub.getStats().framesDropped).toBe(5);
    slow.bufferedAmount = 0;
    hub.flush();
    expect(slow.frames()).toHaveLength(1);
    expect(decodeFrame(sceneLayout(scene), slow.frames()[0]).header.seq).toBe(5);
  });

  it('disconnects a client that stopped reading altogether', () => {
    const { hub, publish, add } = setup();
    const dead = add();
    dead.bufferedAmount = 64 * 1024 * 1024;
    publish(1);
    hub.flush();
    expect(dead.terminated).toBe(true);
    expect(hub.getStats().clients).toBe(0);
  });

  it('sends each client only the envs it watches, by index or by task', () => {
    const { hub, publish, add, source } = setup();
    const a = add();
    const b = add();
    a.receive(JSON.stringify({ type: 'watch', envs: [3], id: 'w1' }));
    b.receive(JSON.stringify({ type: 'watch', tasks: ['reach'] }));
    expect(a.texts().filter((m) => m.type === 'watching').at(-1)).toEqual({ type: 'watching', envs: [3] });
    expect(a.texts().at(-1)).toEqual({ type: 'ack', id: 'w1', of: 'watch' });
    expect([...source.watched!].sort()).toEqual([0, 2, 3]);
    publish(7);
    hub.flush();
    const layout = sceneLayout(scene);
    expect(decodeFrame(layout, a.frames()[0]).envs).toEqual([3]);
    expect(decodeFrame(layout, b.frames()[0]).envs).toEqual([0, 2]);
    a.receive(JSON.stringify({ type: 'watch', all: true }));
    hub.flush(); // a new selection is sent even without a new frame
    expect(decodeFrame(layout, a.frames()[1]).envs).toEqual([0, 1, 2, 3]);
  });

  it('applies pause, resume and speed, acknowledging each and broadcasting status', () => {
    const { add, source } = setup();
    const s = add();
    const other = add();
    s.receive(JSON.stringify({ type: 'pause', id: 1 }));
    expect(source.paused).toBe(true);
    expect(s.texts()).toContainEqual({ type: 'ack', id: 1, of: 'pause' });
    expect(other.texts().filter((m) => m.type === 'status').at(-1)).toMatchObject({ paused: true });
    s.receive(JSON.stringify({ type: 'speed', speed: 4 }));
    expect(source.speed).toBe(4);
    s.receive(JSON.stringify({ type: 'resume' }));
    expect(source.paused).toBe(false);
  });

  it('answers every malformed, unknown or oversized message with an error and changes nothing', () => {
    const { add, source, hub } = setup();
    const s = add();
    const before = JSON.stringify({ paused: source.paused, mode: source.mode, speed: source.speed, watched: [...(source.watched ?? [])] });
    const bad: [string | Buffer, boolean, string][] = [
      ['{not json', false, 'bad-json'],
      ['[1,2]', false, 'bad-message'],
      ['"pause"', false, 'bad-message'],
      ['{"kind":"pause"}', false, 'bad-message'],
      ['{"type":"shutdown"}', false, 'unknown-type'],
      ['{"type":"pause","extra":1}', false, 'bad-message'],
      ['{"type":"speed","speed":-1}', false, 'bad-message'],
      ['{"type":"speed","speed":"warp"}', false, 'bad-message'],
      ['{"type":"mode","mode":"eval"}', false, 'unsupported'], // the fake source has no eval mode
      ['{"type":"watch","envs":[99]}', false, 'bad-value'],
      ['{"type":"watch","tasks":["fly"]}', false, 'bad-value'],
      ['{"type":"watch","envs":[]}', false, 'bad-value'],
      [JSON.stringify({ type: 'pause', id: 'x'.repeat(MAX_CLIENT_MESSAGE_BYTES) }), false, 'too-large'],
      [Buffer.from([1, 2, 3]), true, 'binary-not-accepted'],
    ];
    for (const [msg, binary, code] of bad) {
      const n = s.sent.length;
      s.receive(msg, binary);
      const replies = s.texts().slice(-(s.sent.length - n));
      expect(replies, String(msg).slice(0, 40)).toHaveLength(1);
      expect(replies[0], String(msg).slice(0, 40)).toMatchObject({ type: 'error', code });
    }
    expect(JSON.stringify({ paused: source.paused, mode: source.mode, speed: source.speed, watched: [...(source.watched ?? [])] })).toBe(before);
    expect(hub.getStats().errorsSent).toBe(bad.length);
    // and it still works
    s.receive('{"type":"pause","id":42}');
    expect(source.paused).toBe(true);
  });

  it('names the field of a bad control message in words, not as a schema path', () => {
    const { add } = setup();
    const s = add();
    const cases: [unknown, string][] = [
      [{ type: 'pause', extra: 1 }, '"pause" message: unknown field "extra"; its fields: "id"'],
      [{ type: 'speed', sped: 2 }, '"speed" message: unknown field "sped"; its fields: "id", "speed"'],
      [{ type: 'speed' }, '"speed" message: field "speed" is missing'],
      [{ type: 'speed', speed: 'warp' }, '"speed" message: field "speed" must be a number from 0.05 to 64, or "max"'],
      [{ type: 'mode', mode: 'fast' }, '"mode" message: field "mode" must be one of train, eval'],
      [{ type: 'watch', envs: [-1] }, '"watch" message: field "envs" (at 0) must be a list of env indices (integers from 0)'],
      [{ type: 'pause', id: 1.5 }, '"pause" message: field "id" must be a string of up to 64 characters or an integer'],
    ];
    for (const [m, message] of cases) {
      s.receive(JSON.stringify(m));
      expect(s.texts().at(-1), JSON.stringify(m)).toEqual({ type: 'error', id: null, code: 'bad-message', message });
    }
  });

  it('tells clients about a new scene and re-resolves their watch against it', () => {
    const { hub, add } = setup();
    const s = add();
    s.receive(JSON.stringify({ type: 'watch', envs: [3] }));
    hub.scene({ ...scene, mode: 'eval', numEnvs: 2, envs: [env(0, 'reach'), env(1, 'push')] });
    const scenes = s.texts().filter((m) => m.type === 'scene');
    expect(scenes.map((m) => (m as { sceneId: number }).sceneId)).toEqual([1, 2]);
    // env 3 no longer exists: the client falls back to all envs of the new scene
    expect(s.texts().filter((m) => m.type === 'watching').at(-1)).toEqual({ type: 'watching', envs: [0, 1] });
  });
});
