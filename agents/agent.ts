// The multi-task, goal-conditioned agent: SAC whose actor and critics are task-conditioned
// networks (agents/nn/conditioned.ts), fed the observation, the desired goal and the task's
// descriptor (its one-hot index, its metadata vector or its description's language vector).
// Acting, learning and evaluation all go through here, on batches of env rows.
import * as tf from '@tensorflow/tfjs';
import { ACTION_DIM, METADATA_DIM, OBS_DIM } from '../sim/layout.ts';
import { metadataVector, type TaskDefinition } from '../sim/task.ts';
import { ConditionedNet, packInputs, type Arch, type DescriptorKind } from './nn/conditioned.ts';
import { LANGUAGE_DIM, taskLanguageVector } from '../sim/language.ts';
import { RunningNorm, type NormState } from './normalizer.ts';
import type { Strategy } from './strategy.ts';
import { STATE_DIM, writeState, type BatchArrays } from './replay.ts';
import { Sac, SAC_DEFAULTS, type SacHyper, type SacMetrics, type SacState } from './sac/update.ts';

/** What defines an agent's shape: stored in checkpoints and checked when one is loaded. */
export interface AgentSpec {
  /** Task names in index order (the descriptor's one-hot follows this order). */
  tasks: string[];
  /** Each task's metadata vector (METADATA_DIM numbers). */
  metadata: number[][];
  /**
   * Each task's language vector (LANGUAGE_DIM numbers, its description embedded), with the
   * `language` descriptor only: checkpoints carry it, so an agent is checked against it.
   */
  language?: number[][];
  arch: Arch;
  descriptor: DescriptorKind;
  /** Experts of the `moe` architecture. */
  experts: number;
  /** Standardise the state with running statistics (agents/normalizer.ts). */
  normalize: boolean;
  /** The multi-task strategy of its updates (absent in older checkpoints: none). */
  strategy?: Strategy;
  /** The `soft` architecture's penalty weight (absent: 0). */
  softLambda?: number;
  sac: SacHyper;
}

/** Everything a checkpoint stores about the agent. */
export interface AgentState {
  sac: SacState;
  norm: NormState;
}

export function agentSpec(
  tasks: readonly TaskDefinition[],
  opts: { arch: Arch; descriptor: DescriptorKind; experts?: number; normalize?: boolean; strategy?: Strategy; softLambda?: number; sac?: Partial<SacHyper> },
): AgentSpec {
  return {
    tasks: tasks.map((t) => t.name),
    metadata: tasks.map((t) => Array.from(metadataVector(t))),
    ...(opts.descriptor === 'language' ? { language: tasks.map((t) => Array.from(taskLanguageVector(t))) } : {}),
    arch: opts.arch,
    descriptor: opts.descriptor,
    experts: opts.experts ?? 4,
    normalize: opts.normalize ?? true,
    strategy: opts.strategy ?? 'none',
    ...(opts.arch === 'soft' ? { softLambda: opts.softLambda ?? 0 } : {}),
    sac: { ...SAC_DEFAULTS, ...(opts.sac ?? {}) },
  };
}

/** The goal-conditioned STATE_DIM rows the networks see (replay.ts's writeState) for env rows. */
function goalConditioned(observation: Float32Array, achievedGoal: Float32Array, desiredGoal: Float32Array): Float32Array {
  const B = observation.length / OBS_DIM;
  const state = new Float32Array(B * STATE_DIM);
  for (let i = 0; i < B; i++) writeState(state, i, observation, i, achievedGoal, i, desiredGoal, i);
  return state;
}

export class MultiTaskAgent {
  readonly sac: Sac;
  readonly numTasks: number;
  readonly inDim: number;
  readonly norm = new RunningNorm(STATE_DIM);
  private readonly meta: Float32Array;
  /** The descriptor-vector block packed into every input row, per task, and its width. */
  private readonly desc: Float32Array;
  private readonly descDim: number;

  constructor(readonly spec: AgentSpec) {
    const K = spec.tasks.length;
    this.numTasks = K;
    this.meta = Float32Array.from(spec.metadata.flat());
    if (this.meta.length !== K * METADATA_DIM) {
      const got = spec.metadata.map((m) => m.length).join(', ');
      // Observation layout v2 (sim/layout.ts) grew the metadata from 8 to 11 numbers and the observation from 28 to 52.
      const old = spec.metadata.every((m) => m.length === 8) ? ': made for observation layout v1 (28 numbers, 8 metadata), which this version no longer reads; train a new agent' : '';
      throw new Error(`agent spec: metadata must be ${K} x ${METADATA_DIM} numbers, got ${K} x ${got}${old}`);
    }
    // The descriptor-vector block of the input: the language vectors with that descriptor, else
    // the metadata (which the one-hot descriptor leaves unread).
    const language = spec.descriptor === 'language';
    if (language && (spec.language?.length !== K || spec.language.some((v) => v.length !== LANGUAGE_DIM))) {
      throw new Error(`agent spec: the language descriptor needs ${K} x ${LANGUAGE_DIM} language numbers, got ${spec.language ? `${spec.language.length} x ${spec.language.map((v) => v.length).join(', ')}` : 'none'}`);
    }
    this.descDim = language ? LANGUAGE_DIM : METADATA_DIM;
    this.desc = language ? Float32Array.from(spec.language!.flat()) : this.meta;
    const common = { arch: spec.arch, descriptor: spec.descriptor, numTasks: K, metaDim: this.descDim, hidden: spec.sac.hidden, experts: spec.experts, layerNorm: spec.sac.layerNorm, softLambda: spec.softLambda };
    const actorNet = new ConditionedNet({ ...common, featureDim: STATE_DIM, outDim: 2 * ACTION_DIM, ensemble: 1 });
    const criticNet = new ConditionedNet({ ...common, featureDim: STATE_DIM + ACTION_DIM, outDim: 1, ensemble: spec.sac.numCritics });
    this.inDim = actorNet.inDim;
    this.sac = new Sac({ ...spec.sac, obsDim: this.inDim, actDim: ACTION_DIM, numTasks: K, actorNet, criticNet, pcgrad: spec.strategy === 'pcgrad' });
  }

  /** Network input rows for goal-conditioned states of the given tasks (standardised when asked). */
  private pack(state: Float32Array, task: Int32Array): tf.Tensor2D {
    const features = this.spec.normalize ? this.norm.normalize(state) : state;
    const x = packInputs(features, STATE_DIM, task, this.numTasks, this.desc, this.descDim);
    return tf.tensor2d(x, [task.length, this.inDim]);
  }

  /**
   * Actions for env rows: observation (B x OBS_DIM), achieved and desired goals (B x 3 each), task
   * index per row. Sampled from the policy, or tanh(mean) when deterministic (evaluation).
   */
  act(observation: Float32Array, achievedGoal: Float32Array, desiredGoal: Float32Array, task: Int32Array, deterministic: boolean): Float32Array {
    const state = goalConditioned(observation, achievedGoal, desiredGoal);
    return tf.tidy(() => this.sac.act(this.pack(state, task), deterministic).dataSync() as Float32Array).slice();
  }

  /** Adds env rows (observation, achieved and desired goals) to the input statistics. */
  observe(observation: Float32Array, achievedGoal: Float32Array, desiredGoal: Float32Array): void {
    if (this.spec.normalize) this.norm.update(goalConditioned(observation, achievedGoal, desiredGoal));
  }

  update(b: BatchArrays, metrics: boolean): SacMetrics | null {
    const B = b.task.length;
    const batch = tf.tidy(() => ({
      obs: this.pack(b.state, b.task),
      nextObs: this.pack(b.nextState, b.task),
      action: tf.tensor2d(b.action, [B, ACTION_DIM]),
      reward: tf.tensor2d(b.reward, [B, 1]),
      terminated: tf.tensor2d(b.terminated, [B, 1]),
      task: tf.tensor1d(b.task, 'int32'),
      demo: tf.tensor2d(b.demo, [B, 1]),
    }));
    try {
      return this.sac.update(batch, { metrics });
    } finally {
      for (const t of Object.values(batch)) t.dispose();
    }
  }

  getState(): AgentState {
    return { sac: this.sac.getState(), norm: this.norm.getState() };
  }

  setState(st: AgentState): void {
    this.sac.setState(st.sac);
    this.norm.setState(st.norm);
  }

  dispose(): void {
    this.sac.dispose();
  }
}
