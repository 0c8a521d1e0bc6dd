// Checkpoints: one binary file holding the agent's spec, the run's counters and settings, every
// network parameter and optimizer moment, ending in a SHA-256 of everything before it.
//
//   "RRLCKPT1" | u32 header length | header JSON | float32 data ... | sha256 (32 bytes)
//
// (Input-normaliser statistics are float64: stored as pairs of float32 words, bit for bit.)
//
// Written atomically: to a temporary file in the same folder, flushed, then renamed over the old
// one, so a crash mid-write never leaves a half file as the latest (the temporary files of writes
// that a kill interrupted are removed by removeStaleTemps). A file that is truncated, modified, of
// another format version, malformed (its header is checked against a schema), holding non-finite
// parameters, or made for another task set or architecture is refused with a message naming the
// file and what is wrong; it is never silently used.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { METADATA_DIM } from '../sim/layout.ts';
import type { TaskSummary } from '../sim/rollout.ts';
import type { AgentSpec, AgentState, MultiTaskAgent } from './agent.ts';
import { ARCHS, DESCRIPTORS } from './nn/conditioned.ts';
import { STRATEGIES } from './strategy.ts';
import { LANGUAGE_DIM } from '../sim/language.ts';
import type { SacState } from './sac/update.ts';
import { REPLAY_FIELDS, type ReplaySnapshot } from './replay.ts';

const MAGIC = Buffer.from('RRLCKPT1', 'ascii');
/** 3: goal-relative network inputs (replay.ts's STATE_DIM) and the replay's achieved goals. */
export const CHECKPOINT_VERSION = 3;

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

/** Counters and settings a resumed run continues from. */
export interface RunState {
  envSteps: number;
  updates: number;
  episodes: number;
  wallSeconds: number;
  /** Learner's random generator state (batch sampling). */
  rng: number[];
  /** The training configuration, for the record and for resume checks. */
  config: Record<string, unknown>;
  /** The evaluation best.bin holds (highest mean success so far; the later one on a tie). */
  best?: { envSteps: number; wallSeconds: number; meanSuccess: number };
  /**
   * Bytes of metrics.jsonl that belong to this checkpoint: rows written after it are dropped on
   * resume, since the resumed run logs those steps again (absent in checkpoints of older builds).
   */
  metricsBytes?: number;
  /** Env steps of the last metrics row written (so a stopped run never writes a step's row twice). */
  lastRowEnvSteps?: number;
  /** The last evaluation: a run resumed when it is already complete reports it as its final one. */
  lastEval?: { envSteps: number; tasks: TaskSummary[] };
  /** Training episodes per task finished since the last metrics row (the next row counts them). */
  window?: { episodes: number; successes: number; ret: number }[];
  /** Each task's last training outcomes (1 success), which the `weighted` strategy samples by. */
  recentSuccess?: number[][];
}

export interface Checkpoint {
  spec: AgentSpec;
  run: RunState;
  agent: AgentState;
  /** Replay and demonstration buffers per task, so a resumed run continues with its data. */
  replay?: { buffers: ReplaySnapshot[]; demos: ReplaySnapshot[] };
}

interface Header {
  version: number;
  spec: AgentSpec;
  run: RunState;
  noiseSeed: number;
  updates: number;
  optimizerSteps: { actor: number; critic: number; alpha: number };
  normCount: number;
  /** Lengths of the float32 blocks, in order. */
  blocks: { name: string; length: number }[];
  replay?: { buffers: ReplayMeta[]; demos: ReplayMeta[] };
}

type ReplayMeta = Omit<ReplaySnapshot, 'arrays'>;

const count = z.number().int().nonnegative();
const finite = z.number().finite();
const summary = z.object({
  task: z.string(),
  episodes: count,
  successRate: finite,
  meanReturn: finite,
  meanLength: finite,
  // How the evaluation's episodes ended (absent in checkpoints written before it was recorded).
  resetReasons: z.object({ success: count, timeLimit: count, invalidState: count }).strict().optional(),
});
const replayMeta = z.object({ capacity: z.number().int().positive(), written: count, episodes: count });

/** What a decoded header must hold; anything else is refused naming the field. */
const headerSchema = z.object({
  version: z.literal(CHECKPOINT_VERSION),
  spec: z
    .object({
      tasks: z.array(z.string().min(1)).min(1),
      metadata: z.array(z.array(finite).length(METADATA_DIM)),
      language: z.array(z.array(finite).length(LANGUAGE_DIM)).optional(),
      arch: z.enum(ARCHS),
      descriptor: z.enum(DESCRIPTORS),
      experts: z.number().int().positive(),
      normalize: z.boolean(),
      strategy: z.enum(STRATEGIES).optional(),
      softLambda: z.number().finite().nonnegative().optional(),
      sac: z.looseObject({
        hidden: z.array(z.number().int().positive()).min(1),
        numCritics: z.number().int().positive(),
        gamma: finite,
        tau: finite,
        qLr: finite,
        policyLr: finite,
        alphaLr: finite,
        initLogAlpha: finite,
        targetEntropyScale: finite,
        logStdMin: finite,
        logStdMax: finite,
        adamBeta1: finite,
        adamBeta2: finite,
        adamEps: finite,
        targetClip: z.tuple([finite, finite]).nullable(),
        seed: count,
      }),
    })
    .refine((sp) => sp.metadata.length === sp.tasks.length, { message: 'needs one metadata row per task', path: ['metadata'] })
    .refine((sp) => sp.descriptor !== 'language' || sp.language?.length === sp.tasks.length, { message: 'the language descriptor needs one language row per task', path: ['language'] }),
  run: z.looseObject({
    envSteps: count,
    updates: count,
    episodes: count,
    wallSeconds: z.number().finite().nonnegative(),
    rng: z.array(z.number().int()).length(4),
    config: z.record(z.string(), z.unknown()),
    best: z.object({ envSteps: count, wallSeconds: finite, meanSuccess: finite }).optional(),
    metricsBytes: count.optional(),
    lastRowEnvSteps: count.optional(),
    lastEval: z.object({ envSteps: count, tasks: z.array(summary) }).optional(),
    window: z.array(z.object({ episodes: count, successes: count, ret: finite })).optional(),
    recentSuccess: z.array(z.array(z.union([z.literal(0), z.literal(1)]))).optional(),
  }),
  noiseSeed: z.number().int(),
  updates: count,
  optimizerSteps: z.object({ actor: count, critic: count, alpha: count }),
  normCount: z.number().nonnegative(),
  blocks: z.array(z.object({ name: z.string().min(1), length: count })),
  replay: z.object({ buffers: z.array(replayMeta), demos: z.array(replayMeta) }).optional(),
});

/** A float64 array's bytes as float32 words: stored bit for bit. */
const asWords = (a: Float64Array): Float32Array => new Float32Array(a.buffer, a.byteOffset, a.length * 2);
const fromWords = (w: Float32Array): Float64Array => new Float64Array(w.slice().buffer);

function blocksOf(agent: AgentState, replay?: Checkpoint['replay']): { name: string; data: Float32Array }[] {
  const s: SacState = agent.sac;
  const out: { name: string; data: Float32Array }[] = [];
  out.push({ name: 'norm.mean', data: asWords(agent.norm.mean) });
  out.push({ name: 'norm.m2', data: asWords(agent.norm.m2) });
  const add = (prefix: string, arrs: Float32Array[]) => arrs.forEach((a, i) => out.push({ name: `${prefix}.${i}`, data: a }));
  add('actor', s.actor);
  add('critic', s.critic);
  add('criticTarget', s.criticTarget);
  out.push({ name: 'logAlpha', data: s.logAlpha });
  for (const k of ['actor', 'critic', 'alpha'] as const) {
    add(`adam.${k}.m`, s.optimizers[k].m);
    add(`adam.${k}.v`, s.optimizers[k].v);
  }
  if (replay) {
    for (const kind of ['buffers', 'demos'] as const) {
      replay[kind].forEach((r, t) => {
        for (const f of REPLAY_FIELDS) out.push({ name: `${kind}.${t}.${f}`, data: r.arrays[f] });
      });
    }
  }
  return out;
}

export function encodeCheckpoint(c: Checkpoint): Buffer {
  const blocks = blocksOf(c.agent, c.replay);
  const sac = c.agent.sac;
  const header: Header = {
    version: CHECKPOINT_VERSION,
    spec: c.spec,
    run: c.run,
    noiseSeed: sac.noiseSeed,
    updates: sac.updates,
    optimizerSteps: { actor: sac.optimizers.actor.step, critic: sac.optimizers.critic.step, alpha: sac.optimizers.alpha.step },
    normCount: c.agent.norm.count,
    blocks: blocks.map((b) => ({ name: b.name, length: b.data.length })),
    replay: c.replay && {
      buffers: c.replay.buffers.map(({ capacity, written, episodes }) => ({ capacity, written, episodes })),
      demos: c.replay.demos.map(({ capacity, written, episodes }) => ({ capacity, written, episodes })),
    },
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length);
  const parts = [MAGIC, len, json, ...blocks.map((b) => Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength))];
  const body = Buffer.concat(parts);
  return Buffer.concat([body, createHash('sha256').update(body).digest()]);
}

export function decodeCheckpoint(buf: Buffer, source = 'checkpoint'): Checkpoint {
  if (buf.length < MAGIC.length + 4 + 32 || !buf.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new CheckpointError(`${source} is not a checkpoint of this project (bad magic bytes)`);
  }
  const body = buf.subarray(0, buf.length - 32);
  const sum = buf.subarray(buf.length - 32);
  if (!createHash('sha256').update(body).digest().equals(sum)) {
    throw new CheckpointError(`${source} is corrupt: its checksum does not match (truncated or modified)`);
  }
  const hlen = buf.readUInt32LE(MAGIC.length);
  if (MAGIC.length + 4 + hlen > body.length) throw new CheckpointError(`${source} is corrupt: its header length (${hlen} bytes) runs past the end`);
  let raw: unknown;
  try {
    raw = JSON.parse(buf.subarray(MAGIC.length + 4, MAGIC.length + 4 + hlen).toString('utf8'));
  } catch (e) {
    throw new CheckpointError(`${source} is corrupt: unreadable header (${(e as Error).message})`);
  }
  const version = raw && typeof raw === 'object' ? (raw as { version?: unknown }).version : undefined;
  if (version !== CHECKPOINT_VERSION) {
    const why = version === 2 ? ' (version 2 agents saw no goal-relative inputs, so their networks do not fit this build: train a new agent)' : '';
    throw new CheckpointError(`${source} has format version ${JSON.stringify(version)}; this build reads version ${CHECKPOINT_VERSION}${why}`);
  }
  const parsed = headerSchema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new CheckpointError(`${source} has a malformed header: field "${i.path.join('.') || '(header)'}": ${i.message}`);
  }
  const header = parsed.data as unknown as Header;
  let off = MAGIC.length + 4 + hlen;
  const data = new Map<string, Float32Array>();
  for (const b of header.blocks) {
    const bytes = b.length * 4;
    if (data.has(b.name)) throw new CheckpointError(`${source} has a malformed header: block "${b.name}" is listed twice`);
    if (off + bytes > body.length) throw new CheckpointError(`${source} is corrupt: block ${b.name} runs past the end`);
    // Copy: the file buffer's offset need not be 4-byte aligned.
    data.set(b.name, new Float32Array(new Uint8Array(body.subarray(off, off + bytes)).buffer));
    off += bytes;
  }
  if (off !== body.length) throw new CheckpointError(`${source} is corrupt: ${body.length - off} unexpected bytes after the data`);
  // Parameters that turned NaN or infinite (a diverged run) would act as NaN actions: refuse them here.
  for (const [name, arr] of data) {
    if (name.startsWith('buffers.') || name.startsWith('demos.')) continue;
    const values = name.startsWith('norm.') ? fromWords(arr) : arr;
    const bad = values.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) throw new CheckpointError(`${source}: parameters "${name}" hold a non-finite value (${values[bad]} at index ${bad}): the run that wrote it diverged; use an earlier checkpoint or best.bin`);
  }
  const take = (prefix: string) => {
    const out: Float32Array[] = [];
    for (let i = 0; data.has(`${prefix}.${i}`); i++) out.push(data.get(`${prefix}.${i}`)!);
    return out;
  };
  const adam = (k: 'actor' | 'critic' | 'alpha') => ({ step: header.optimizerSteps[k], m: take(`adam.${k}.m`), v: take(`adam.${k}.v`) });
  const snap = (kind: 'buffers' | 'demos') =>
    header.replay![kind].map((meta, t) => ({
      ...meta,
      arrays: Object.fromEntries(REPLAY_FIELDS.map((f) => [f, data.get(`${kind}.${t}.${f}`) ?? new Float32Array(0)])) as ReplaySnapshot['arrays'],
    }));
  return {
    replay: header.replay ? { buffers: snap('buffers'), demos: snap('demos') } : undefined,
    spec: header.spec,
    run: header.run,
    agent: {
      sac: {
        actor: take('actor'),
        critic: take('critic'),
        criticTarget: take('criticTarget'),
        logAlpha: data.get('logAlpha') ?? new Float32Array(0),
        optimizers: { actor: adam('actor'), critic: adam('critic'), alpha: adam('alpha') },
        noiseSeed: header.noiseSeed,
        updates: header.updates,
      },
      norm: {
        count: header.normCount,
        mean: fromWords(data.get('norm.mean') ?? new Float32Array(0)),
        m2: fromWords(data.get('norm.m2') ?? new Float32Array(0)),
      },
    },
  };
}

/** The temporary file a write of `path` goes through (one per process). */
const tempOf = (path: string) => `${path}.tmp-${process.pid}`;

/** Writes atomically: temp file, fsync, rename over `path`. */
export function saveCheckpoint(path: string, c: Checkpoint): void {
  const buf = encodeCheckpoint(c);
  const tmp = tempOf(path);
  const fd = openSync(tmp, 'w');
  try {
    let done = 0;
    while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    if (existsSync(tmp)) unlinkSync(tmp);
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
}

export function loadCheckpoint(path: string): Checkpoint {
  if (!existsSync(path)) throw new CheckpointError(`no checkpoint at ${path}`);
  if (statSync(path).isDirectory()) {
    throw new CheckpointError(`${path} is a folder, not a checkpoint file${existsSync(join(path, 'checkpoint.bin')) ? ` (did you mean ${join(path, 'checkpoint.bin')}?)` : ''}`);
  }
  return decodeCheckpoint(readFileSync(path), path);
}

/** Puts a checkpoint's networks, optimizer moments and normaliser into `agent` (built from its spec). */
export function restoreAgent(agent: MultiTaskAgent, ck: Checkpoint, source: string): void {
  try {
    agent.setState(ck.agent);
  } catch (e) {
    throw new CheckpointError(`${source} does not fit the agent its own header describes: ${(e as Error).message}`);
  }
}

/**
 * Removes the temporary files of checkpoint writes in `dir` (`<file>.tmp-<pid>`) whose process is
 * gone: what a kill in the middle of a write leaves behind. A live process's write is left alone.
 */
export function removeStaleTemps(dir: string, files: readonly string[]): string[] {
  const removed: string[] = [];
  if (!existsSync(dir)) return removed;
  for (const name of readdirSync(dir)) {
    const m = /^(.+)\.tmp-(\d+)$/.exec(name);
    if (!m || !files.includes(m[1])) continue;
    const pid = Number(m[2]);
    if (pid !== process.pid && isAlive(pid)) continue;
    unlinkSync(join(dir, name));
    removed.push(name);
  }
  return removed;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Refuses a checkpoint whose agent differs from the one this run would build. */
export function assertCompatible(saved: AgentSpec, wanted: AgentSpec, source: string): void {
  const diffs: string[] = [];
  if (JSON.stringify(saved.tasks) !== JSON.stringify(wanted.tasks)) diffs.push(`tasks ${JSON.stringify(saved.tasks)} vs ${JSON.stringify(wanted.tasks)}`);
  if (saved.arch !== wanted.arch) diffs.push(`architecture ${saved.arch} vs ${wanted.arch}`);
  if (saved.descriptor !== wanted.descriptor) diffs.push(`descriptor ${saved.descriptor} vs ${wanted.descriptor}`);
  if (JSON.stringify(saved.sac.hidden) !== JSON.stringify(wanted.sac.hidden)) diffs.push(`hidden ${JSON.stringify(saved.sac.hidden)} vs ${JSON.stringify(wanted.sac.hidden)}`);
  if (saved.experts !== wanted.experts && saved.arch === 'moe') diffs.push(`experts ${saved.experts} vs ${wanted.experts}`);
  if (JSON.stringify(saved.metadata) !== JSON.stringify(wanted.metadata)) diffs.push('task metadata differs');
  if (saved.descriptor === 'language' && wanted.descriptor === 'language' && JSON.stringify(saved.language) !== JSON.stringify(wanted.language)) {
    diffs.push("task language vectors differ (a task's description or the word vectors changed)");
  }
  if (saved.normalize !== wanted.normalize) diffs.push(`input normalisation ${saved.normalize} vs ${wanted.normalize}`);
  // Checkpoints from before the strategies existed trained with none.
  if ((saved.strategy ?? 'none') !== (wanted.strategy ?? 'none')) diffs.push(`strategy ${saved.strategy ?? 'none'} vs ${wanted.strategy ?? 'none'}`);
  if (saved.arch === 'soft' && wanted.arch === 'soft' && (saved.softLambda ?? 0) !== (wanted.softLambda ?? 0)) diffs.push(`soft lambda ${saved.softLambda ?? 0} vs ${wanted.softLambda ?? 0}`);
  // Checkpoints from before these settings existed had two critics and no LayerNorm.
  if ((saved.sac.numCritics ?? 2) !== wanted.sac.numCritics) diffs.push(`critics ${saved.sac.numCritics ?? 2} vs ${wanted.sac.numCritics}`);
  if ((saved.sac.layerNorm ?? false) !== wanted.sac.layerNorm) diffs.push(`LayerNorm ${saved.sac.layerNorm ?? false} vs ${wanted.sac.layerNorm}`);
  if (diffs.length) throw new CheckpointError(`${source} does not match this run (saved vs requested): ${diffs.join('; ')}`);
}
