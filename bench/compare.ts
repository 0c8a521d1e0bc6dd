// Comparing the project with a peer measured in the same run: the runs of each side (one figure
// per round, the rounds interleaved project, peer, project, peer), their min / median / max, the
// ratio of medians, and a flag when the runs spread so widely that the ratio says little.
//
// The flag (documented in BENCHMARKS.md), raised when either holds:
//   - spread: on either side the slowest run is more than SPREAD_LIMIT times the fastest
//     (max / min > 1.5), which on this machine class means other load came and went;
//   - overlap: the two sides' [min, max] ranges overlap, so the runs do not settle which side is
//     faster, whatever the medians say;
//   - fewer than two rounds: nothing is known about the spread.
// The ratio's range (worst and best pairing of the two sides' runs) is printed beside it.

/** A side's runs are "spread" when max / min exceeds this. */
export const SPREAD_LIMIT = 1.5;

export interface Summary {
  runs: number[];
  min: number;
  median: number;
  max: number;
}

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export function summarize(runs: number[]): Summary {
  return { runs: [...runs], min: Math.min(...runs), median: median(runs), max: Math.max(...runs) };
}

export interface Comparison {
  /** How many times better the project is, from the medians (above 1: the project is ahead). */
  ratio: number;
  /** The same from the worst and the best pairing of single runs. */
  ratioRange: [number, number];
  /** Why the ratio is not to be trusted; empty when it is. */
  flags: string[];
}

/**
 * The project against a peer. `better` says which way is good for the measured figure: 'lower'
 * for times (ms per update), 'higher' for rates (env-steps per second).
 */
export function compare(project: Summary, peer: Summary, better: 'lower' | 'higher'): Comparison {
  const r = (p: number, q: number) => (better === 'lower' ? q / p : p / q);
  const ratio = r(project.median, peer.median);
  const pairs = [r(project.min, peer.min), r(project.min, peer.max), r(project.max, peer.min), r(project.max, peer.max)];
  const flags: string[] = [];
  if (project.runs.length < 2 || peer.runs.length < 2) flags.push('one round: the spread is unknown (use more rounds)');
  for (const [name, s] of [['project', project], ['peer', peer]] as const) {
    if (s.max / s.min > SPREAD_LIMIT) flags.push(`${name} runs spread ${(s.max / s.min).toFixed(2)}x (max / min above ${SPREAD_LIMIT}): other load came and went`);
  }
  if (project.runs.length > 1 && peer.runs.length > 1 && project.min <= peer.max && peer.min <= project.max) {
    flags.push('the two sides\' runs overlap: which is faster is not settled');
  }
  return { ratio, ratioRange: [Math.min(...pairs), Math.max(...pairs)], flags };
}

/** "12.3 / 12.5 / 14.0" (min / median / max) with `digits` decimals. */
export function formatSummary(s: Summary, digits: number): string {
  return [s.min, s.median, s.max].map((v) => v.toFixed(digits)).join(' / ');
}

/** "2.31x (1.90-2.70)" and, when flagged, " UNRELIABLE: <reasons>". */
export function formatComparison(c: Comparison): string {
  const base = `${c.ratio.toFixed(2)}x (runs ${c.ratioRange[0].toFixed(2)}-${c.ratioRange[1].toFixed(2)})`;
  return c.flags.length ? `${base}  UNRELIABLE: ${c.flags.join('; ')}` : base;
}
