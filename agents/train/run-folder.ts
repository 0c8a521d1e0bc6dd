// A training run's folder: config.json, metrics.jsonl, checkpoint.bin (agent, replay, counters) and
// best.bin (the agent of the best evaluation). What is in it decides whether a run starts, resumes
// or is refused.
//
// Metrics rows are committed with checkpoints: each checkpoint records how many bytes of
// metrics.jsonl belong to it, and a resumed run first cuts the file back to that length. Rows
// written after the last checkpoint (including a row half-written by a kill) are dropped, since the
// resumed run steps through those env steps again and logs them itself: the file never holds a
// step twice, whatever moment the previous process died at.
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentSpec, MultiTaskAgent } from '../agent.ts';
import { isSetting, type SettingsTree } from '../cli/options.ts';
import { ConfigError, SETTINGS, type ConfigOverrides } from '../config.ts';
import { assertCompatible, loadCheckpoint, removeStaleTemps, restoreAgent, saveCheckpoint, type Checkpoint, type RunState } from '../checkpoint.ts';

export const CHECKPOINT_FILE = 'checkpoint.bin';
/**
 * The agent of the best evaluation so far (no replay: for evaluating and watching, not resuming).
 * Off-policy learners can lose a solved task later in a run; this keeps what it reached.
 */
export const BEST_FILE = 'best.bin';
export const METRICS_FILE = 'metrics.jsonl';
export const CONFIG_FILE = 'config.json';

/**
 * The settings `out`'s config.json holds (RunFolder.writeConfig), for --resume: a resumed run
 * continues with its own settings, and the command line changes only the ones it gives (a longer
 * --steps, say). Only declared settings are taken (config.json also records derived fields such as
 * taskNames), and not the folder itself. null: no config.json (nothing to resume: a new run).
 */
export function savedSettings(out: string): ConfigOverrides | null {
  const path = join(out, CONFIG_FILE);
  if (!existsSync(path)) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError(`${path}: not valid JSON (${(e as Error).message}); give the run's settings on the command line or start a new run in another --out`);
  }
  const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
  if (!isObject(raw)) throw new ConfigError(`${path}: not a settings object`);
  const keep = (v: Record<string, unknown>, tree: SettingsTree): Record<string, unknown> => {
    const kept: Record<string, unknown> = {};
    for (const [k, t] of Object.entries(tree)) {
      if (!(k in v)) continue;
      if (isSetting(t)) kept[k] = v[k];
      else if (isObject(v[k])) kept[k] = keep(v[k] as Record<string, unknown>, t);
    }
    return kept;
  };
  const { out: _out, ...saved } = keep(raw, SETTINGS);
  return saved as ConfigOverrides;
}

/** Does `out` hold a training run (metrics or a checkpoint), which only --resume may continue? */
export function holdsRun(out: string): boolean {
  return existsSync(join(out, METRICS_FILE)) || existsSync(join(out, CHECKPOINT_FILE));
}

export class RunFolder {
  readonly checkpointPath: string;
  readonly bestPath: string;
  readonly metricsPath: string;

  /** Creates the folder and removes the temporary files of checkpoint writes a kill interrupted. */
  constructor(
    readonly dir: string,
    private readonly log: (line: string) => void,
  ) {
    this.checkpointPath = join(dir, CHECKPOINT_FILE);
    this.bestPath = join(dir, BEST_FILE);
    this.metricsPath = join(dir, METRICS_FILE);
    mkdirSync(dir, { recursive: true });
    const stale = removeStaleTemps(dir, [CHECKPOINT_FILE, BEST_FILE]);
    if (stale.length) log(`removed ${stale.length} temporary file(s) of interrupted checkpoint writes in ${dir}: ${stale.join(', ')}`);
  }

  /** A new run may not overwrite another; --resume continues it. */
  refuseOverwrite(resume: boolean): void {
    if (!resume && holdsRun(this.dir)) {
      throw new Error(`${this.dir} already holds a run (${existsSync(this.metricsPath) ? METRICS_FILE : CHECKPOINT_FILE}); use --resume to continue it or choose another --out`);
    }
  }

  hasCheckpoint(): boolean {
    return existsSync(this.checkpointPath);
  }

  /** The checkpoint, checked against `spec` and restored into `agent`. */
  restore(spec: AgentSpec, agent: MultiTaskAgent): Checkpoint {
    const ck = loadCheckpoint(this.checkpointPath);
    assertCompatible(ck.spec, spec, this.checkpointPath);
    restoreAgent(agent, ck, this.checkpointPath);
    return ck;
  }

  /** Stopped (or killed) before its first checkpoint: nothing to continue from, so start over. */
  startOver(): void {
    this.log(`--resume: no checkpoint in ${this.dir} yet (the run stopped before its first one); starting the run from the beginning`);
    rmSync(this.metricsPath, { force: true });
    rmSync(this.bestPath, { force: true });
  }

  writeConfig(config: Record<string, unknown>): void {
    writeFileSync(join(this.dir, CONFIG_FILE), JSON.stringify(config, null, 2));
  }

  appendRow(row: object): void {
    appendFileSync(this.metricsPath, JSON.stringify(row) + '\n');
  }

  /** Bytes of metrics.jsonl: every row written so far belongs to the checkpoint written next. */
  metricsBytes(): number {
    return existsSync(this.metricsPath) ? statSync(this.metricsPath).size : 0;
  }

  saveCheckpoint(c: Checkpoint): void {
    saveCheckpoint(this.checkpointPath, c);
  }

  saveBest(c: Checkpoint): void {
    saveCheckpoint(this.bestPath, c);
  }

  /**
   * Cuts metrics.jsonl back to the rows a checkpoint covers (`run.metricsBytes`); returns how many
   * rows went. Checkpoints of builds that did not record the length keep the rows up to their env
   * steps, dropping a half-written last line (and take the last row's env steps from the file).
   */
  commitMetrics(run: RunState): number {
    const path = this.metricsPath;
    if (!existsSync(path)) {
      if (run.metricsBytes) this.log(`${path} is missing; the checkpoint had ${run.metricsBytes} bytes of rows: new rows start a new file`);
      return 0;
    }
    const text = readFileSync(path);
    if (run.metricsBytes !== undefined) {
      if (text.length < run.metricsBytes) {
        this.log(`${path} is shorter than its checkpoint recorded (${text.length} < ${run.metricsBytes} bytes): it was changed from outside; new rows follow what is there`);
        return 0;
      }
      const dropped = text.subarray(run.metricsBytes).toString('utf8').split('\n').filter((l) => l.trim()).length;
      if (text.length > run.metricsBytes) truncateSync(path, run.metricsBytes);
      return dropped;
    }
    const lines = text.toString('utf8').split('\n').filter((l) => l.trim());
    const keep = lines.filter((l) => {
      try {
        return (JSON.parse(l) as { envSteps: number }).envSteps <= run.envSteps;
      } catch {
        return false;
      }
    });
    writeFileSync(path, keep.map((l) => l + '\n').join(''));
    if (keep.length) run.lastRowEnvSteps = (JSON.parse(keep[keep.length - 1]) as { envSteps: number }).envSteps;
    return lines.length - keep.length;
  }

  /**
   * best.bin is written at an evaluation, its checkpoint at the next checkpoint interval: a kill in
   * between leaves a best.bin the resumed checkpoint does not know of. It is still the best agent
   * this run evaluated, so the run adopts it when it beats the checkpoint's record.
   */
  adoptBest(spec: AgentSpec, run: RunState): void {
    const path = this.bestPath;
    if (!existsSync(path)) return;
    let best: RunState['best'];
    try {
      const ck = loadCheckpoint(path);
      assertCompatible(ck.spec, spec, path);
      best = ck.run.best;
    } catch (e) {
      this.log(`${path} is not usable (${(e as Error).message}); the next evaluation replaces it`);
      run.best = undefined;
      return;
    }
    if (!best || (run.best && (best.envSteps === run.best.envSteps || best.meanSuccess < run.best.meanSuccess))) return;
    run.best = best;
    this.log(`${path}: kept the evaluation at ${best.envSteps} env steps (${Math.round(100 * best.meanSuccess)}% mean success) as the best so far`);
  }
}
