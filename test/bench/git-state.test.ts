import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gitState, splitChanges } from '../../agents/bench/git-state.ts';

describe('splitChanges', () => {
  it('counts files inside a sweep output folder as results and everything else as code', () => {
    const top = mkdtempSync(join(tmpdir(), 'rrl-git-'));
    mkdirSync(join(top, 'docs/benchmarks/mt10/report'), { recursive: true });
    writeFileSync(join(top, 'docs/benchmarks/mt10/sweep.json'), '{}');
    mkdirSync(join(top, 'docs/benchmarks/notes'), { recursive: true });
    const { code, results } = splitChanges(
      ['docs/benchmarks/mt10/invocations.jsonl', 'docs/benchmarks/mt10/report/report.md', 'docs/benchmarks/notes/a.md', 'agents/config.ts', 'README.md'],
      top,
    );
    expect(results).toEqual(['docs/benchmarks/mt10/invocations.jsonl', 'docs/benchmarks/mt10/report/report.md']);
    expect(code).toEqual(['docs/benchmarks/notes/a.md', 'agents/config.ts', 'README.md']);
  });
});

describe('gitState', () => {
  it('is clean when only sweep results changed, and names the code that changed', () => {
    const top = mkdtempSync(join(tmpdir(), 'rrl-git-'));
    const git = (...a: string[]) => execFileSync('git', a, { cwd: top, stdio: 'ignore' });
    git('init', '-q');
    mkdirSync(join(top, 'out'));
    writeFileSync(join(top, 'out/sweep.json'), '{}');
    writeFileSync(join(top, 'out/invocations.jsonl'), '');
    writeFileSync(join(top, 'code.ts'), 'a');
    git('add', '.');
    git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'x');
    writeFileSync(join(top, 'out/invocations.jsonl'), '{}\n');
    expect(gitState(top)).toMatchObject({ dirty: false, changed: [], sweepResults: 1 });
    writeFileSync(join(top, 'code.ts'), 'b');
    expect(gitState(top)).toMatchObject({ dirty: true, changed: ['code.ts'], sweepResults: 1 });
    // Outside any repository: git is told not to look above a fresh folder (the temp dir may itself lie in one).
    const outside = mkdtempSync(join(tmpdir(), 'rrl-nogit-'));
    const before = process.env.GIT_CEILING_DIRECTORIES;
    process.env.GIT_CEILING_DIRECTORIES = dirname(outside);
    try {
      expect(gitState(outside)).toEqual({ commit: null, dirty: null });
    } finally {
      if (before === undefined) delete process.env.GIT_CEILING_DIRECTORIES;
      else process.env.GIT_CEILING_DIRECTORIES = before;
    }
  });
});
