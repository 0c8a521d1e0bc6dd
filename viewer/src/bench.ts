// The benchmark report page (bench.html): the same table, curves and provenance as a sweep's
// report.md, drawn from its results.json. The server lists report folders at reports/index.json
// and serves their files under reports/<folder>/ (server/http.ts). Only plain DOM here: the page
// shares the viewer's build and colours, nothing of its 3D code.
import './style.css';
import './bench.css';

// The parts of agents/bench/report.ts's Results this page reads (the viewer imports nothing from agents/).
interface SeedResult { seed: number; final: number; auc: number; stepsToThreshold: number | null; wallToThreshold: number | null }
interface Cell { task: string; condition: string; seeds: number; finalMean: number; finalStd: number | null; aucMean: number; aucStd: number | null; reached: number; stepsMean: number | null; wallMean: number | null; perSeed: SeedResult[] }
interface Comparison { task: string; condition: string; ratio: number | null; ratioKind: 'exact' | 'lower-bound' | 'upper-bound' | 'unknown'; negativeTransfer: boolean | null; gap: number | null; noise: number | null }
interface Run { id: string; state: string; stepsPerTask: number; wallSeconds: number | null; resumed: boolean }
interface Invocation { command: string; git: { commit: string | null; dirty: boolean | null }; node: string; machine: { cpu: string; cores: number; memoryGiB: number; platform: string; arch: string } }
interface Results {
  generatedAt: string;
  complete: boolean;
  threshold: number;
  runsTotal: number;
  runsDone: number;
  spec: { taskNames: string[]; conditions: { id: string; kind: string }[]; seeds: number[]; budgetPerTask: number; evalEveryPerTask: number; evalEpisodes: number; envsPerTask: number; reward: string; herK: number; batchSize: number; utd: number; hidden: number[]; learningStartsPerTask: number; demoEpisodes?: number };
  runs: Run[];
  cells: Cell[];
  comparisons: Comparison[];
  provenance: { invocations: Invocation[]; backends: string[]; episodeLengths: Record<string, number> };
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const pct = (x: number | null) => (x === null ? '-' : `${Math.round(100 * x)}%`);
const pts = (x: number | null) => (x === null ? '' : `${Math.round(100 * x)}`);
const steps = (x: number | null) => (x === null ? '-' : x >= 1e6 ? `${+(x / 1e6).toFixed(2)}M` : x >= 1e3 ? `${+(x / 1e3).toFixed(1)}k` : `${Math.round(x)}`);
const secs = (x: number | null) => (x === null ? '-' : x >= 3600 ? `${(x / 3600).toFixed(1)} h` : x >= 60 ? `${(x / 60).toFixed(1)} min` : `${x.toFixed(0)} s`);

function el(tag: string, text = '', cls = ''): HTMLElement {
  const e = document.createElement(tag);
  if (text) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

function row(cells: (string | HTMLElement)[], header = false): HTMLTableRowElement {
  const tr = document.createElement('tr');
  for (const c of cells) {
    const td = el(header ? 'th' : 'td');
    if (typeof c === 'string') td.textContent = c;
    else td.append(c);
    tr.append(td);
  }
  return tr;
}

function ratioText(c: Comparison | undefined): string {
  if (!c) return '';
  if (c.ratio === null) return 'n/a';
  const r = c.ratio.toFixed(2);
  return c.ratioKind === 'exact' ? r : c.ratioKind === 'lower-bound' ? `≥ ${r}` : `≤ ${r}`;
}

function render(name: string, r: Results): void {
  const base = `reports/${name === '.' ? '' : `${name}/`}`;
  const s = r.spec;
  const partial = $('partial');
  partial.hidden = r.complete;
  partial.textContent = r.complete ? '' : `Partial report: ${r.runsDone} of ${r.runsTotal} runs finished. Figures use finished runs only.`;
  $('setup').textContent =
    `Tasks: ${s.taskNames.join(', ')}. Conditions: ${s.conditions.map((c) => c.id).join(', ')}. Seeds: ${s.seeds.join(', ')}. ` +
    `Budget: ${steps(s.budgetPerTask)} env steps per task (multi-task runs get ${steps(s.budgetPerTask * s.taskNames.length)} in total).`;
  const conds = s.conditions.map((c) => c.id);
  const flagged = r.comparisons.filter((c) => c.negativeTransfer);
  $('headline').textContent =
    'Mean final success over tasks: ' +
    conds
      .map((c) => {
        const cs = r.cells.filter((x) => x.condition === c);
        return `${c} ${cs.length ? pct(cs.reduce((a, b) => a + b.finalMean, 0) / cs.length) : '-'}`;
      })
      .join(', ') +
    '. ' +
    (flagged.length ? `Negative transfer flagged on: ${flagged.map((c) => `${c.task} (${c.condition})`).join(', ')}.` : 'No task is flagged for negative transfer.');

  const T = `${Math.round(100 * r.threshold)}%`;
  const table = $<HTMLTableElement>('results');
  table.replaceChildren(row(['task', 'condition', 'seeds', 'final success', 'AUC', `seeds reaching ${T}`, `env steps / task to ${T}`, `wall time to ${T}`, 'efficiency ratio multi / single', 'negative transfer'], true));
  for (const task of s.taskNames) {
    conds.forEach((cond, i) => {
      const c = r.cells.find((x) => x.task === task && x.condition === cond);
      const cmp = r.comparisons.find((x) => x.task === task && x.condition === cond);
      const single = s.conditions.find((x) => x.id === cond)?.kind === 'single';
      const flag = el('span', single ? '' : cmp?.negativeTransfer === null || !cmp ? 'n/a' : cmp.negativeTransfer ? `yes (−${pts(cmp.gap)} pts > ${pts(cmp.noise)})` : 'no');
      const tr = c
        ? row([task, cond, `${c.seeds}${c.seeds < s.seeds.length ? ` of ${s.seeds.length}` : ''}`, `${pts(c.finalMean)}${c.finalStd === null ? '' : ` ± ${pts(c.finalStd)}`} %`, `${pts(c.aucMean)}${c.aucStd === null ? '' : ` ± ${pts(c.aucStd)}`} %`, `${c.reached}/${c.seeds}`, steps(c.stepsMean), secs(c.wallMean), single ? '(baseline)' : ratioText(cmp), flag])
        : row([task, cond, `0 of ${s.seeds.length}`, '-', '-', '-', '-', '-', single ? '' : ratioText(cmp), flag]);
      if (cmp?.negativeTransfer) tr.lastElementChild!.className = 'flag';
      if (i === 0) tr.className = 'first';
      table.append(tr);
    });
  }

  const img = $<HTMLImageElement>('curves');
  img.src = `${base}curves.svg?t=${encodeURIComponent(r.generatedAt)}`;
  $<HTMLAnchorElement>('files').href = `${base}report.md`;

  const rules = [
    `Evaluation: every ${steps(s.evalEveryPerTask)} env steps per task, ${s.evalEpisodes} episodes per task, deterministic actions, held-out seeds.`,
    'Final success: the final evaluation after the whole budget; mean ± sample standard deviation over seeds.',
    'AUC: trapezoid area under the evaluation curve divided by the env-step range: the average success over training.',
    `Steps / wall time to ${T}: first evaluation at or above it, mean over the seeds that got there.`,
    `Efficiency ratio: env steps to ${T}, multi-task over single-task (below 1: multi-task needs fewer); a seed that never got there counts as the budget, making the ratio a bound (≥ or ≤).`,
    'Negative transfer: multi-task mean final success below single-task by more than the two seed standard deviations added (needs 2 seeds each).',
  ];
  $('rules').replaceChildren(...rules.map((t) => el('li', t)));
  $('commands').textContent = r.provenance.invocations.map((i) => i.command).join('\n') || '(unknown)';
  const inv = r.provenance.invocations;
  const prov = [
    `git commit: ${[...new Set(inv.map((i) => `${i.git.commit ?? 'unknown'}${i.git.dirty ? ' (with uncommitted changes)' : ''}`))].join('; ')}`,
    `seeds: ${s.seeds.join(', ')}; reward: ${s.reward}; HER: ${s.herK}`,
    `episode length: ${Object.entries(r.provenance.episodeLengths).map(([t, n]) => `${t} ${n}`).join(', ')}`,
    `learning: hidden ${s.hidden.join('x')}, batch ${s.batchSize}, utd ${s.utd}, ${s.envsPerTask} envs per task, ${s.demoEpisodes ? `${s.demoEpisodes} expert demonstration episodes per task` : 'no demonstrations'}`,
    `backend: ${r.provenance.backends.join('; ') || 'unknown'}`,
    `machine: ${[...new Set(inv.map((i) => `${i.machine.cpu}, ${i.machine.cores} cores, ${i.machine.memoryGiB} GiB, Node ${i.node}`))].join('; ')}`,
    `generated: ${r.generatedAt}. Success figures repeat exactly on the same machine; wall times do not.`,
  ];
  $('provenance').replaceChildren(...prov.map((t) => el('li', t)));
  const runs = $<HTMLTableElement>('runs');
  runs.replaceChildren(row(['run', 'state', 'env steps / task', 'wall time', 'resumed'], true), ...r.runs.map((x) => row([x.id, x.state, steps(x.stepsPerTask), secs(x.wallSeconds), x.resumed ? 'yes' : 'no'])));
  $('bench-body').hidden = false;
  $('bench-status').hidden = true;
  (window as unknown as { __rrlBench: unknown }).__rrlBench = { report: name, cells: r.cells.length, complete: r.complete };
}

async function main(): Promise<void> {
  const status = $('bench-status');
  const select = $<HTMLSelectElement>('report');
  let list: string[];
  try {
    const res = await fetch('reports/index.json');
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    list = ((await res.json()) as { reports: string[] }).reports;
  } catch (e) {
    status.textContent = `Could not list reports (${(e as Error).message}). Open this page from the viewer server (npm start).`;
    return;
  }
  if (!list.length) {
    status.textContent = 'No benchmark reports found: run `npm run bench`, and set RRL_BENCH_REPORTS to its folder if it is not under docs/benchmarks.';
    return;
  }
  const wanted = new URLSearchParams(location.search).get('report');
  const current = wanted && list.includes(wanted) ? wanted : list[0];
  select.replaceChildren(...list.map((n) => Object.assign(el('option', n), { value: n, selected: n === current })));
  const load = async (name: string) => {
    status.hidden = false;
    status.textContent = `loading ${name}…`;
    try {
      const res = await fetch(`reports/${name === '.' ? '' : `${name}/`}results.json`, { cache: 'no-cache' });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      render(name, (await res.json()) as Results);
    } catch (e) {
      status.textContent = `Could not load ${name}: ${(e as Error).message}`;
    }
  };
  select.addEventListener('change', () => {
    const u = new URL(location.href);
    u.searchParams.set('report', select.value);
    history.replaceState(null, '', u);
    void load(select.value);
  });
  await load(current);
}

void main();
