// Seeded generator for everything random in the simulator. Each env slot owns one, derived from
// (seed, slot), so an env's resets depend only on its own seed and history. sfc32 is small, fast and
// passes PractRand to 2^41; written by hand because it is eight lines and must never change
// behaviour under us (a dependency upgrade would silently change every seeded trajectory).

export class Rng {
  /** sfc32's state a, b, c, d, as int32: raw in a typed array, where number fields would box
   * (most values are outside V8's small-integer range), costing an allocation per draw. */
  private readonly st = new Int32Array(4);

  constructor(seed: number, stream = 0) {
    if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
    // splitmix32 spreads (seed, stream) over the 128-bit state.
    let s = (Math.floor(seed) ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    for (let i = 0; i < 4; i++) this.st[i] = next();
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  nextUint32(): number {
    const st = this.st;
    const a = st[0], b = st[1], c = st[2], d = st[3];
    const t = (((a + b) | 0) + d) | 0;
    st[3] = (d + 1) | 0;
    st[0] = b ^ (b >>> 9);
    st[1] = (c + (c << 3)) | 0;
    st[2] = (((c << 21) | (c >>> 11)) + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.nextUint32() / 4294967296;
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.float();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** The generator's whole state, to save and restore (checkpoints). */
  getState(): [number, number, number, number] {
    return [this.st[0], this.st[1], this.st[2], this.st[3]];
  }

  setState(st: readonly number[]): void {
    if (st.length !== 4 || !st.every((x) => Number.isInteger(x))) throw new RangeError('an Rng state is 4 integers');
    for (let i = 0; i < 4; i++) this.st[i] = st[i] | 0;
  }

  /** Standard normal (ziggurat: one 32-bit draw and a table lookup for 99% of the values). */
  normal(): number {
    for (;;) {
      const u = this.nextUint32();
      const layer = u & 127;
      const bits = u >>> 8; // 24 bits: the position within the layer
      const x = bits * ZIG_STEP[layer];
      if (bits < ZIG_INSIDE[layer]) return u & 128 ? -x : x;
      if (layer === 0) {
        // the tail beyond r, by Marsaglia's exponential method
        let a: number, b: number;
        do {
          a = -Math.log(1 - this.float()) / ZIG_R;
          b = -Math.log(1 - this.float());
        } while (b + b < a * a);
        return u & 128 ? -(ZIG_R + a) : ZIG_R + a;
      }
      // the wedge between the layer's rectangle and the curve
      if (ZIG_F[layer] + this.float() * (ZIG_F[layer + 1] - ZIG_F[layer]) < Math.exp(-0.5 * x * x)) return u & 128 ? -x : x;
    }
  }

  /** Fills `out` with standard normals (normal() in turn). */
  fillNormal(out: Float32Array | Float64Array): void {
    for (let i = 0; i < out.length; i++) out[i] = this.normal();
  }
}

// The ziggurat (Marsaglia and Tsang, 2000) for exp(-x^2/2), x >= 0, in 128 layers of equal area
// ZIG_AREA: layer i >= 1 is the rectangle [0, x_i] between heights f(x_i) and f(x_(i+1)); layer 0 is
// [0, r] under f(r) plus the tail beyond r, drawn as a rectangle of the same area, width x_0. A
// point of layer i with x < x_(i+1) lies under the curve (the fast path).
const ZIG_R = 3.442619855899;
const ZIG_AREA = 9.91256303526217e-3;
const ZIG_X = new Float64Array(129);
ZIG_X[0] = ZIG_AREA / Math.exp(-0.5 * ZIG_R * ZIG_R);
ZIG_X[1] = ZIG_R;
for (let i = 1; i < 127; i++) ZIG_X[i + 1] = Math.sqrt(-2 * Math.log(ZIG_AREA / ZIG_X[i] + Math.exp(-0.5 * ZIG_X[i] * ZIG_X[i])));
ZIG_X[128] = 0;
/** f(x_i). */
const ZIG_F = ZIG_X.map((x) => Math.exp(-0.5 * x * x));
/** x_i / 2^24: a 24-bit position to x. */
const ZIG_STEP = ZIG_X.map((x) => x / 2 ** 24);
/** Positions below this are under the curve: 2^24 x_(i+1) / x_i. */
const ZIG_INSIDE = Float64Array.from({ length: 128 }, (_, i) => Math.floor((2 ** 24 * ZIG_X[i + 1]) / ZIG_X[i]));
