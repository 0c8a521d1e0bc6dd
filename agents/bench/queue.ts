// What the sweep coordinator (`npm run bench -- --queue URL`, coordinator.ts) and the workers
// (`npm run worker`, worker.ts) share: the Redis address, the BullMQ queue and job ids, the job's
// data and result, and the per-sweep Redis stream that carries each attempt's start and metric rows
// back while it trains. The rules for which rows count (RunLedger) are pure, so they are tested
// without Redis.
//
// Why these channels: BullMQ's job completion is guarded by the job's lock token, so the final
// record travels as the job's return value and a run can only be completed once, by the worker
// that holds it. Rows stream through a Redis stream (XADD/XREAD) rather than job progress: a stream
// keeps every entry, so a coordinator that was stopped or restarted reads what it missed, in order.
import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import type { MetricsRow } from '../train/observer.ts';
import type { SweepSpec } from './spec.ts';

/** The BullMQ queue every sweep's runs go through (jobs are told apart by their ids). */
export const QUEUE_NAME = 'rrl-bench';
/** In a sweep folder run through a queue: its sweep id and the queue's address (no password). */
export const QUEUE_FILE = 'queue.json';
/** Where the coordinator writes the sweep's progress, beside the report (the report page polls it). */
export const PROGRESS_FILE = 'progress.json';
/** The environment variable a password may come from instead of the URL (which `ps` shows). */
export const PASSWORD_ENV = 'RRL_REDIS_PASSWORD';

/** Connection settings both ioredis and BullMQ take. */
export interface RedisConnectionOptions {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls?: Record<string, never>;
  /** null: commands wait out a reconnection (BullMQ's workers need it). */
  maxRetriesPerRequest: null;
}

export interface RedisTarget {
  /** For messages, reports and queue.json: the URL without its password. */
  display: string;
  options: RedisConnectionOptions;
}

/**
 * `redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]`, or `rediss://` for TLS. `flag` names the flag in
 * errors. The password may come from $RRL_REDIS_PASSWORD when the URL has none.
 */
export function parseRedisUrl(value: string, flag = 'queue', env: NodeJS.ProcessEnv = process.env): RedisTarget {
  const bad = (why: string) => new Error(`--${flag} must be a Redis URL like redis://HOST:6379 (${why}), got "${value}"`);
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw bad('not a URL');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw bad(`the scheme must be redis:// or rediss://, not ${u.protocol}//`);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw bad('no host');
  const port = u.port === '' ? 6379 : Number(u.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw bad('the port must be from 1 to 65535');
  const path = u.pathname.replace(/^\//, '');
  if (path !== '' && !/^(0|[1-9]\d{0,3})$/.test(path)) throw bad(`the path is a database number (/0, /1, ...), not /${path}`);
  if (u.search || u.hash) throw bad('no query or fragment');
  const db = path === '' ? 0 : Number(path);
  const username = decodeURIComponent(u.username) || undefined;
  const password = decodeURIComponent(u.password) || env[PASSWORD_ENV] || undefined;
  const display = `${u.protocol}//${u.username ? `${u.username}:` : ''}${u.password ? '***@' : u.username ? '@' : ''}${u.host}${db ? `/${db}` : ''}`;
  return {
    display,
    options: { host, port, db, username, password, ...(u.protocol === 'rediss:' ? { tls: {} } : {}), maxRetriesPerRequest: null },
  };
}

/** A command line with the password of any Redis URL in it replaced, for logs and reports. */
export function redactArgs(args: string[]): string[] {
  return args.map((a) => a.replace(/(rediss?:\/\/[^:/@\s]*:)[^@/\s]+@/g, '$1***@'));
}

/**
 * Connects once, with no retries, and answers PING: a wrong address or password fails at once
 * with a message that says what to do (BullMQ's own connections retry forever, which is right
 * mid-sweep but not for a typo).
 */
export async function checkRedis(target: RedisTarget, flag = 'queue'): Promise<void> {
  const client = new Redis({ ...target.options, lazyConnect: true, connectTimeout: 5000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  // The socket's own error (ECONNREFUSED, ENOTFOUND, ...) says more than connect()'s "Connection is closed".
  let socketError: Error | null = null;
  client.on('error', (e: Error) => (socketError ??= e));
  try {
    await client.connect();
    await client.ping();
  } catch (e) {
    const m = (socketError ?? (e as Error)).message;
    const hint = /NOAUTH|WRONGPASS|invalid password|Authentication required/i.test(m)
      ? `the server wants a password: redis://:PASSWORD@HOST:PORT, or set ${PASSWORD_ENV}`
      : 'start one (README: "Running a sweep on several machines") or check the address';
    throw new Error(`cannot use Redis at ${target.display} (--${flag}): ${m}; ${hint}`);
  } finally {
    client.disconnect();
  }
}

/** A sweep's job ids: the sweep's id and the run's (BullMQ refuses ":" in custom ids). */
export function jobIdOf(sweepId: string, runId: string): string {
  return `${sweepId}/${runId}`;
}

/** The Redis stream of a sweep's attempt starts and metric rows. */
export function eventsKey(sweepId: string): string {
  return `rrl:sweep:${sweepId}:events`;
}

/** What a job carries: everything a worker needs to run one run of a sweep. */
export interface RunJobData {
  sweepId: string;
  runId: string;
  spec: SweepSpec;
  /** The coordinator's git commit (null when unknown): a worker on another commit says so. */
  commit: string | null;
}

/** One start of a run on a worker, as attempts.jsonl records it in the coordinator's folder. */
export interface AttemptRecord {
  /**
   * The attempt's number: in the stream, BullMQ's count of starts of the job (stalls and hand-backs
   * included); in a run folder's attempts.jsonl, its place among all the run's attempts, earlier
   * sessions' included (mergeAttempts).
   */
  attempt: number;
  worker: string;
  startedAt: string;
  /** Env steps of the checkpoint it resumed from; 0 = from the start. */
  resumedFrom: number;
  backend: string;
  pid: number;
  /** The worker's git commit, when known. */
  commit?: string | null;
  /** The worker's machine: CPU, cores, memory, platform, Node. */
  machine?: string;
}

/** A finished run as its job's return value: its folder's records, from the worker's disk. */
export interface RunJobResult {
  attempt: number;
  worker: string;
  /** done.json as run-one.ts wrote it. */
  done: Record<string, unknown>;
  /** config.json (null if missing). */
  config: unknown;
  /** metrics.jsonl, whole: the rows of this run's line of checkpoints, each once. */
  metrics: string;
}

/**
 * One entry of a sweep's stream. `epoch` is when the run's job was created (BullMQ's
 * job.timestamp) and `attempt` its start count: a job enqueued again after Redis lost it starts
 * counting anew, and its attempts still come after the lost job's.
 */
export type StreamEvent =
  | { type: 'started'; run: string; epoch: number; attempt: number; record: AttemptRecord; rows: MetricsRow[] }
  | { type: 'row'; run: string; epoch: number; attempt: number; row: MetricsRow };

/** Flat field list for XADD. */
export function encodeEvent(e: StreamEvent): string[] {
  const { type, run, epoch, attempt, ...rest } = e;
  return ['type', type, 'run', run, 'epoch', String(epoch), 'attempt', String(attempt), 'data', JSON.stringify(rest)];
}

/** The entry back from XREAD's field list; null for an entry that is not one of ours or is damaged. */
export function decodeEvent(fields: string[]): StreamEvent | null {
  const m = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) m.set(fields[i], fields[i + 1]);
  const type = m.get('type');
  const run = m.get('run');
  const attempt = Number(m.get('attempt'));
  const epoch = Number(m.get('epoch'));
  if ((type !== 'started' && type !== 'row') || !run || !Number.isInteger(attempt) || attempt < 1 || !Number.isInteger(epoch) || epoch < 0) return null;
  try {
    const data = JSON.parse(m.get('data') ?? '');
    if (type === 'started' && data?.record && Array.isArray(data.rows)) return { type, run, epoch, attempt, record: data.record, rows: data.rows };
    if (type === 'row' && typeof data?.row?.envSteps === 'number') return { type, run, epoch, attempt, row: data.row };
  } catch {
    // fall through
  }
  return null;
}

/**
 * A run's attempts for its folder: those recorded there before this coordinator started (a Redis
 * without persistence, or a new one, streams only this session's), then the streamed ones, each
 * once, numbered in order.
 */
export function mergeAttempts(earlier: readonly AttemptRecord[], streamed: readonly AttemptRecord[]): AttemptRecord[] {
  const key = (a: AttemptRecord) => `${a.startedAt}|${a.worker}|${a.pid}`;
  const seen = new Set(streamed.map(key));
  return [...earlier.filter((a) => !seen.has(key(a))), ...streamed].map((a, i) => ({ ...a, attempt: i + 1 }));
}

/**
 * One run's rows and attempts as the coordinator has them from the stream. Only the current
 * attempt (the highest started so far) counts: an attempt's start brings the rows its checkpoint
 * covers and replaces everything after them, rows of older attempts (a worker that lost its lock
 * and has not noticed yet) are ignored, and rows only ever move forward in env steps. So the
 * coordinator's file never holds a step twice, whichever worker died when.
 */
export class RunLedger {
  /** The current attempt: its job's epoch and its number. */
  epoch = 0;
  attempt = 0;
  rows: MetricsRow[] = [];
  attempts: AttemptRecord[] = [];

  /** 'restart': rows replaced (rewrite the file); 'row': one row appended; else why it was ignored. */
  apply(e: StreamEvent): { kind: 'restart' } | { kind: 'row'; row: MetricsRow } | { kind: 'ignored'; why: string } {
    const order = e.epoch - this.epoch || e.attempt - this.attempt;
    if (order < 0) return { kind: 'ignored', why: `attempt ${e.attempt} is older than the current attempt ${this.attempt}` };
    if (e.type === 'started') {
      if (order === 0) return { kind: 'ignored', why: `attempt ${e.attempt} started twice` };
      this.epoch = e.epoch;
      this.attempt = e.attempt;
      this.rows = increasing(e.rows);
      this.attempts.push({ ...e.record, attempt: e.attempt });
      return { kind: 'restart' };
    }
    if (order > 0) return { kind: 'ignored', why: `a row of attempt ${e.attempt}, which has not started` };
    const last = this.rows[this.rows.length - 1];
    if (last && e.row.envSteps <= last.envSteps) return { kind: 'ignored', why: `a row at ${e.row.envSteps} env steps after one at ${last.envSteps}` };
    this.rows.push(e.row);
    return { kind: 'row', row: e.row };
  }
}

/**
 * metrics.jsonl text with env steps strictly increasing: read from the end, a row is kept when its
 * env steps are below those of the next row kept, so at a repeated step the last row wins and a row
 * followed by a smaller step goes. Rows of one attempt already increase, so this only removes rows
 * an overlapping attempt slipped in (and damaged lines).
 */
export function oneRowPerStep(text: string): string {
  const kept: string[] = [];
  let next = Infinity;
  const lines = text.split('\n').filter((l) => l.trim());
  for (let i = lines.length - 1; i >= 0; i--) {
    let steps: unknown;
    try {
      steps = (JSON.parse(lines[i]) as { envSteps?: unknown }).envSteps;
    } catch {
      continue;
    }
    if (typeof steps !== 'number' || !(steps < next)) continue;
    kept.push(lines[i]);
    next = steps;
  }
  return kept.reverse().map((l) => l + '\n').join('');
}

/** The rows with env steps strictly increasing (a damaged prefix loses its out-of-order rows). */
function increasing(rows: MetricsRow[]): MetricsRow[] {
  const out: MetricsRow[] = [];
  for (const r of rows) if (typeof r?.envSteps === 'number' && (!out.length || r.envSteps > out[out.length - 1].envSteps)) out.push(r);
  return out;
}

/** This process's name among the workers: host and process id. */
export function defaultWorkerName(): string {
  return `${hostname()}:${process.pid}`;
}
