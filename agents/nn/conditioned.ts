// Task-conditioned networks: the conditioning architectures (arch/, one class each, with its
// forward beside its backward), all behind one Net, so the actor and the critics of SAC can be any
// of them. arch/base.ts describes the input layout they share; arch/registry.ts lists them.
import type * as tf from '@tensorflow/tfjs';
import { DESCRIPTORS, type ArchConfig, type ConditionedArch } from './arch/base.ts';
import { ARCHITECTURES, ARCHS, type Arch } from './arch/registry.ts';
import type { Grads, KernelForm, Net, Penalty, Want } from './net.ts';

export { ARCHS, type Arch } from './arch/registry.ts';
export { DESCRIPTORS, type DescriptorKind } from './arch/base.ts';
export type { Net } from './net.ts';

export interface ConditionedConfig extends ArchConfig {
  arch: Arch;
}

/** The architecture `cfg.arch` names, checked by name. */
export class ConditionedNet implements Net {
  readonly net: ConditionedArch;

  constructor(readonly cfg: ConditionedConfig) {
    if (!ARCHS.includes(cfg.arch)) throw new RangeError(`unknown architecture "${cfg.arch}"; known: ${ARCHS.join(', ')}`);
    if (!DESCRIPTORS.includes(cfg.descriptor)) throw new RangeError(`unknown descriptor "${cfg.descriptor}"; known: ${DESCRIPTORS.join(', ')}`);
    this.net = new ARCHITECTURES[cfg.arch](cfg);
  }

  get inDim(): number {
    return this.net.inDim;
  }
  get paramShapes(): number[][] {
    return this.net.paramShapes;
  }
  get numParams(): number {
    return this.net.numParams;
  }
  init(seed: number): tf.Tensor[] {
    return this.net.init(seed);
  }
  apply(params: tf.Tensor[], x: tf.Tensor): tf.Tensor {
    return this.net.apply(params, x);
  }
  forward(params: tf.Tensor[], x: tf.Tensor): { y: tf.Tensor; cache: unknown } {
    return this.net.forward(params, x);
  }
  backward(params: tf.Tensor[], cache: unknown, dy: tf.Tensor, want: Want): Grads {
    return this.net.backward(params, cache, dy, want);
  }
  kernelForm(): KernelForm | null {
    return (this.net as Net).kernelForm?.() ?? null;
  }
  get penalty(): ((params: tf.Tensor[]) => Penalty) | undefined {
    const inner = this.net as Net;
    return inner.penalty ? (params) => inner.penalty!(params) : undefined;
  }
}

/** Packs [descriptor vector | one-hot | features] rows for the given tasks (host side, no tensors). */
export function packInputs(
  features: Float32Array,
  featureDim: number,
  task: Int32Array,
  numTasks: number,
  metadata: Float32Array,
  metaDim: number,
  out?: Float32Array,
): Float32Array {
  const B = task.length;
  const D = metaDim + numTasks + featureDim;
  const x = out && out.length === B * D ? out : new Float32Array(B * D);
  x.fill(0);
  for (let i = 0; i < B; i++) {
    const t = task[i];
    x.set(metadata.subarray(t * metaDim, (t + 1) * metaDim), i * D);
    x[i * D + metaDim + t] = 1;
    x.set(features.subarray(i * featureDim, (i + 1) * featureDim), i * D + metaDim + numTasks);
  }
  return x;
}
