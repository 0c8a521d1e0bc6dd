// The addon's tanh-Gaussian policy head (tanhGaussian, tanhGaussianGrad) element by element
// against the same formulas in float64, at batch sizes that leave partial vector lanes and span
// several pool items, on 1 and 2 threads; and libmvec's vector math in use where the machine has it.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { addon } from './helpers.ts';

const [LO, HI] = [-5, 2];
const C1 = 0.5 * (HI - LO);
const C0 = LO + C1;
// The differences that cancel, rounded as the kernel rounds them in float32 (1 + 1e-6 is 1 + 8 ulp
// there); everything else in float64.
const f = Math.fround;
const squash = (y: number) => f(f(1 + f(1e-6)) - f(y * y));
const oneMinusSq = (y: number) => f(1 - f(y * y));

/** Deterministic values in [-s, s). */
function values(n: number, seed: number, s: number): Float32Array {
  const out = new Float32Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = s * (2 * (x / 2 ** 32) - 1);
  }
  return out;
}

/**
 * The head's forward and backward in float64, from the float32 inputs. Where a saturates,
 * 1 + 1e-6 - a^2 magnifies a's last-bit rounding (float32 a = 1 - 6e-8 or 1 exactly), so the
 * log-prob and the gradient take a from `a` when given (the kernel's action); the action itself
 * is computed from scratch.
 */
function reference(head: Float32Array, eps: Float32Array, dA: Float32Array, dL: Float32Array, B: number, A: number, a?: Float32Array) {
  const action = new Float64Array(B * A);
  const logProb = new Float64Array(B);
  const dHead = new Float64Array(B * 2 * A);
  for (let r = 0; r < B; r++) {
    for (let j = 0; j < A; j++) {
      const mu = head[r * 2 * A + j], raw = head[r * 2 * A + A + j], e = eps[r * A + j];
      const t = f(Math.tanh(raw)), ls = C0 + C1 * t, sd = Math.exp(ls);
      action[r * A + j] = Math.tanh(mu + sd * e);
      const y = a ? a[r * A + j] : action[r * A + j];
      logProb[r] += -0.5 * e * e - (ls + 0.5 * Math.log(2 * Math.PI)) - Math.log(squash(y));
      const dx = dA[r * A + j] * oneMinusSq(y) + (dL[r] * 2 * y * oneMinusSq(y)) / squash(y);
      dHead[r * 2 * A + j] = dx;
      dHead[r * 2 * A + A + j] = (dx * sd * e - dL[r]) * C1 * oneMinusSq(t);
    }
  }
  return { action, logProb, dHead };
}

/** The largest |a - b| / max(1, |b|) over the elements. */
function worst(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let w = 0;
  for (let i = 0; i < b.length; i++) w = Math.max(w, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return w;
}

/** One forward and one backward through the addon, each tensor in a buffer of its own. */
function run(head: Float32Array, eps: Float32Array, dA: Float32Array, dL: Float32Array, B: number, A: number) {
  const action = new Float32Array(B * A), logProb = new Float32Array(B), dHead = new Float32Array(B * 2 * A);
  const spec = Int32Array.from([B, A]);
  const list = (ts: Float32Array[]) => [ts.map((t) => t.buffer as ArrayBuffer), new Float64Array(ts.length)] as const;
  addon!.tanhGaussian(...list([head, eps, action, logProb]), spec, LO, HI);
  addon!.tanhGaussianGrad(...list([dA, dL, head, eps, dHead]), spec, LO, HI);
  return { action, logProb, dHead };
}

describe.skipIf(!addon)('native tanh-Gaussian head', () => {
  const threadsBefore = addon?.setThreads(0) ?? 1;
  afterAll(() => void addon?.setThreads(threadsBefore));

  // B x A: one row; a lane tail (3 x 3 = 9 elements); SAC's batch; several pool items either way.
  it.each([
    [1, 1],
    [3, 3],
    [256, 4],
    [3001, 6],
  ])('B=%i, A=%i: matches float64 to a few ulp, identical on 1 and 2 threads', (B, A) => {
    // mu and the raw log std over the range training sees; actions up to tanh(+-4).
    const head = values(B * 2 * A, B + A, 3);
    const eps = values(B * A, 7 * B + A, 2.5);
    const dA = values(B * A, 11 * B, 1);
    const dL = values(B, 13 * B, 1);
    addon!.setThreads(1);
    const one = run(head, eps, dA, dL, B, A);
    const want = reference(head, eps, dA, dL, B, A, one.action);
    addon!.setThreads(2);
    const two = run(head, eps, dA, dL, B, A);
    expect(two.action).toEqual(one.action);
    expect(two.logProb).toEqual(one.logProb);
    expect(two.dHead).toEqual(one.dHead);
    expect(worst(one.action, want.action)).toBeLessThan(2e-6);
    expect(worst(one.logProb, want.logProb)).toBeLessThan(1e-5);
    expect(worst(one.dHead, want.dHead)).toBeLessThan(2e-5);
  });

  it('uses libmvec where glibc has its AVX2 tanh and the CPU has AVX2 and FMA', () => {
    const glibc = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime;
    const [major, minor] = (glibc ?? '0.0').split('.').map(Number);
    const cpu = process.platform === 'linux' ? readFileSync('/proc/cpuinfo', 'utf8') : '';
    const can = process.arch === 'x64' && (major > 2 || (major === 2 && minor >= 35)) && /\bavx2\b/.test(cpu) && /\bfma\b/.test(cpu);
    expect(addon!.info().includes('libmvec'), `${addon!.info()} (glibc ${glibc}, arch ${process.arch})`).toBe(can);
  });
});
