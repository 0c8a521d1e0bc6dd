// Running mean and variance of the goal-conditioned state, to standardise network inputs: positions
// of a few centimetres and velocities of a metre per second would otherwise sit on very different
// scales. As in HER's reference implementation, normalised values are clipped to +-CLIP. Statistics
// come from every state the agent acts in (and from demonstrations), merged batch by batch (Chan et
// al.'s parallel update), in float64; checkpoints store those float64 accumulators bit for bit.
export const CLIP = 5;
const EPS = 1e-4;

export interface NormState {
  count: number;
  mean: Float64Array;
  m2: Float64Array;
}

export class RunningNorm {
  count = 0;
  readonly mean: Float64Array;
  readonly m2: Float64Array;
  /** Float32 copies used to normalise (refreshed after each update). */
  private readonly shift: Float32Array;
  private readonly scale: Float32Array;

  constructor(readonly dim: number) {
    this.mean = new Float64Array(dim);
    this.m2 = new Float64Array(dim);
    this.shift = new Float32Array(dim);
    this.scale = new Float32Array(dim).fill(1);
  }

  /** Merges rows (n x dim) into the statistics. */
  update(rows: Float32Array): void {
    const d = this.dim;
    const n = rows.length / d;
    if (n === 0) return;
    for (let k = 0; k < d; k++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += rows[i * d + k];
      const bm = s / n;
      let q = 0;
      for (let i = 0; i < n; i++) {
        const e = rows[i * d + k] - bm;
        q += e * e;
      }
      const total = this.count + n;
      const delta = bm - this.mean[k];
      this.mean[k] += (delta * n) / total;
      this.m2[k] += q + (delta * delta * this.count * n) / total;
    }
    this.count += n;
    this.refresh();
  }

  private refresh(): void {
    for (let k = 0; k < this.dim; k++) {
      const v = this.count > 1 ? this.m2[k] / this.count : 1;
      this.shift[k] = this.mean[k];
      this.scale[k] = 1 / Math.sqrt(v + EPS);
    }
  }

  /** (x - mean) / std, clipped to +-CLIP, row by row into `out` (may be `rows`). */
  normalize(rows: Float32Array, out = new Float32Array(rows.length)): Float32Array {
    const d = this.dim;
    const { shift, scale } = this;
    // Row by row: a modulo per element made this a tenth of the multi-task update's host time.
    for (let r = 0; r < rows.length; r += d) {
      for (let k = 0; k < d; k++) {
        const z = (rows[r + k] - shift[k]) * scale[k];
        out[r + k] = z > CLIP ? CLIP : z < -CLIP ? -CLIP : z;
      }
    }
    return out;
  }

  getState(): NormState {
    return { count: this.count, mean: this.mean.slice(), m2: this.m2.slice() };
  }

  setState(s: NormState): void {
    if (s.mean.length !== this.dim || s.m2.length !== this.dim) throw new RangeError(`normaliser state has ${s.mean.length} dimensions, this one ${this.dim}`);
    this.count = s.count;
    this.mean.set(s.mean);
    this.m2.set(s.m2);
    this.refresh();
  }
}
