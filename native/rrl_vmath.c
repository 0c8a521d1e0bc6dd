/*
 * tanh, exp and log over arrays of floats, in place: the transcendental functions of the
 * tanh-Gaussian policy head (rrl_nets.c), four per action element.
 *
 * Why: the C library's scalar tanhf/expf/logf cost 10-15 ns each, about 50 us per call of the
 * head at SAC's batch (1,024 elements), more than the head's share of the update's products.
 * glibc's libmvec has 8-lane AVX2 versions (_ZGVdN8v_*, the vector-function ABI names GCC uses
 * when it vectorises these calls under -ffast-math) that take about 3 us for the same work.
 * They are called directly from AVX2 code here, so the rest of the addon keeps strict IEEE
 * arithmetic. libmvec is accurate to a few ulp rather than the scalar functions' rounding, so
 * results differ in the last bits from the scalar path (never between runs on one machine).
 *
 * Used when the build found libmvec (detect.mjs defines RRL_MVEC) and the CPU has AVX2 and FMA;
 * elsewhere (macOS, musl, older CPUs) the scalar loop below runs.
 */
#include "rrl.h"

#include <math.h>
#include <string.h>

#if defined(RRL_MVEC)
#include <immintrin.h>

__m256 _ZGVdN8v_tanhf(__m256 x);
__m256 _ZGVdN8v_expf(__m256 x);
__m256 _ZGVdN8v_logf(__m256 x);

typedef __m256 (*VecFn)(__m256);

/* f over x[0 .. n-1], eight at a time; the tail through a buffer padded with ones (finite for all three). */
__attribute__((target("avx2,fma"))) static void apply8(VecFn f, float* x, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, f(_mm256_loadu_ps(x + i)));
  if (i < n) {
    float tail[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    memcpy(tail, x + i, (n - i) * sizeof(float));
    _mm256_storeu_ps(tail, f(_mm256_loadu_ps(tail)));
    memcpy(x + i, tail, (n - i) * sizeof(float));
  }
}

static int vector_ok(void) {
  static int ok = -1; /* decided at module load (rrl_blas.c's Init), before any pool thread runs */
  if (ok < 0) {
    __builtin_cpu_init();
    ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }
  return ok;
}
#endif

int rrl_vmath_vector(void) {
#if defined(RRL_MVEC)
  return vector_ok();
#else
  return 0;
#endif
}

enum { F_TANH, F_EXP, F_LOG };

static void apply(int fn, float* x, size_t n) {
#if defined(RRL_MVEC)
  static const VecFn vec[3] = {_ZGVdN8v_tanhf, _ZGVdN8v_expf, _ZGVdN8v_logf};
  if (vector_ok()) {
    apply8(vec[fn], x, n);
    return;
  }
#endif
  float (*const scalar[3])(float) = {tanhf, expf, logf};
  for (size_t i = 0; i < n; i++) x[i] = scalar[fn](x[i]);
}

void rrl_vtanh(float* x, size_t n) { apply(F_TANH, x, n); }
void rrl_vexp(float* x, size_t n) { apply(F_EXP, x, n); }
void rrl_vlog(float* x, size_t n) { apply(F_LOG, x, n); }
