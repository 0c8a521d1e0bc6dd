// The conditioning architectures by name (CS330's multi-task lectures). A new architecture is one
// file beside these (a ConditionedArch subclass) and one line here; the name then works everywhere
// an architecture is chosen (--arch, bench conditions, checkpoints).
import type { ArchConfig, ConditionedArch } from './base.ts';
import { ConcatNet } from './concat.ts';
import { GatedNet } from './gated.ts';
import { IndependentNet } from './independent.ts';
import { MoeNet } from './moe.ts';
import { MultiheadNet } from './multihead.ts';
import { SoftNet } from './soft.ts';

export const ARCHITECTURES = {
  concat: ConcatNet,
  multihead: MultiheadNet,
  gated: GatedNet,
  moe: MoeNet,
  independent: IndependentNet,
  soft: SoftNet,
} satisfies Record<string, new (cfg: ArchConfig) => ConditionedArch>;

export type Arch = keyof typeof ARCHITECTURES;
export const ARCHS = Object.keys(ARCHITECTURES) as [Arch, ...Arch[]];
