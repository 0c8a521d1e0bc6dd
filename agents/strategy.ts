// The multi-task training strategies a run may add to its architecture (a sweep's condition
// `ARCH+STRATEGY`, `--strategy` for npm run train). Soft parameter sharing is an architecture
// (`soft`, agents/nn/arch/soft.ts), not one of these: it changes the networks.
//   none      task-balanced batches (the same rows from every task), one loss
//   pcgrad    gradient surgery on the critic's and the actor's per-task gradients (sac/pcgrad.ts)
//   weighted  more batch rows from the tasks with lower recent training success (task-sampling.ts)
export const STRATEGIES = ['none', 'pcgrad', 'weighted'] as const;
export type Strategy = (typeof STRATEGIES)[number];
