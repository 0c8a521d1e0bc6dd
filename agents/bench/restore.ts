// A sweep's finished runs brought back from its report. The sweep folder's runs/ is never
// committed (it holds checkpoints; .gitignore), while the report's raw/ folder is: it keeps every
// run's metrics.jsonl, config.json, attempts.jsonl and done.json. In a fresh clone of a committed
// sweep, the same command would otherwise find no finished run, train all of them again, and
// rewrite raw/ from the new runs alone. A run that had not finished keeps no checkpoint in raw/,
// so it starts over (its earlier attempts stay in the repository's history).
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DONE_FILE, type RunPlan } from './spec.ts';
import { isFinished } from './sweep.ts';

/**
 * Copies raw/<run>/ of the report into <sweep>/runs/<run>/ for every planned run that the report
 * has finished (done.json) and the sweep folder has not. Returns the restored run ids.
 */
export function restoreFinishedRuns(sweepDir: string, reportDir: string, plans: RunPlan[]): string[] {
  const restored: string[] = [];
  for (const r of plans) {
    const dst = join(sweepDir, 'runs', r.id);
    const src = join(reportDir, 'raw', r.id);
    if (isFinished(sweepDir, r) || !existsSync(join(src, DONE_FILE))) continue;
    mkdirSync(dst, { recursive: true });
    // done.json last, so a copy cut short leaves a run that is not marked finished.
    const files = readdirSync(src).filter((f) => f !== DONE_FILE);
    for (const f of [...files, DONE_FILE]) copyFileSync(join(src, f), join(dst, f));
    restored.push(r.id);
  }
  return restored;
}
