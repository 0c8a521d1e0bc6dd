// .ci/run checks types as well as running the tests: run the real script in a copy of the
// repository's layout, with stand-ins for apt-get, dpkg-query and npm on its PATH that record what
// CI asked for (npm's "typecheck" fails or passes as told; "test" writes the JSON report vitest
// would). A type error must fail CI even when every test passes, and the tests still run.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'rrl-ci-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runCi(typecheckExit: number): { status: number | null; out: string; calls: string[] } {
  const repo = join(dir, `repo-${typecheckExit}`);
  const bin = join(repo, 'fake-bin');
  mkdirSync(join(repo, '.ci'), { recursive: true });
  mkdirSync(bin, { recursive: true });
  copyFileSync(join(root, '.ci', 'run'), join(repo, '.ci', 'run'));
  const calls = join(repo, 'calls.txt');
  const tool = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/usr/bin/env bash\necho "${name} $*" >> "${calls}"\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  tool('apt-get', 'exit 0');
  tool('dpkg-query', 'echo "libopenblas-dev 0.3, chromium 1"');
  tool(
    'npm',
    `case "$1 $2" in
  "run typecheck") echo "error TS2322: a type error"; exit ${typecheckExit} ;;
  "test "*|"test") mkdir -p artifacts; echo '{"numPassedTests":3,"numFailedTests":0,"numPendingTests":0,"numTodoTests":0,"numTotalTests":3}' > artifacts/vitest-results.json ;;
esac
exit 0`,
  );
  const r = spawnSync('bash', [join(repo, '.ci', 'run')], { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
  return { status: r.status, out: r.stdout + r.stderr, calls: readFileSync(calls, 'utf8').trim().split('\n') };
}

describe('.ci/run', () => {
  it('fails on a type error, after running the tests as well', () => {
    const r = runCi(2);
    expect(r.calls.filter((c) => c.startsWith('npm'))).toEqual(['npm ci --no-audit --no-fund', 'npm run typecheck', 'npm test']);
    expect(r.out).toContain('3 passed, 0 failed');
    expect(r.out).toContain('typecheck: FAILED');
    expect(r.status).toBe(1);
  });

  it('passes when the types check and the tests pass', () => {
    const r = runCi(0);
    expect(r.calls).toContain('npm run typecheck');
    expect(r.out).toContain('typecheck: passed');
    expect(r.status).toBe(0);
  });
});
