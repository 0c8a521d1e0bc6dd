// The report's plots as standalone SVG (no fonts, scripts or external files), so the Markdown
// report shows them on any file viewer or code host without a server. Learning curves: one panel
// per task, one line per condition (mean over seeds), a shaded band from the lowest to the highest
// seed. Performance profiles: one line per condition, a shaded 95% bootstrap band.

export interface SeriesBand {
  condition: string;
  points: { x: number; mean: number; min: number; max: number; n: number }[];
}

export interface Panel {
  title: string;
  series: SeriesBand[];
}

/** Fixed per condition index, readable on white and distinguishable in grey scale by dash. */
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];
const DASHES = ['', '6 3', '2 2', '8 3 2 3', '1 3', '10 4', '4 4', '3 1'];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const f = (n: number) => (Math.round(n * 10) / 10).toString();

function fmtSteps(n: number): string {
  if (n >= 1e6) return `${+(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${+(n / 1e3).toFixed(1)}k`;
  return `${n}`;
}

/** A "nice" tick step for [0, max] with about `count` ticks. */
function niceStep(max: number, count: number): number {
  const raw = max / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * mag >= raw) return m * mag;
  return 10 * mag;
}

export function curvesSvg(panels: Panel[], opts: { conditions: string[]; xMax: number; threshold: number; columns?: number; title?: string }): string {
  const cols = Math.min(opts.columns ?? 2, Math.max(1, panels.length));
  const rows = Math.ceil(panels.length / cols);
  const pw = 360;
  const ph = 240;
  const m = { l: 46, r: 12, t: 26, b: 36 };
  const legendH = legendHeight(opts.conditions);
  const titleH = opts.title ? 24 : 0;
  const W = cols * pw;
  const H = titleH + rows * ph + legendH;
  const xMax = Math.max(1, opts.xMax);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  if (opts.title) out.push(`<text x="${W / 2}" y="17" text-anchor="middle" font-size="14" font-weight="bold">${esc(opts.title)}</text>`);
  const xs = niceStep(xMax, 4);
  panels.forEach((panel, i) => {
    const ox = (i % cols) * pw;
    const oy = titleH + Math.floor(i / cols) * ph;
    const iw = pw - m.l - m.r;
    const ih = ph - m.t - m.b;
    const X = (x: number) => ox + m.l + (x / xMax) * iw;
    const Y = (y: number) => oy + m.t + (1 - y) * ih;
    out.push(`<g>`);
    out.push(`<text x="${f(ox + m.l + iw / 2)}" y="${f(oy + 16)}" text-anchor="middle" font-size="13" font-weight="bold">${esc(panel.title)}</text>`);
    for (let y = 0; y <= 1.0001; y += 0.2) {
      out.push(`<line x1="${f(X(0))}" x2="${f(X(xMax))}" y1="${f(Y(y))}" y2="${f(Y(y))}" stroke="#e5e5e5"/>`);
      out.push(`<text x="${f(X(0) - 4)}" y="${f(Y(y) + 4)}" text-anchor="end" fill="#555">${Math.round(y * 100)}%</text>`);
    }
    for (let x = 0; x <= xMax + 1e-9; x += xs) {
      out.push(`<line x1="${f(X(x))}" x2="${f(X(x))}" y1="${f(Y(0))}" y2="${f(Y(0) + 4)}" stroke="#555"/>`);
      out.push(`<text x="${f(X(x))}" y="${f(Y(0) + 15)}" text-anchor="middle" fill="#555">${fmtSteps(x)}</text>`);
    }
    out.push(`<line x1="${f(X(0))}" x2="${f(X(xMax))}" y1="${f(Y(opts.threshold))}" y2="${f(Y(opts.threshold))}" stroke="#999" stroke-dasharray="3 3"/>`);
    out.push(`<rect x="${f(X(0))}" y="${f(Y(1))}" width="${f(iw)}" height="${f(ih)}" fill="none" stroke="#555"/>`);
    out.push(`<text x="${f(ox + m.l + iw / 2)}" y="${f(oy + ph - 6)}" text-anchor="middle" fill="#333">env steps per task</text>`);
    for (const s of panel.series) {
      const c = Math.max(0, opts.conditions.indexOf(s.condition));
      const color = COLORS[c % COLORS.length];
      const pts = s.points;
      if (!pts.length) continue;
      if (pts.some((p) => p.max > p.min)) {
        const upper = pts.map((p) => `${f(X(p.x))},${f(Y(p.max))}`);
        const lower = pts.map((p) => `${f(X(p.x))},${f(Y(p.min))}`).reverse();
        out.push(`<polygon points="${[...upper, ...lower].join(' ')}" fill="${color}" fill-opacity="0.15" stroke="none"/>`);
      }
      const dash = DASHES[c % DASHES.length];
      out.push(
        `<polyline points="${pts.map((p) => `${f(X(p.x))},${f(Y(p.mean))}`).join(' ')}" fill="none" stroke="${color}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}><title>${esc(s.condition)}</title></polyline>`,
      );
      for (const p of pts) out.push(`<circle cx="${f(X(p.x))}" cy="${f(Y(p.mean))}" r="2.2" fill="${color}"/>`);
    }
    out.push(`</g>`);
  });
  legend(out, titleH + rows * ph + 8, W, opts.conditions, `lines: mean over seeds; bands: lowest to highest seed; dashed grey: ${Math.round(opts.threshold * 100)}% threshold`);
  out.push(`</svg>`);
  return out.join('\n') + '\n';
}

const legendHeight = (conditions: readonly string[]) => 22 + 18 * Math.ceil(conditions.length / 3);

/** A note line, then one swatch per condition, three to a row. */
function legend(out: string[], ly: number, W: number, conditions: readonly string[], note: string): void {
  out.push(`<text x="10" y="${ly + 8}" fill="#333">${esc(note)}</text>`);
  conditions.forEach((cond, c) => {
    const x = 10 + (c % 3) * (W / 3);
    const y = ly + 26 + 18 * Math.floor(c / 3);
    const dash = DASHES[c % DASHES.length];
    out.push(`<line x1="${x}" x2="${x + 28}" y1="${y - 4}" y2="${y - 4}" stroke="${COLORS[c % COLORS.length]}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`);
    out.push(`<text x="${x + 34}" y="${y}">${esc(cond)}</text>`);
  });
}

export interface ProfileLine {
  condition: string;
  /** Per tau: the fraction of scores above it, and its band (null: no band). */
  fraction: number[];
  lo: number[] | null;
  hi: number[] | null;
}

/**
 * Performance profiles in one panel: x is the threshold tau (success, 0-100%), y the fraction of
 * (run, task) scores above it. Lines are drawn as steps, since the fraction only changes at scores.
 */
export function profilesSvg(taus: readonly number[], lines: readonly ProfileLine[], opts: { conditions: string[]; title?: string }): string {
  const W = 560;
  const ph = 340;
  const m = { l: 52, r: 16, t: 14, b: 40 };
  const titleH = opts.title ? 24 : 0;
  const H = titleH + ph + legendHeight(opts.conditions);
  const iw = W - m.l - m.r;
  const ih = ph - m.t - m.b;
  const X = (tau: number) => m.l + tau * iw;
  const Y = (y: number) => titleH + m.t + (1 - y) * ih;
  // Right-continuous steps: the value at tau holds until the next tau.
  const steps = (ys: readonly number[]) => {
    const pts: string[] = [];
    taus.forEach((t, j) => {
      if (j > 0) pts.push(`${f(X(t))},${f(Y(ys[j - 1]))}`);
      pts.push(`${f(X(t))},${f(Y(ys[j]))}`);
    });
    return pts;
  };
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  if (opts.title) out.push(`<text x="${W / 2}" y="17" text-anchor="middle" font-size="14" font-weight="bold">${esc(opts.title)}</text>`);
  for (let k = 0; k <= 5; k++) {
    const v = k / 5;
    out.push(`<line x1="${f(X(0))}" x2="${f(X(1))}" y1="${f(Y(v))}" y2="${f(Y(v))}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${f(X(0) - 4)}" y="${f(Y(v) + 4)}" text-anchor="end" fill="#555">${v.toFixed(1)}</text>`);
    out.push(`<line x1="${f(X(v))}" x2="${f(X(v))}" y1="${f(Y(0))}" y2="${f(Y(0) + 4)}" stroke="#555"/>`);
    out.push(`<text x="${f(X(v))}" y="${f(Y(0) + 15)}" text-anchor="middle" fill="#555">${Math.round(v * 100)}%</text>`);
  }
  out.push(`<rect x="${f(X(0))}" y="${f(Y(1))}" width="${f(iw)}" height="${f(ih)}" fill="none" stroke="#555"/>`);
  out.push(`<text x="${f(m.l + iw / 2)}" y="${f(titleH + ph - 6)}" text-anchor="middle" fill="#333">final success threshold τ</text>`);
  out.push(`<text x="12" y="${f(Y(0.5))}" text-anchor="middle" fill="#333" transform="rotate(-90 12 ${f(Y(0.5))})">fraction of runs with score &gt; τ</text>`);
  for (const line of lines) {
    if (line.fraction.length !== taus.length) throw new RangeError(`profile of ${line.condition}: ${line.fraction.length} values for ${taus.length} thresholds`);
    const c = Math.max(0, opts.conditions.indexOf(line.condition));
    const color = COLORS[c % COLORS.length];
    if (line.lo && line.hi && line.hi.some((h, j) => h > line.lo![j])) {
      out.push(`<polygon points="${[...steps(line.hi), ...steps(line.lo).reverse()].join(' ')}" fill="${color}" fill-opacity="0.15" stroke="none"/>`);
    }
    const dash = DASHES[c % DASHES.length];
    out.push(`<polyline points="${steps(line.fraction).join(' ')}" fill="none" stroke="${color}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}><title>${esc(line.condition)}</title></polyline>`);
  }
  legend(out, titleH + ph + 8, W, opts.conditions, 'lines: fraction of (run, task) final scores above τ; bands: 95% bootstrap intervals');
  out.push(`</svg>`);
  return out.join('\n') + '\n';
}
