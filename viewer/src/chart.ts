// Learning curves: success rate versus training env-steps, one colour per task; training episodes
// as solid lines, evaluation rounds as dashed lines with dots. Plain 2D canvas, redrawn only when
// points arrive or the panel resizes.
import type { MetricPoint } from '../../server/protocol.ts';

export const TASK_COLORS = ['#88c0d0', '#a3be8c', '#ebcb8b', '#b48ead', '#d08770', '#5e81ac', '#bf616a', '#8fbcbb'];

interface Series {
  train: MetricPoint[];
  eval: MetricPoint[];
}

export class Chart {
  private readonly ctx: CanvasRenderingContext2D;
  private readonly series = new Map<string, Series>();
  private tasks: string[] = [];
  private dirty = true;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly legend: HTMLElement,
  ) {
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2D canvas context');
    this.ctx = ctx;
  }

  setTasks(tasks: string[]): void {
    this.tasks = tasks;
    for (const t of tasks) if (!this.series.has(t)) this.series.set(t, { train: [], eval: [] });
    this.legend.replaceChildren(
      ...tasks.map((t, k) => {
        const el = document.createElement('span');
        el.className = 'legend-item';
        el.style.setProperty('--c', colorOf(k));
        el.textContent = t;
        return el;
      }),
    );
    this.dirty = true;
  }

  add(points: MetricPoint[], reset: boolean): void {
    if (reset) this.series.clear();
    for (const p of points) {
      let s = this.series.get(p.task);
      if (!s) this.series.set(p.task, (s = { train: [], eval: [] }));
      s[p.series].push(p);
    }
    this.dirty = true;
  }

  pointCount(): number {
    let n = 0;
    for (const s of this.series.values()) n += s.train.length + s.eval.length;
    return n;
  }

  /** Redraws if needed (call from the animation loop). */
  draw(): void {
    const c = this.canvas;
    const dpr = Math.min(window.devicePixelRatio, 2);
    const w = Math.max(1, Math.round(c.clientWidth * dpr));
    const h = Math.max(1, Math.round(c.clientHeight * dpr));
    if (c.width !== w || c.height !== h) {
      c.width = w;
      c.height = h;
      this.dirty = true;
    }
    if (!this.dirty) return;
    this.dirty = false;
    const g = this.ctx;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    const W = w / dpr;
    const H = h / dpr;
    g.clearRect(0, 0, W, H);
    const L = 34;
    const R = 16;
    const T = 8;
    const B = 22;
    let xmax = 1;
    for (const s of this.series.values()) for (const p of [...s.train, ...s.eval]) xmax = Math.max(xmax, p.envSteps);
    const X = (v: number): number => L + ((W - L - R) * v) / xmax;
    const Y = (v: number): number => T + (H - T - B) * (1 - v);
    g.font = '10px system-ui, sans-serif';
    g.strokeStyle = '#3b4252';
    g.fillStyle = '#9aa5b8';
    g.lineWidth = 1;
    for (const v of [0, 0.25, 0.5, 0.75, 1]) {
      g.beginPath();
      g.moveTo(L, Y(v));
      g.lineTo(W - R, Y(v));
      g.stroke();
      g.textAlign = 'right';
      g.fillText(`${Math.round(v * 100)}%`, L - 4, Y(v) + 3);
    }
    g.textAlign = 'center';
    for (let k = 0; k <= 4; k++) g.fillText(formatSteps((xmax * k) / 4), X((xmax * k) / 4), H - 6);
    const order = this.tasks.length ? this.tasks : [...this.series.keys()];
    order.forEach((task, k) => {
      const s = this.series.get(task);
      if (!s) return;
      const col = colorOf(k);
      g.strokeStyle = col;
      g.fillStyle = col;
      g.lineWidth = 1.8;
      g.setLineDash([]);
      line(g, s.train, X, Y);
      g.setLineDash([5, 4]);
      g.lineWidth = 1.4;
      line(g, s.eval, X, Y);
      g.setLineDash([]);
      for (const p of s.eval) {
        g.beginPath();
        g.arc(X(p.envSteps), Y(p.successRate), 2.5, 0, Math.PI * 2);
        g.fill();
      }
    });
    if (this.pointCount() === 0) {
      g.fillStyle = '#6b7385';
      g.textAlign = 'center';
      g.fillText('waiting for finished episodes...', (L + W) / 2, H / 2);
    }
  }
}

function line(g: CanvasRenderingContext2D, pts: MetricPoint[], X: (v: number) => number, Y: (v: number) => number): void {
  if (pts.length === 0) return;
  g.beginPath();
  pts.forEach((p, i) => (i === 0 ? g.moveTo(X(p.envSteps), Y(p.successRate)) : g.lineTo(X(p.envSteps), Y(p.successRate))));
  if (pts.length === 1) g.arc(X(pts[0].envSteps), Y(pts[0].successRate), 2, 0, Math.PI * 2);
  g.stroke();
}

export function colorOf(k: number): string {
  return TASK_COLORS[k % TASK_COLORS.length];
}

function formatSteps(v: number): string {
  if (v >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(v >= 1e4 ? 0 : 1)}k`;
  return String(Math.round(v));
}
