// The one helper for "a random position at least d away from these": draws from the env's own
// generator and fails loudly, naming the constraint and the number of tries, instead of falling
// through with a point that breaks it.
import { TaskUsageError } from './hooks.ts';
import type { Rng } from './rng.ts';
import type { Vec3 } from './math.ts';

export interface SampleOptions {
  /** Range of x (m, env frame). */
  x: [number, number];
  /** Range of y. */
  y: [number, number];
  /** A fixed height, or a range to draw it from (default 0). */
  z?: number | [number, number];
  /** Points the sample must keep at least `minDistance` from. */
  awayFrom?: readonly ArrayLike<number>[];
  minDistance?: number;
  /** Measure distances in the table plane (`xy`, the default) or in space (`xyz`). */
  plane?: 'xy' | 'xyz';
  /** Draws before giving up (default 100). */
  tries?: number;
}

/** A usage error of the task: its message goes into the hook error as it is. */
export class SamplingError extends TaskUsageError {
  override name = 'SamplingError';
}

const MAX_TRIES = 100_000;

/**
 * Draws x, then y, then z (when it is a range) uniformly, until the point keeps `minDistance` from
 * every point of `awayFrom`; throws a SamplingError after `tries` draws.
 */
export function samplePosition(rng: Rng, opts: SampleOptions): Vec3 {
  const bad = (msg: string) => new SamplingError(`samplePosition: ${msg}`);
  if (typeof opts !== 'object' || opts === null) throw bad('expected an options object { x, y, z?, awayFrom?, minDistance?, plane?, tries? }');
  const range = (r: unknown, what: string): [number, number] => {
    if (!Array.isArray(r) || r.length !== 2 || !r.every(Number.isFinite) || !(r[0] <= r[1])) {
      throw bad(`option "${what}" must be [lo, hi] with finite lo <= hi, got ${JSON.stringify(r)}`);
    }
    return [r[0], r[1]];
  };
  const x = range(opts.x, 'x');
  const y = range(opts.y, 'y');
  const zOpt = opts.z ?? 0;
  const z = typeof zOpt === 'number' ? zOpt : range(zOpt, 'z');
  if (typeof z === 'number' && !Number.isFinite(z)) throw bad(`option "z" must be a finite number or [lo, hi], got ${z}`);
  const plane = opts.plane ?? 'xy';
  if (plane !== 'xy' && plane !== 'xyz') throw bad(`option "plane" must be "xy" or "xyz", got ${JSON.stringify(plane)}`);
  const tries = opts.tries ?? 100;
  if (!Number.isInteger(tries) || tries < 1 || tries > MAX_TRIES) throw bad(`option "tries" must be an integer in [1, ${MAX_TRIES}], got ${tries}`);
  const away: readonly ArrayLike<number>[] = opts.awayFrom ?? [];
  if (!Array.isArray(away)) throw bad('option "awayFrom" must be a list of points, e.g. [[x, y, z]]');
  away.forEach((p, k) => {
    if (!p || typeof p.length !== 'number' || p.length < (plane === 'xy' ? 2 : 3) || !Array.from(p).every(Number.isFinite)) {
      throw bad(`option "awayFrom" entry ${k} must be a point of finite numbers, got ${JSON.stringify(p && Array.from(p))}`);
    }
  });
  const d = opts.minDistance ?? 0;
  if (!(d >= 0) || !Number.isFinite(d)) throw bad(`option "minDistance" must be a finite number >= 0, got ${opts.minDistance}`);
  if (away.length > 0 && opts.minDistance === undefined) throw bad('option "awayFrom" needs "minDistance"');

  for (let k = 0; k < tries; k++) {
    const px = rng.uniform(x[0], x[1]);
    const py = rng.uniform(y[0], y[1]);
    const pz = typeof z === 'number' ? z : rng.uniform(z[0], z[1]);
    let ok = true;
    for (const a of away) {
      const dist = plane === 'xy' ? Math.hypot(px - a[0], py - a[1]) : Math.hypot(px - a[0], py - a[1], pz - a[2]);
      if (dist < d) {
        ok = false;
        break;
      }
    }
    if (ok) return [px, py, pz];
  }
  const fmt = (v: number) => String(Math.round(v * 1e4) / 1e4);
  const zText = typeof z === 'number' ? `z = ${fmt(z)}` : `z in [${fmt(z[0])}, ${fmt(z[1])}]`;
  const from = away.map((p) => `[${Array.from(p, Number).slice(0, 3).map(fmt).join(', ')}]`).join(', ');
  throw new SamplingError(
    `samplePosition found no point with x in [${fmt(x[0])}, ${fmt(x[1])}], y in [${fmt(y[0])}, ${fmt(y[1])}], ${zText} at least ${d} m (${plane === 'xy' ? 'in the table plane' : 'in space'}) from ${from} in ${tries} tries`,
  );
}
