// How a vectorized env's envs are shared among its tasks. `even`: round-robin, as many envs per task
// as the total allows. `episode-length`: in proportion to each task's episode length, so that every
// task finishes episodes at about the same rate: with fixed-length episodes a 150-step task gets
// three times the envs of a 50-step one, and the slowest task no longer sets the pace of a
// collection that waits for every task's N episodes.

export const ENV_SHARES = ['even', 'episode-length'] as const;
export type EnvShare = (typeof ENV_SHARES)[number];

/** Envs per task (at least one each) for `total` envs over tasks of these episode lengths. */
export function envCounts(episodeLengths: readonly number[], total: number, share: EnvShare): number[] {
  const K = episodeLengths.length;
  if (K === 0) throw new RangeError('no tasks to share envs among');
  if (!Number.isInteger(total) || total < K) throw new RangeError(`${total} envs for ${K} tasks: every task needs an env`);
  if (share === 'even') return episodeLengths.map((_, k) => Math.floor(total / K) + (k < total % K ? 1 : 0));
  for (const L of episodeLengths) if (!(L > 0) || !Number.isFinite(L)) throw new RangeError(`episode length ${L}: must be a positive number`);
  // Largest remainder on the quotas, every task at least one env; ties go to the earlier task.
  const sum = episodeLengths.reduce((a, b) => a + b, 0);
  const quota = episodeLengths.map((L) => (total * L) / sum);
  const counts = quota.map((q) => Math.max(1, Math.floor(q)));
  const order = (sign: 1 | -1) => quota.map((q, k) => ({ k, r: q - counts[k] })).sort((a, b) => sign * (b.r - a.r) || a.k - b.k);
  let n = counts.reduce((a, b) => a + b, 0);
  while (n < total) {
    counts[order(1)[0].k]++;
    n++;
  }
  while (n > total) {
    const k = order(-1).find((o) => counts[o.k] > 1)!.k;
    counts[k]--;
    n--;
  }
  return counts;
}

/**
 * The task of each env for these counts, interleaved (task 0, 1, ..., K-1, 0, 1, ... skipping a
 * task once it has its envs), so neighbouring envs in the viewer's grid run different tasks. With
 * even counts this is the round-robin i % K.
 */
export function taskOfEnvs(counts: readonly number[]): number[] {
  const left = [...counts];
  const out: number[] = [];
  const total = counts.reduce((a, b) => a + b, 0);
  for (let k = 0; out.length < total; k = (k + 1) % counts.length) {
    if (left[k] > 0) {
      out.push(k);
      left[k]--;
    }
  }
  return out;
}
