// The viewer page: connects to the server, draws the watched envs (world.ts), their HUDs, the
// learning curves (chart.ts) and the controls. Imports nothing from sim/ or agents/: only the wire
// protocol in server/protocol.ts.
import './style.css';
import {
  ENV_FLAG_DONE,
  ENV_FLAG_DONE_SUCCESS,
  ENV_FLAG_SUCCESS,
  ENV_WORDS,
  FLOATS_PER_BODY,
  HEADER_WORDS,
  readFrameHeader,
  sceneMessageSchema,
  type ControlMessage,
  type FrameHeader,
  type SceneMessage,
  type ServerMessage,
  type StatusMessage,
} from '../../server/protocol.ts';
import { Chart } from './chart.ts';
import { Connection, type ConnState } from './connection.ts';
import { LocalPlayer, readRecordingFile } from './player.ts';
import { World, type Cell } from './world.ts';

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from index.html`);
  return el as T;
};

const canvas = $<HTMLCanvasElement>('view');
const stage = $<HTMLElement>('stage');
const hudRoot = $<HTMLElement>('hud');
const toast = $<HTMLElement>('toast');
const pauseBtn = $<HTMLButtonElement>('pause');
const modeSel = $<HTMLSelectElement>('mode');
const speedSel = $<HTMLSelectElement>('speed');
const watchSel = $<HTMLSelectElement>('watch');
const layoutSel = $<HTMLSelectElement>('layout');
const prevBtn = $<HTMLButtonElement>('prev');
const nextBtn = $<HTMLButtonElement>('next');
const openBtn = $<HTMLButtonElement>('open');
const openFile = $<HTMLInputElement>('open-file');
const liveBtn = $<HTMLButtonElement>('live');

const world = new World(canvas);
const chart = new Chart($<HTMLCanvasElement>('chart'), $('legend'));

// ----- State fed by the connection.

let scene: SceneMessage | null = null;
let status: StatusMessage | null = null;
let watching: number[] = [];
let bodiesPerEnv = new Int32Array(0);
let floatOffset = new Int32Array(0);
// Per-env HUD numbers (struct of arrays, sized per scene).
let hudStep = new Uint32Array(0);
let hudReturn = new Float32Array(0);
let hudFlags = new Uint8Array(0);
let hudEpisodes = new Uint32Array(0);
let hudSuccesses = new Uint32Array(0);
/** Result of each env's last finished episode: -1 none yet, 0 failure, 1 success; and when (ms). */
let lastResult = new Int8Array(0);
let lastResultAt = new Float64Array(0);
let hudDirty = true;

/** Counters for tests and curious users (window.__rrl). */
const stats = { framesReceived: 0, framesDroppedStale: 0, lastSeq: -1, lastEnvSteps: 0, sceneId: -1, errors: [] as string[], renders: 0, connects: 0, state: 'connecting' as ConnState };
(window as unknown as { __rrl: unknown }).__rrl = {
  stats,
  get status() {
    return status;
  },
  get watching() {
    return watching;
  },
  get scene() {
    return scene;
  },
  chartPoints: () => chart.pointCount(),
  get playing() {
    return player ? { frame: player.position, frames: player.frames, paused: player.paused } : null;
  },
};

// ----- Layout and watch preferences (kept across reconnects).

type Layout = 'grid' | 'single';
let layout: Layout = 'grid';
let filter = 'all'; // 'all' | 'task:<name>'
let focus = 0;

const header: FrameHeader = { sceneId: 0, seq: 0, envSteps: 0, envCount: 0, flags: 0 };

function onFrame(buf: ArrayBuffer): void {
  if (!scene || buf.byteLength % 4 !== 0) return;
  // Two views per message: on the message path, not the render path.
  const u32 = new Uint32Array(buf);
  const f32 = new Float32Array(buf);
  if (!readFrameHeader(u32, header)) return;
  if (header.sceneId !== scene.sceneId) {
    stats.framesDroppedStale++;
    return;
  }
  const T = world.transforms;
  let w = HEADER_WORDS;
  for (let k = 0; k < header.envCount; k++) {
    const i = u32[w];
    if (i >= bodiesPerEnv.length) return;
    hudStep[i] = u32[w + 1];
    const flags = u32[w + 2];
    hudFlags[i] = flags;
    hudReturn[i] = f32[w + 3];
    hudEpisodes[i] = u32[w + 4];
    hudSuccesses[i] = u32[w + 5];
    if (flags & ENV_FLAG_DONE) {
      lastResult[i] = flags & ENV_FLAG_DONE_SUCCESS ? 1 : 0;
      lastResultAt[i] = performance.now();
    }
    w += ENV_WORDS;
    const n = bodiesPerEnv[i] * FLOATS_PER_BODY;
    const o = floatOffset[i];
    for (let j = 0; j < n; j++) T[o + j] = f32[w + j];
    w += n;
  }
  stats.framesReceived++;
  stats.lastSeq = header.seq;
  stats.lastEnvSteps = header.envSteps;
  world.invalidate();
  hudDirty = true;
}

function onMessage(m: ServerMessage): void {
  switch (m.type) {
    case 'hello':
      $('source').textContent = m.source.name;
      for (const opt of Array.from(modeSel.options)) opt.disabled = !m.source.modes.includes(opt.value as 'train' | 'eval');
      break;
    case 'scene': {
      const parsed = sceneMessageSchema.safeParse(m);
      if (!parsed.success) {
        showError(`bad scene from server: ${parsed.error.issues[0].message}`);
        return;
      }
      setScene(parsed.data);
      break;
    }
    case 'watching':
      watching = m.envs;
      if (layout === 'single' && watching.length === 1) focus = watching[0];
      relayout();
      break;
    case 'status':
      status = m;
      showStatus();
      break;
    case 'metrics':
      chart.add(m.points, m.reset);
      break;
    case 'ack':
      break;
    case 'error':
      stats.errors.push(`${m.code}: ${m.message}`);
      showError(m.message);
      break;
  }
}

function setScene(s: SceneMessage): void {
  const n = s.numEnvs;
  const firstOfRun = !scene || scene.tasks.join() !== s.tasks.join();
  scene = s;
  stats.sceneId = s.sceneId;
  bodiesPerEnv = new Int32Array(n);
  floatOffset = new Int32Array(n);
  let total = 0;
  for (const e of s.envs) {
    bodiesPerEnv[e.index] = e.bodies.length;
    floatOffset[e.index] = total * FLOATS_PER_BODY;
    total += e.bodies.length;
  }
  hudStep = new Uint32Array(n);
  hudReturn = new Float32Array(n);
  hudFlags = new Uint8Array(n);
  hudEpisodes = new Uint32Array(n);
  hudSuccesses = new Uint32Array(n);
  lastResult = new Int8Array(n).fill(-1);
  lastResultAt = new Float64Array(n);
  world.setScene(s);
  if (firstOfRun) {
    chart.setTasks(s.tasks);
    watchSel.replaceChildren(new Option('all tasks', 'all'), ...s.tasks.map((t) => new Option(t, `task:${t}`)));
    if (!Array.from(watchSel.options).some((o) => o.value === filter)) filter = 'all';
    watchSel.value = filter;
  }
  modeSel.value = s.mode;
  focus = Math.min(focus, n - 1);
  sendWatch();
}

/** Envs the current filter selects, by the scene's task names. */
function filteredEnvs(): number[] {
  if (!scene) return [];
  const task = filter.startsWith('task:') ? filter.slice(5) : null;
  return scene.envs.filter((e) => task === null || e.task === task).map((e) => e.index);
}

function sendWatch(): void {
  if (!scene) return;
  if (player) {
    // A local recording holds every env: the selection is applied here.
    watching = layout === 'single' ? [filteredEnvs().includes(focus) ? focus : (filteredEnvs()[0] ?? 0)] : filteredEnvs();
    if (layout === 'single') focus = watching[0];
    relayout();
    return;
  }
  let m: ControlMessage;
  if (layout === 'single') {
    const cand = filteredEnvs();
    if (!cand.includes(focus)) focus = cand[0] ?? 0;
    m = { type: 'watch', envs: [focus] };
  } else if (filter === 'all') {
    m = { type: 'watch', all: true };
  } else {
    m = { type: 'watch', tasks: [filter.slice(5)] };
  }
  conn.send(m);
}

// ----- Layout of the grid cells and their HUD overlays.

let hudCells: { env: number; el: HTMLElement; text: HTMLElement; last: string; compact: boolean }[] = [];
/** Below this cell size the HUD is one short line, so the robot stays in view (14 tasks x 4 envs). */
const COMPACT_W = 230;
const COMPACT_H = 160;

function relayout(): void {
  const W = stage.clientWidth;
  const H = stage.clientHeight;
  world.resize(W, H);
  const envs = layout === 'single' ? watching.slice(0, 1) : watching;
  const n = envs.length;
  const cells: Cell[] = [];
  if (n > 0) {
    // Pick the column count that gives the largest cells of about 4:3.
    let best = 1;
    let bestSize = 0;
    for (let cols = 1; cols <= n; cols++) {
      const rows = Math.ceil(n / cols);
      const size = Math.min(W / cols, ((H / rows) * 4) / 3);
      if (size > bestSize) {
        bestSize = size;
        best = cols;
      }
    }
    const cols = best;
    const rows = Math.ceil(n / cols);
    const cw = Math.floor(W / cols);
    const ch = Math.floor(H / rows);
    envs.forEach((env, k) => cells.push({ env, x: (k % cols) * cw, y: Math.floor(k / cols) * ch, w: cw, h: ch }));
  }
  world.setCells(cells);
  hudRoot.replaceChildren();
  hudCells = cells.map((c) => {
    const el = document.createElement('div');
    el.className = 'cell';
    el.style.cssText = `left:${c.x}px;top:${c.y}px;width:${c.w}px;height:${c.h}px`;
    el.dataset.env = String(c.env);
    const compact = c.w < COMPACT_W || c.h < COMPACT_H;
    el.classList.toggle('compact', compact);
    const text = document.createElement('div');
    text.className = 'tag';
    el.append(text);
    hudRoot.append(el);
    return { env: c.env, el, text, last: '', compact };
  });
  hudDirty = true;
}

/** HUD text, at most ten times a second and only where it changed. */
let lastHudAt = 0;
function updateHud(now: number): void {
  if (!hudDirty || now - lastHudAt < 100 || !scene) return;
  hudDirty = false;
  lastHudAt = now;
  let flashing = false;
  for (const c of hudCells) {
    const i = c.env;
    const task = scene.envs[i]?.task ?? '?';
    const succNow = (hudFlags[i] & ENV_FLAG_SUCCESS) !== 0;
    const lr = lastResult[i];
    const last = lr < 0 ? '' : lr === 1 ? '<span class="ok">last: success</span>' : '<span class="bad">last: failed</span>';
    const html = c.compact
      ? `<span class="task">${escapeHtml(task)}</span> <span class="muted">${i}</span> &middot; ${hudSuccesses[i]}/${hudEpisodes[i]}` +
        (succNow ? ' <span class="ok">&check;</span>' : '')
      : `<span class="task">${escapeHtml(task)}</span> <span class="muted">env ${i}${scene.mode === 'eval' ? ' &middot; evaluation' : ''}</span><br>` +
        `step ${hudStep[i]} &middot; return ${hudReturn[i].toFixed(1)}` +
        (succNow ? ' &middot; <span class="ok">success</span>' : '') +
        `<br>episodes ${hudEpisodes[i]} &middot; ${hudSuccesses[i]} solved ${last ? '&middot; ' + last : ''}`;
    if (html !== c.last) {
      c.text.innerHTML = html;
      c.last = html;
    }
    const recent = now - lastResultAt[i] < 700;
    flashing ||= recent;
    c.el.classList.toggle('flash-ok', (recent && lr === 1) || succNow);
    c.el.classList.toggle('flash-bad', recent && lr === 0);
  }
  if (flashing) hudDirty = true; // come back to end the flash even if no frame arrives
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

// ----- Status and errors.

function showStatus(): void {
  if (!status) return;
  const s = status;
  pauseBtn.textContent = s.paused ? 'Resume' : 'Pause';
  pauseBtn.setAttribute('aria-pressed', String(s.paused));
  if (document.activeElement !== speedSel) speedSel.value = String(s.speed);
  if (document.activeElement !== modeSel) modeSel.value = s.mode;
  $('st-steps').textContent = s.envSteps.toLocaleString('en-US');
  $('st-rate').textContent = `${s.stepsPerSec} control steps/s${s.paused ? ' (paused)' : ''}${s.finished ? ' (finished)' : ''}`;
  $('st-clients').textContent = String(s.clients);
  $('st-frames').textContent = s.playback ? `${s.playback.frame} / ${s.playback.frames} (recording)` : `${stats.framesReceived} received`;
  $('st-rec').textContent = s.recording ?? 'off';
}

let toastTimer: ReturnType<typeof setTimeout> | null = null;
function showError(msg: string): void {
  toast.textContent = msg;
  toast.hidden = false;
  if (toastTimer) clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (toast.hidden = true), 4000);
}

// ----- Connection.

const params = new URLSearchParams(location.search);
const token = params.get('token');
const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws${token ? `?token=${encodeURIComponent(token)}` : ''}`;
/** Set while a recording file plays in the page; the server's stream is then ignored. */
let player: LocalPlayer | null = null;
const conn = new Connection(wsUrl, {
  onMessage: (m) => {
    if (!player) onMessage(m);
  },
  onFrame: (b) => {
    if (!player) onFrame(b);
  },
  onState(s, detail) {
    stats.state = s;
    if (s === 'open') stats.connects++;
    if (player) return;
    const pill = $('conn');
    pill.dataset.state = s;
    pill.textContent = detail;
  },
});

// ----- Controls.

function control(m: ControlMessage): void {
  if (player) {
    if (m.type === 'pause' || m.type === 'resume') player.setPaused(m.type === 'pause');
    else if (m.type === 'speed') player.speed = m.speed;
    else if (m.type === 'mode') showError('a recording plays as it was recorded');
    playerStatus();
    return;
  }
  if (!conn.send(m)) showError('not connected');
}

function playerStatus(): void {
  if (!player) return;
  onMessage({
    type: 'status',
    paused: player.paused,
    mode: scene?.mode ?? 'train',
    speed: player.speed,
    envSteps: stats.lastEnvSteps,
    stepsPerSec: 0,
    clients: 0,
    recording: null,
    playback: { frame: player.position, frames: player.frames },
    finished: false,
  });
}
setInterval(playerStatus, 500);

openBtn.addEventListener('click', () => openFile.click());
openFile.addEventListener('change', async () => {
  const file = openFile.files?.[0];
  if (!file) return;
  try {
    const entries = await readRecordingFile(file);
    player?.stop();
    player = new LocalPlayer(entries, { onMessage, onFrame });
    scene = null;
    $('source').textContent = `file ${file.name}`;
    $('conn').textContent = 'playing a file';
    for (const opt of Array.from(modeSel.options)) opt.disabled = true;
    liveBtn.hidden = false;
    player.start();
    playerStatus();
  } catch (e) {
    showError(`cannot play ${file.name}: ${(e as Error).message}`);
  }
  openFile.value = '';
});
liveBtn.addEventListener('click', () => location.reload());
pauseBtn.addEventListener('click', () => control({ type: status?.paused ? 'resume' : 'pause' }));
modeSel.addEventListener('change', () => control({ type: 'mode', mode: modeSel.value as 'train' | 'eval' }));
speedSel.addEventListener('change', () => control({ type: 'speed', speed: speedSel.value === 'max' ? 'max' : Number(speedSel.value) }));
watchSel.addEventListener('change', () => {
  filter = watchSel.value;
  sendWatch();
});
layoutSel.addEventListener('change', () => {
  layout = layoutSel.value as Layout;
  if (layout === 'single' && watching.length) focus = watching[0];
  sendWatch();
});
function step(d: number): void {
  const cand = filteredEnvs();
  if (!cand.length) return;
  if (layout !== 'single') {
    layout = 'single';
    layoutSel.value = 'single';
  }
  const k = cand.indexOf(focus);
  focus = cand[(k + d + cand.length) % cand.length];
  sendWatch();
}
prevBtn.addEventListener('click', () => step(-1));
nextBtn.addEventListener('click', () => step(1));
canvas.addEventListener('dblclick', (ev) => {
  const r = canvas.getBoundingClientRect();
  const x = ev.clientX - r.left;
  const y = ev.clientY - r.top;
  if (layout === 'single') {
    layout = 'grid';
    layoutSel.value = 'grid';
  } else {
    const c = world.cells.find((c) => x >= c.x && x < c.x + c.w && y >= c.y && y < c.y + c.h);
    if (!c) return;
    layout = 'single';
    layoutSel.value = 'single';
    focus = c.env;
  }
  sendWatch();
});
window.addEventListener('keydown', (ev) => {
  if (ev.target instanceof HTMLSelectElement) return;
  if (ev.key === ' ') {
    ev.preventDefault();
    pauseBtn.click();
  } else if (ev.key === 'ArrowRight') step(1);
  else if (ev.key === 'ArrowLeft') step(-1);
});
new ResizeObserver(() => relayout()).observe(stage);

// ----- Animation loop: render only what changed.

function frame(now: number): void {
  if (world.render()) stats.renders++;
  updateHud(now);
  chart.draw();
  requestAnimationFrame(frame);
}
requestAnimationFrame(frame);
