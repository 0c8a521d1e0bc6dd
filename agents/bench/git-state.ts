// The commit a sweep command ran at, and which files differed from it. Changed files inside a
// sweep's output folder (one holding sweep.json: its runs, report and invocations) are results, not
// code: a sweep committed part-way and resumed would otherwise list its own and other sweeps'
// results as "uncommitted changes" and hide the one code change a reader needs to see.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SWEEP_FILE } from './spec.ts';

export interface GitState {
  commit: string | null;
  /** Whether code (anything outside sweep output folders) differed from the commit. */
  dirty: boolean | null;
  /** Those files, at most 50. */
  changed?: string[];
  /** How many changed files were sweep results (not listed). */
  sweepResults?: number;
}

/** Splits changed paths (relative to the repository's top) into code and sweep results. */
export function splitChanges(paths: readonly string[], top: string): { code: string[]; results: string[] } {
  const code: string[] = [];
  const results: string[] = [];
  for (const p of paths) (inSweepFolder(p, top) ? results : code).push(p);
  return { code, results };
}

function inSweepFolder(path: string, top: string): boolean {
  for (let dir = dirname(path); dir !== '.' && dir !== '/' && dir !== ''; dir = dirname(dir)) {
    if (existsSync(join(top, dir, SWEEP_FILE))) return true;
  }
  return false;
}

/** The state of the repository holding `cwd`; nulls outside one. */
export function gitState(cwd = process.cwd()): GitState {
  const git = (...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const commit = git('rev-parse', 'HEAD').trim();
    const top = git('rev-parse', '--show-toplevel').trim();
    // Porcelain paths are relative to the top; a rename reads "old -> new".
    const paths = git('status', '--porcelain', '--untracked-files=no')
      .split('\n')
      .map((l) => l.slice(3).trim().split(' -> ').pop()!.replace(/^"|"$/g, ''))
      .filter(Boolean);
    const { code, results } = splitChanges(paths, top);
    return { commit, dirty: code.length > 0, changed: code.slice(0, 50), sweepResults: results.length };
  } catch {
    return { commit: null, dirty: null };
  }
}
