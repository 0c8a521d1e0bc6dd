// The benchmark report page (bench.html): the same tables, intervals, profiles, curves and
// provenance as a sweep's report.md, drawn from its results.json. The server lists report folders
// at reports/index.json, newest first, with their dates and budgets, and serves their files under
// reports/<folder>/ (server/http.ts). The page opens on the newest report unless ?report= names
// another. While a sweep runs, the folder's progress.json (written by the sweep or the queue
// coordinator, agents/bench/progress.ts) is polled: runs done, running, queued and failed, per
// worker, and the report is reloaded as runs finish. Only plain DOM here: the page shares the
// viewer's build and colours, nothing of its 3D code.
import './style.css';
import './bench.css';

// The parts of agents/bench/report.ts's Results this page reads (the viewer imports nothing from agents/).
// Fields added with the interval statistics are optional: older reports lack them.
interface Estimate { point: number; lo: number | null; hi: number | null }
interface SeedResult { seed: number; final: number; auc: number; stepsToThreshold: number | null; wallToThreshold: number | null }
interface Cell { task: string; condition: string; seeds: number; finalMean: number; finalStd: number | null; aucMean: number; aucStd: number | null; reached: number; stepsMean: number | null; wallMean: number | null; perSeed: SeedResult[]; finalIqm?: Estimate; aucIqm?: Estimate }
interface Comparison { task: string; condition: string; ratio: number | null; ratioKind: 'exact' | 'lower-bound' | 'upper-bound' | 'unknown'; negativeTransfer: boolean | null; diff?: Estimate | null; seedsMulti?: number; seedsSingle?: number }
interface Aggregate { condition: string; tasks: number; scores: number; seedsMin: number; seedsMax: number; finalIqm: Estimate; aucIqm: Estimate; finalMean: number; improvement: Estimate | null; improvementTasks: number }
interface Run { id: string; state: string; stepsPerTask: number; wallSeconds: number | null; resumed: boolean; attempts?: number; resumedFrom?: number[]; restarts?: number; tasks: string[] }
interface Invocation { command: string; git: { commit: string | null; dirty: boolean | null }; node: string; machine: { cpu: string; cores: number; memoryGiB: number; platform: string; arch: string } }
interface Results {
  dataAsOf?: string | null;
  generatedAt?: string;
  complete: boolean;
  threshold: number;
  runsTotal: number;
  runsDone: number;
  spec: { taskNames: string[]; conditions: { id: string; kind: string }[]; seeds: number[]; budgetPerTask: number; evalEveryPerTask: number; evalEpisodes: number; envsPerTask: number; reward: string; herK: number; batchSize: number; utd: number; hidden: number[]; learningStartsPerTask: number; demoEpisodes?: number };
  runs: Run[];
  cells: Cell[];
  comparisons: Comparison[];
  aggregates?: Aggregate[];
  statistics?: { reps: number; seed: number; level: number; interval: string; minSeedsForFlag: number };
  provenance: { invocations: Invocation[]; backends: string[]; episodeLengths: Record<string, number>; workers?: Record<string, string | null> };
}
/** progress.json beside a report (agents/bench/progress.ts). */
interface Progress {
  updatedAt: string;
  state: 'running' | 'finished' | 'stopped';
  mode: 'local' | 'queue';
  queue: string | null;
  sweepId: string | null;
  total: number;
  done: number;
  running: number;
  queued: number;
  failed: number;
  stepsDone: number;
  stepsTotal: number;
  eta: number | null;
  workers: { name: string; running: string[]; done: number; failed: number; otherSweeps?: number }[];
  runs: { id: string; state: string; worker: string | null; envSteps: number; budget: number }[];
}
/** How often a running sweep's progress is read. */
const PROGRESS_POLL_MS = 3000;
/** A running sweep whose progress is older than this is said to be silent. */
const PROGRESS_STALE_S = 120;
/** One line of reports/index.json. */
interface ReportEntry { name: string; date: string | null; budgetPerTask: number | null; tasks: string[]; conditions: string[]; seeds: number; runsDone: number | null; runsTotal: number | null; error?: string }

const SINGLE = 'single-task';
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const pct = (x: number | null | undefined) => (x === null || x === undefined ? '-' : `${Math.round(100 * x)}%`);
const pts = (x: number | null) => (x === null ? '' : `${Math.round(100 * x)}`);
const signed = (x: number) => `${x < 0 ? '−' : x > 0 ? '+' : ''}${Math.abs(Math.round(100 * x))}`;
const steps = (x: number | null) => (x === null ? '-' : x >= 1e6 ? `${+(x / 1e6).toFixed(2)}M` : x >= 1e3 ? `${+(x / 1e3).toFixed(1)}k` : `${Math.round(x)}`);
const secs = (x: number | null) => (x === null ? '-' : x >= 3600 ? `${(x / 3600).toFixed(1)} h` : x >= 60 ? `${(x / 60).toFixed(1)} min` : `${x.toFixed(0)} s`);
const day = (iso: string | null | undefined) => (iso ? iso.slice(0, 10) : 'undated');
const pctCi = (e: Estimate | null | undefined) => (!e ? '-' : e.lo === null || e.hi === null ? `${pct(e.point)} (no interval)` : `${pct(e.point)} [${pts(e.lo)}, ${pts(e.hi)}]`);
const probCi = (e: Estimate | null | undefined) => (!e ? '-' : e.lo === null || e.hi === null ? e.point.toFixed(2) : `${e.point.toFixed(2)} [${e.lo.toFixed(2)}, ${e.hi.toFixed(2)}]`);
const diffCi = (e: Estimate | null | undefined) => (!e ? '-' : e.lo === null || e.hi === null ? `${signed(e.point)} pts` : `${signed(e.point)} pts [${signed(e.lo)}, ${signed(e.hi)}]`);

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

/** The verdict and the seeds it rests on (as report.md words it). */
function flagText(c: Comparison, minSeeds: number): string {
  if (c.seedsMulti === undefined) return c.negativeTransfer === null ? 'n/a' : c.negativeTransfer ? 'yes' : 'no';
  const seeds = `${c.seedsMulti} / ${c.seedsSingle} seeds`;
  if (!c.diff) return 'n/a (no finished runs on one side)';
  if (c.negativeTransfer === null) return `no verdict (${seeds}; ${minSeeds} each needed)`;
  return c.negativeTransfer ? `yes (${seeds})` : `not shown (${seeds})`;
}

function attemptsText(x: Run): string {
  if (x.attempts === undefined) return x.resumed ? 'resumed' : '1';
  if (x.attempts <= 1) return x.attempts === 1 ? '1' : '-';
  const parts = [...(x.resumedFrom ?? []).map((s) => `resumed from checkpoint at ${steps(s / Math.max(1, x.tasks.length))}`), ...(x.restarts ? ['restarted from scratch'] : [])];
  return `${x.attempts}${parts.length ? `: ${parts.join(', ')}` : ''}`;
}

function render(name: string, r: Results): void {
  const base = `reports/${name === '.' ? '' : `${name}/`}`;
  const s = r.spec;
  const stats = r.statistics ?? null;
  const minSeeds = stats?.minSeedsForFlag ?? 0;
  const partial = $('partial');
  partial.hidden = r.complete;
  partial.textContent = r.complete ? '' : `Partial report: ${r.runsDone} of ${r.runsTotal} runs finished. Figures use finished runs only.`;
  const old = $('old-format');
  old.hidden = !!r.aggregates;
  old.textContent = r.aggregates ? '' : `This report predates the interval statistics (IQM, confidence intervals, probability of improvement, profiles). Rebuild it from its raw data: npm run bench -- --report-only --out <its folder>.`;
  $('setup').textContent =
    `Tasks: ${s.taskNames.join(', ')}. Conditions: ${s.conditions.map((c) => c.id).join(', ')}. Seeds: ${s.seeds.join(', ')}. ` +
    `Budget: ${steps(s.budgetPerTask)} env steps per task (multi-task runs get ${steps(s.budgetPerTask * s.taskNames.length)} in total). ` +
    `Results as of ${r.dataAsOf ?? r.generatedAt ?? 'an unknown date'}.`;
  const conds = s.conditions.map((c) => c.id);
  const others = s.conditions.filter((c) => c.kind !== 'single').map((c) => c.id);

  // Headline: IQM across tasks, probability of improvement, the flags with their seeds.
  const aggs = r.aggregates ?? [];
  const head: string[] = [];
  if (aggs.length) head.push(`IQM of final success over tasks and seeds (95% CI): ${aggs.map((a) => `${a.condition} ${pctCi(a.finalIqm)}`).join(', ')}.`);
  const imp = aggs.filter((a) => a.improvement);
  if (imp.length) head.push(`Probability of improvement over ${SINGLE}: ${imp.map((a) => `${a.condition} ${probCi(a.improvement)}`).join(', ')}.`);
  const flagged = r.comparisons.filter((c) => c.negativeTransfer);
  const notShown = r.comparisons.filter((c) => c.negativeTransfer === false).length;
  const none = r.comparisons.filter((c) => c.negativeTransfer === null).length;
  if (r.comparisons.length) {
    const parts = [
      flagged.length ? `Negative transfer flagged on: ${flagged.map((c) => `${c.task} (${c.condition}${c.seedsMulti !== undefined ? `, ${c.seedsMulti} / ${c.seedsSingle} seeds` : ''})`).join(', ')}` : 'No task is flagged for negative transfer',
      ...(notShown ? [`not shown on ${notShown} task-condition pair${notShown > 1 ? 's' : ''}`] : []),
      ...(none && stats ? [`no verdict on ${none} (fewer than ${minSeeds} seeds a side)`] : []),
    ];
    head.push(`${parts.join('; ')}.`);
  }
  $('headline').replaceChildren(...head.map((t) => el('li', t)));

  const agg = $<HTMLTableElement>('aggregate');
  agg.replaceChildren(
    row(['condition', 'tasks', 'scores (run × task)', 'IQM final success [95% CI]', 'mean final success', 'IQM AUC [95% CI]', `P(improvement over ${SINGLE}) [95% CI]`], true),
    ...aggs.map((a) => row([a.condition, String(a.tasks), String(a.scores), pctCi(a.finalIqm), pct(a.finalMean), pctCi(a.aucIqm), a.condition === SINGLE ? '(baseline)' : probCi(a.improvement)])),
  );
  const profiles = $<HTMLImageElement>('profiles');
  profiles.hidden = !aggs.length;
  if (aggs.length) profiles.src = `${base}profiles.svg?t=${encodeURIComponent(r.dataAsOf ?? '')}`;

  const T = `${Math.round(100 * r.threshold)}%`;
  const table = $<HTMLTableElement>('results');
  table.replaceChildren(row(['task', 'condition', 'seeds', 'final success', 'final success IQM [95% CI]', 'AUC', 'AUC IQM [95% CI]', `seeds reaching ${T}`, `env steps / task to ${T}`, `wall time to ${T}`], true));
  for (const task of s.taskNames) {
    conds.forEach((cond, i) => {
      const c = r.cells.find((x) => x.task === task && x.condition === cond);
      const tr = c
        ? row([task, cond, `${c.seeds}${c.seeds < s.seeds.length ? ` of ${s.seeds.length}` : ''}`, `${pts(c.finalMean)}${c.finalStd === null ? '' : ` ± ${pts(c.finalStd)}`} %`, pctCi(c.finalIqm), `${pts(c.aucMean)}${c.aucStd === null ? '' : ` ± ${pts(c.aucStd)}`} %`, pctCi(c.aucIqm), `${c.reached}/${c.seeds}`, steps(c.stepsMean), secs(c.wallMean)])
        : row([task, cond, `0 of ${s.seeds.length}`, '-', '-', '-', '-', '-', '-', '-']);
      if (i === 0) tr.className = 'first';
      table.append(tr);
    });
  }

  const transfer = $<HTMLTableElement>('transfer');
  transfer.replaceChildren(row(['task', 'condition', `IQM final success − ${SINGLE} [95% CI]`, 'negative transfer (seeds multi / single)', 'efficiency ratio multi / single'], true));
  for (const task of s.taskNames) {
    others.forEach((cond, i) => {
      const c = r.comparisons.find((x) => x.task === task && x.condition === cond);
      if (!c) return;
      const tr = row([task, cond, diffCi(c.diff), flagText(c, minSeeds), ratioText(c)]);
      if (c.negativeTransfer) tr.children[3].className = 'flag';
      if (i === 0) tr.className = 'first';
      transfer.append(tr);
    });
  }

  const img = $<HTMLImageElement>('curves');
  img.src = `${base}curves.svg?t=${encodeURIComponent(r.dataAsOf ?? r.generatedAt ?? '')}`;
  $<HTMLAnchorElement>('files').href = `${base}report.md`;

  const rules = [
    `Evaluation: every ${steps(s.evalEveryPerTask)} env steps per task, ${s.evalEpisodes} episodes per task, deterministic actions, held-out seeds.`,
    'Score: a run\'s success rate on a task, already in [0, 1], used as the normalised score as it is. Final success: the final evaluation after the whole budget; AUC: the average success over training (trapezoid area under the evaluation curve over the env-step range).',
    'IQM (interquartile mean): sort the scores, drop the lowest and highest quarter (⌊n/4⌋ each end: with 5 seeds the middle 3, with 2-3 all), average the rest. Across tasks it pools every (run, task) score, so with few tasks it can leave out one hard task: read it with the mean and the profile.',
    `95% CI: percentile bootstrap${stats ? ` (${stats.reps} resamples, seed ${stats.seed})` : ''}, seeds resampled within each task, a multi-task run as a whole. With few seeds it is too narrow (about 89% coverage with 5 seeds, 76% with 3, in synthetic checks).`,
    `Probability of improvement: the chance that a run of the condition beats a single-task run on the same task (ties half), averaged over tasks; 0.5: no difference.`,
    'Performance profile: the fraction of (run, task) final scores above each threshold τ.',
    `Negative transfer: flagged when the whole interval of IQM(multi-task) − IQM(single-task) final success lies below zero${minSeeds ? `, with at least ${minSeeds} seeds a side (with 2-3 seeds the interval alone falsely flags 9-18% of pure-noise tasks)` : ''}. "Not shown" is not "absent": few seeds cannot rule it out.`,
    `Steps / wall time to ${T}: first evaluation at or above it, mean over the seeds that got there. Efficiency ratio: env steps to ${T}, multi-task over single-task; a seed that never got there counts as the budget, making the ratio a bound (≥ or ≤).`,
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
    `machine: ${[...new Set(inv.map((i) => `${i.machine.cpu}, ${i.machine.cores} cores, ${i.machine.memoryGiB} GiB, Node ${i.node}`))].join('; ')}${r.provenance.workers ? ' (the sweep command)' : ''}`,
    ...(r.provenance.workers ? [`workers (through a queue): ${Object.entries(r.provenance.workers).map(([w, m]) => `${w}: ${m ?? 'machine unknown'}`).join('; ')}`] : []),
    `results as of ${r.dataAsOf ?? r.generatedAt ?? 'unknown'}. Success figures repeat exactly on the same machine; wall times do not.`,
  ];
  $('provenance').replaceChildren(...prov.map((t) => el('li', t)));
  const runs = $<HTMLTableElement>('runs');
  runs.replaceChildren(row(['run', 'state', 'env steps / task', 'wall time', 'attempts'], true), ...r.runs.map((x) => row([x.id, x.state, steps(x.stepsPerTask), secs(x.wallSeconds), attemptsText(x)])));
  $('bench-body').hidden = false;
  $('bench-status').hidden = true;
  (window as unknown as { __rrlBench: unknown }).__rrlBench = { report: name, cells: r.cells.length, complete: r.complete };
}

/** "mt-vs-st-150k · 2026-12-01 · 150k steps/task": what the report selector shows. */
function entryLabel(e: ReportEntry): string {
  return `${e.name} · ${day(e.date)}${e.budgetPerTask === null ? '' : ` · ${steps(e.budgetPerTask)} steps/task`}`;
}

function renderList(list: ReportEntry[], current: string, open: (name: string) => void): void {
  const table = $<HTMLTableElement>('reports');
  table.replaceChildren(
    row(['report', 'results as of', 'budget per task', 'tasks', 'conditions', 'seeds', 'runs'], true),
    ...list.map((e) => {
      const link = el('a', e.name) as HTMLAnchorElement;
      link.href = `?report=${encodeURIComponent(e.name)}`;
      link.addEventListener('click', (ev) => {
        ev.preventDefault();
        open(e.name);
      });
      const tr = e.error
        ? row([link, '-', '-', '-', '-', '-', `unreadable: ${e.error}`])
        : row([link, day(e.date), e.budgetPerTask === null ? '-' : `${steps(e.budgetPerTask)} env steps`, `${e.tasks.length}`, e.conditions.join(', '), `${e.seeds}`, e.runsTotal === null ? '-' : `${e.runsDone} of ${e.runsTotal}`]);
      if (e.name === current) tr.className = 'current';
      return tr;
    }),
  );
}

function clock(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

function renderProgress(p: Progress | null): void {
  const box = $('progress');
  box.hidden = !p;
  if (!p) return;
  const age = (Date.now() - Date.parse(p.updatedAt)) / 1000;
  const where = p.mode === 'queue' ? ` through the queue at ${p.queue ?? '?'}${p.sweepId ? ` (sweep ${p.sweepId})` : ''}` : ' on one machine';
  const head =
    p.state === 'running'
      ? `Sweep running${where}, as of ${clock(p.updatedAt)}${age > PROGRESS_STALE_S ? ` (no update for ${Math.round(age / 60)} min: its ${p.mode === 'queue' ? 'coordinator' : 'sweep'} may have stopped)` : ''}`
      : p.state === 'finished'
        ? `Sweep finished${where}, ${clock(p.updatedAt)}`
        : `Sweep stopped${where} at ${clock(p.updatedAt)}${p.mode === 'queue' ? '; workers may go on, and the same command collects what they finish' : '; the same command resumes it'}`;
  const pctSteps = p.stepsTotal ? `${((100 * p.stepsDone) / p.stepsTotal).toFixed(1)}% of env steps` : '';
  const eta = p.state === 'running' && p.eta !== null ? `, about ${secs(p.eta)} to go` : '';
  $('progress-summary').textContent = `${head}. Runs: ${p.done} done, ${p.running} running, ${p.queued} queued, ${p.failed} failed, of ${p.total}; ${pctSteps}${eta}.`;
  const byId = new Map(p.runs.map((r) => [r.id, r]));
  $<HTMLTableElement>('progress-workers').replaceChildren(
    row(['worker', 'running now', 'done', 'failed'], true),
    ...p.workers.map((w) =>
      row([
        w.name,
        w.running.map((id) => {
          const r = byId.get(id);
          return r ? `${id} (${Math.round((100 * r.envSteps) / Math.max(1, r.budget))}%)` : id;
        }).join(', ') || (w.otherSweeps ? `a run of another sweep` : 'idle'),
        String(w.done),
        String(w.failed),
      ]),
    ),
  );
}

async function main(): Promise<void> {
  const status = $('bench-status');
  const select = $<HTMLSelectElement>('report');
  let list: ReportEntry[];
  try {
    const res = await fetch('reports/index.json', { cache: 'no-cache' });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    list = ((await res.json()) as { reports: ReportEntry[] }).reports;
  } catch (e) {
    status.textContent = `Could not list reports (${(e as Error).message}). Open this page from the viewer server (npm start).`;
    return;
  }
  if (!list.length) {
    status.textContent = 'No benchmark reports found: run `npm run bench`, and set RRL_BENCH_REPORTS to its folder if it is not under docs/benchmarks.';
    return;
  }
  const wanted = new URLSearchParams(location.search).get('report');
  // The server lists the newest first.
  let current = wanted && list.some((e) => e.name === wanted) ? wanted : list[0].name;
  select.replaceChildren(...list.map((e) => Object.assign(el('option', entryLabel(e)), { value: e.name, selected: e.name === current })));
  // The open report's progress.json, polled while its sweep runs; finished runs reload the report.
  let poll: ReturnType<typeof setTimeout> | undefined;
  let shownDone: number | null = null;
  const watch = async (name: string, first: boolean): Promise<void> => {
    let p: Progress | null = null;
    let unreadable = false;
    try {
      const res = await fetch(`reports/${name === '.' ? '' : `${name}/`}progress.json`, { cache: 'no-cache' });
      if (res.ok) p = (await res.json()) as Progress;
      else if (res.status !== 404) unreadable = true;
    } catch {
      unreadable = true;
    }
    if (name !== current) return;
    if (unreadable && !first) {
      // A server restart or a file being replaced: keep what is shown and try again.
      poll = setTimeout(() => void watch(name, false), PROGRESS_POLL_MS);
      return;
    }
    renderProgress(p);
    (window as unknown as { __rrlProgress: unknown }).__rrlProgress = p ? { report: name, state: p.state, done: p.done, updatedAt: p.updatedAt } : null;
    if (!p) return;
    if (first) shownDone = p.done + p.failed;
    else if (p.done + p.failed !== shownDone) {
      shownDone = p.done + p.failed;
      await reload(name);
    }
    if (p.state === 'running') poll = setTimeout(() => void watch(name, false), PROGRESS_POLL_MS);
  };
  const reload = async (name: string) => {
    try {
      const res = await fetch(`reports/${name === '.' ? '' : `${name}/`}results.json`, { cache: 'no-cache' });
      if (res.ok && name === current) render(name, (await res.json()) as Results);
    } catch {
      // the next poll tries again
    }
  };
  const load = async (name: string) => {
    clearTimeout(poll);
    renderProgress(null);
    current = name;
    select.value = name;
    renderList(list, current, open);
    status.hidden = false;
    status.textContent = `loading ${name}…`;
    try {
      const entry = list.find((e) => e.name === name);
      if (entry?.error) throw new Error(entry.error);
      const res = await fetch(`reports/${name === '.' ? '' : `${name}/`}results.json`, { cache: 'no-cache' });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      render(name, (await res.json()) as Results);
    } catch (e) {
      $('bench-body').hidden = true;
      status.textContent = `Could not load ${name}: ${(e as Error).message}`;
    }
    await watch(name, true);
  };
  const open = (name: string) => {
    const u = new URL(location.href);
    u.searchParams.set('report', name);
    history.replaceState(null, '', u);
    void load(name);
  };
  select.addEventListener('change', () => open(select.value));
  await load(current);
}

void main();
