// Helpers for tests that run the npm scripts as a user does and stop them with real signals.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { resolve } from 'node:path';

export const root = resolve(import.meta.dirname, '../..');

export interface Running {
  child: ChildProcess;
  pid: number;
  output(): string;
  /** Resolves with the first match of `re` in the output so far or to come. */
  waitFor(re: RegExp, ms: number): Promise<RegExpMatchArray>;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>;
}

/**
 * `npm run <script> -- args` in the repository. `group`: in a process group of its own, so the
 * test can signal the whole group as a terminal's Ctrl-C does.
 */
export function npmRun(script: string, args: string[], opts: { group?: boolean; env?: NodeJS.ProcessEnv } = {}): Running {
  const child = spawn('npm', ['run', '--silent', script, '--', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: opts.group ?? false, env: { ...process.env, CI: '', ...opts.env } });
  let out = '';
  const waiters: { re: RegExp; res: (m: RegExpMatchArray) => void }[] = [];
  const onData = (b: Buffer) => {
    out += b;
    for (const w of [...waiters]) {
      const m = out.match(w.re);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.res(m);
      }
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>((res) => child.on('exit', (code, signal) => setTimeout(() => res({ code, signal, out }), 50)));
  return {
    child,
    pid: child.pid!,
    output: () => out,
    waitFor: (re, ms) =>
      new Promise((res, rej) => {
        const m = out.match(re);
        if (m) return res(m);
        const t = setTimeout(() => rej(new Error(`timed out after ${ms} ms waiting for ${re} in:\n${out}`)), ms);
        waiters.push({ re, res: (x) => (clearTimeout(t), res(x)) });
        void done.then(() => setTimeout(() => rej(new Error(`the process ended before ${re} appeared:\n${out}`)), 100));
      }),
    done,
  };
}

/** `pid` and every process below it (Linux: from ps). */
export function treeOf(pid: number): number[] {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number));
  const out = [pid];
  for (let i = 0; i < out.length; i++) for (const [p, pp] of rows) if (pp === out[i]) out.push(p);
  return out;
}

/** A process's command line (Linux: /proc). */
export function commandOf(pid: number): string {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Does anything accept connections on 127.0.0.1:port? */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      res(true);
    });
    s.once('error', () => res(false));
  });
}

export async function until(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
