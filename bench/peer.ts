// Running a peer: one of the Python scripts in bench/peers/, with the Python a user points to
// through an environment variable (TORCH_PYTHON for PyTorch, MW_PYTHON for Meta-World). No
// variable, or a Python that cannot import what the peer needs, means no peer: the benchmarks then
// print the project's figures alone, with one line saying why.
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PEERS_DIR = dirname(fileURLToPath(import.meta.url)) + '/peers';
/** The repository root (this file is bench/peer.ts). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface PeerPython {
  python: string | null;
  /** Why there is no peer, when there is none. */
  reason: string;
  /** Versions the probe printed (e.g. "torch 2.13.0+cpu"). */
  version?: string;
}

/**
 * The Python in `envVar`, if it can run `probe` (a Python snippet that imports the peer's modules
 * and prints a version line). `extraEnv` is added to the probe's environment (e.g. PYTHONPATH).
 */
export function findPeerPython(envVar: string, probe: string, what: string, extraEnv: Record<string, string> = {}): PeerPython {
  const python = process.env[envVar];
  if (!python) return { python: null, reason: `${envVar} is not set (point it to a Python with ${what} to compare)` };
  const r = spawnSync(python, ['-c', probe], { encoding: 'utf8', env: { ...process.env, ...extraEnv } });
  if (r.error) return { python: null, reason: `${envVar}=${python} cannot run: ${r.error.message}` };
  if (r.status !== 0) {
    const last = (r.stderr || '').trim().split('\n').pop() ?? '';
    return { python: null, reason: `${envVar}=${python} cannot import ${what}: ${last}` };
  }
  return { python, reason: '', version: r.stdout.trim() };
}

/** Runs bench/peers/<script> with args; its last stdout line is one JSON object. */
export function runPeer<T>(python: string, script: string, args: string[], extraEnv: Record<string, string> = {}): T | string {
  const r = spawnSync(python, [resolve(PEERS_DIR, script), ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...extraEnv },
    maxBuffer: 16 * 1024 * 1024,
  });
  const last = (r.stdout ?? '').trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (r.status !== 0 || !last) {
    const why = (r.stderr || r.stdout || `${r.error ?? `exit ${r.status}`}`).trim().split('\n').pop();
    return `${script} failed: ${why}`;
  }
  return JSON.parse(last) as T;
}
