/*
 * Fused network kernels: a whole MLP forward, its whole backward, and the tanh-Gaussian policy
 * head with its gradient, each as one call.
 *
 * Why: at the sizes SAC trains (batch 256, hidden 256), a dense layer's arithmetic is a fraction
 * of a millisecond in BLAS, and tfjs spends 10-20 us of bookkeeping on every kernel it runs (the
 * engine, the tape, an output allocation). A layer-by-layer backward is about a dozen kernels per
 * layer; here a network is one kernel each way, and the products inside are the same CBLAS calls.
 *
 * Layout (row-major float32, as tfjs stores tensors), for an ensemble of E independent networks
 * evaluated together (twin critics: E = 2; a plain network: E = 1):
 *   x   [B, in0] shared by all members, or [E, B, in0] one per member
 *   W_l [E, in_l, out_l], b_l [E, out_l] (tfjs shape [E, 1, out_l], or [out_l] when E = 1)
 *   y_l [E, B, out_l] = act_l(in_l W_l + b_l), the output of layer l
 */
#include "rrl.h"

#include <string.h>
#include <math.h>

/* MLP_MAX_LAYERS in agents/tensor/fused.ts: deeper networks run layer by layer in tfjs. */
#define MAX_LAYERS 32

typedef struct {
  int n, E, B, xShared;
  int in[MAX_LAYERS], out[MAX_LAYERS], act[MAX_LAYERS];
} MlpSpec;

/* spec = [n, E, B, xShared, <extra ints>, in0, out_0, act_0, ..., out_{n-1}, act_{n-1}] */
static int parse_spec(napi_env env, napi_value v, int extra, MlpSpec* s, int32_t* extras) {
  const int32_t* d;
  size_t len;
  if (!rrl_i32(env, v, &d, &len) || len < (size_t)(5 + extra)) return 0;
  s->n = d[0];
  s->E = d[1];
  s->B = d[2];
  s->xShared = d[3];
  for (int i = 0; i < extra; i++) extras[i] = d[4 + i];
  if (s->n < 1 || s->n > MAX_LAYERS || s->E < 1 || s->B < 0 || len != (size_t)(5 + extra + 2 * s->n)) return 0;
  const int32_t* L = d + 4 + extra;
  s->in[0] = L[0];
  for (int l = 0; l < s->n; l++) {
    s->out[l] = L[1 + 2 * l];
    s->act[l] = L[2 + 2 * l];
    if (l > 0) s->in[l] = s->out[l - 1];
    if (s->in[l] < 0 || s->out[l] < 0 || s->act[l] < ACT_LINEAR || s->act[l] > ACT_TANH) return 0;
  }
  return 1;
}

static size_t max_width(const MlpSpec* s) {
  size_t w = (size_t)s->in[0];
  for (int l = 0; l < s->n; l++)
    if ((size_t)s->out[l] > w) w = (size_t)s->out[l];
  return w;
}

/*
 * mlpForward(bufs, offs, spec)
 * Tensors: x, W_0, b_0, ..., W_{n-1}, b_{n-1}, then the outputs y_0 .. y_{n-1} (every layer's
 * output is kept: the backward needs them).
 */
napi_value rrl_mlp_forward(napi_env env, napi_callback_info info) {
  KERNEL_ARGS(3, "rrl_blas.mlpForward");
  MlpSpec s;
  if (!parse_spec(env, a[2], 0, &s, NULL)) FAIL("rrl_blas.mlpForward: bad spec");
  const int n = s.n, E = s.E, B = s.B;
  double counts[1 + 3 * MAX_LAYERS];
  float* t[1 + 3 * MAX_LAYERS];
  counts[0] = (double)(s.xShared ? 1 : E) * B * s.in[0];
  for (int l = 0; l < n; l++) {
    counts[1 + 2 * l] = (double)E * s.in[l] * s.out[l];
    counts[2 + 2 * l] = (double)E * s.out[l];
    counts[1 + 2 * n + l] = (double)E * B * s.out[l];
  }
  if (!rrl_tensor_list(env, a[0], a[1], (size_t)(1 + 3 * n), counts, t)) return NULL;
  for (int l = 0; l < n; l++) {
    const int in = s.in[l], out = s.out[l];
    const float *W = t[1 + 2 * l], *b = t[2 + 2 * l];
    float* y = t[1 + 2 * n + l];
    for (int e = 0; e < E; e++) {
      const float* xe = l == 0 ? t[0] + (s.xShared ? 0 : (size_t)e * B * in) : t[1 + 2 * n + l - 1] + (size_t)e * B * in;
      float* ye = y + (size_t)e * B * out;
      rrl_gemm(false, false, B, out, in, xe, in > 0 ? in : 1, W + (size_t)e * in * out, out > 0 ? out : 1, ye, out > 0 ? out : 1, false);
      for (int r = 0; r < B; r++) rrl_epilogue_row(ye + (size_t)r * out, b + (size_t)e * out, 1, out, s.act[l], 0.2f);
    }
  }
  return NULL;
}

/* dz = g * act'(z), from the layer's output y = act(z). */
RRL_CLONES static void act_grad(float* restrict dz, const float* restrict g, const float* restrict y, size_t count, int act) {
  switch (act) {
    case ACT_RELU:
      /* g loaded unconditionally: the select compiles to a blend, not a mispredicted branch. */
      for (size_t i = 0; i < count; i++) {
        const float gi = g[i];
        dz[i] = y[i] > 0.f ? gi : 0.f;
      }
      break;
    case ACT_RELU6:
      for (size_t i = 0; i < count; i++) {
        const float gi = g[i];
        dz[i] = (y[i] > 0.f && y[i] < 6.f) ? gi : 0.f;
      }
      break;
    case ACT_LEAKYRELU:
      for (size_t i = 0; i < count; i++) dz[i] = y[i] > 0.f ? g[i] : 0.2f * g[i];
      break;
    case ACT_ELU:
      for (size_t i = 0; i < count; i++) dz[i] = y[i] > 0.f ? g[i] : g[i] * (y[i] + 1.f);
      break;
    case ACT_SIGMOID:
      for (size_t i = 0; i < count; i++) dz[i] = g[i] * y[i] * (1.f - y[i]);
      break;
    case ACT_TANH:
      for (size_t i = 0; i < count; i++) dz[i] = g[i] * (1.f - y[i] * y[i]);
      break;
    default:
      memcpy(dz, g, count * sizeof(float));
      break;
  }
}

/* db[j] = sum over rows of dz[r][j]. */
RRL_CLONES static void column_sums(float* restrict db, const float* restrict dz, int rows, int cols) {
  memset(db, 0, (size_t)cols * sizeof(float));
  for (int r = 0; r < rows; r++) {
    const float* row = dz + (size_t)r * cols;
    for (int j = 0; j < cols; j++) db[j] += row[j];
  }
}

/*
 * mlpBackward(bufs, offs, spec), spec = [n, E, B, xShared, needDx, needParams, in0, out_0, act_0, ...]
 * Tensors: dy (dL/dy_{n-1}), x, W_0 .. W_{n-1}, y_0 .. y_{n-1}, then the outputs: dx when needDx
 * (summed over members when x is shared), and dW_0, db_0, ..., dW_{n-1}, db_{n-1} when needParams.
 */
napi_value rrl_mlp_backward(napi_env env, napi_callback_info info) {
  KERNEL_ARGS(3, "rrl_blas.mlpBackward");
  MlpSpec s;
  int32_t need[2];
  if (!parse_spec(env, a[2], 2, &s, need)) FAIL("rrl_blas.mlpBackward: bad spec");
  const int n = s.n, E = s.E, B = s.B, needDx = need[0] != 0, needParams = need[1] != 0;
  double counts[3 + 4 * MAX_LAYERS];
  float* t[3 + 4 * MAX_LAYERS];
  size_t c = 0;
  const double xCount = (double)(s.xShared ? 1 : E) * B * s.in[0];
  counts[c++] = (double)E * B * s.out[n - 1]; /* dy */
  counts[c++] = xCount;                        /* x */
  for (int l = 0; l < n; l++) counts[c++] = (double)E * s.in[l] * s.out[l];
  for (int l = 0; l < n; l++) counts[c++] = (double)E * B * s.out[l];
  const size_t dxAt = c;
  if (needDx) counts[c++] = xCount;
  const size_t gradsAt = c;
  if (needParams) {
    for (int l = 0; l < n; l++) {
      counts[c++] = (double)E * s.in[l] * s.out[l];
      counts[c++] = (double)E * s.out[l];
    }
  }
  if (!rrl_tensor_list(env, a[0], a[1], c, counts, t)) return NULL;
  const float* x = t[1];
  const float* const* W = (const float* const*)&t[2];
  const float* const* Y = (const float* const*)&t[2 + n];

  /* Two gradient buffers used in turn, and one for dz; sized once, before any pointer is taken. */
  const size_t cap = (size_t)E * B * max_width(&s);
  float* slot[2] = {rrl_scratch(env, 0, cap), rrl_scratch(env, 1, cap)};
  float* dzBuf = rrl_scratch(env, 2, cap);
  if (!slot[0] || !slot[1] || !dzBuf) FAIL("rrl_blas.mlpBackward: out of memory for scratch");

  const float* g = t[0];
  int gSlot = -1; /* which slot holds g (-1: the dy tensor) */
  for (int l = n - 1; l >= 0; l--) {
    const int in = s.in[l], out = s.out[l];
    const size_t count = (size_t)E * B * out;
    const float* dz = g;
    if (s.act[l] != ACT_LINEAR) {
      act_grad(dzBuf, g, Y[l], count, s.act[l]);
      dz = dzBuf;
    }
    if (needParams) {
      float *dW = t[gradsAt + 2 * l], *db = t[gradsAt + 2 * l + 1];
      for (int e = 0; e < E; e++) {
        const float* ine = l == 0 ? x + (s.xShared ? 0 : (size_t)e * B * in) : Y[l - 1] + (size_t)e * B * in;
        const float* dze = dz + (size_t)e * B * out;
        rrl_gemm(true, false, in, out, B, ine, in > 0 ? in : 1, dze, out > 0 ? out : 1, dW + (size_t)e * in * out, out > 0 ? out : 1, false);
        column_sums(db + (size_t)e * out, dze, B, out);
      }
    }
    if (l == 0 && !needDx) break;
    /* The next gradient may not overwrite dz, which it is computed from (dz is g itself after a
     * linear layer). */
    const int next = (dz == slot[0]) ? 1 : (dz == slot[1]) ? 0 : (gSlot == 0 ? 1 : 0);
    float* target = l == 0 ? t[dxAt] : slot[next];
    for (int e = 0; e < E; e++) {
      const bool shared = l == 0 && s.xShared;
      float* te = shared ? target : target + (size_t)e * B * in;
      rrl_gemm(false, true, B, in, out, dz + (size_t)e * B * out, out > 0 ? out : 1, W[l] + (size_t)e * in * out, out > 0 ? out : 1,
               te, in > 0 ? in : 1, shared && e > 0);
    }
    g = target;
    gSlot = next;
  }
  return NULL;
}

static const float HALF_LOG_2PI = 0.91893853320467274f;
static const float SQUASH_EPS = 1e-6f;

/*
 * The (spec = [B, A], logStdMin, logStdMax) arguments shared by the two tanh-Gaussian kernels; the
 * log std is c0 + c1 tanh(raw). Throws (naming the kernel) and returns 0 on a bad spec.
 */
static int tanh_gaussian_args(napi_env env, const napi_value* a, const char* bad_spec, int* B, int* A, float* c0, float* c1) {
  const int32_t* d;
  size_t len;
  if (!rrl_i32(env, a[2], &d, &len) || len != 2 || d[0] < 0 || d[1] < 1) {
    napi_throw_range_error(env, NULL, bad_spec);
    return 0;
  }
  *B = d[0];
  *A = d[1];
  const float lo = (float)rrl_num(env, a[3]), hi = (float)rrl_num(env, a[4]);
  *c1 = 0.5f * (hi - lo);
  *c0 = lo + *c1;
  return 1;
}

/*
 * tanhGaussian(bufs, offs, spec = [B, A], logStdMin, logStdMax)
 * Tensors: head [B, 2A] = [mu | raw log-std], eps [B, A], then the outputs action [B, A] and
 * logProb [B, 1]. With t = tanh(raw), log std = c0 + c1 t, x = mu + std eps, a = tanh(x):
 * logProb = sum_j (-eps^2/2 - log std - log(2 pi)/2 - log(1 - a^2 + 1e-6)).
 */
napi_value rrl_tanh_gaussian(napi_env env, napi_callback_info info) {
  KERNEL_ARGS(5, "rrl_blas.tanhGaussian");
  int B, A;
  float c0, c1;
  if (!tanh_gaussian_args(env, a, "rrl_blas.tanhGaussian: bad spec", &B, &A, &c0, &c1)) return NULL;
  const double counts[4] = {(double)B * 2 * A, (double)B * A, (double)B * A, (double)B};
  float* t[4];
  if (!rrl_tensor_list(env, a[0], a[1], 4, counts, t)) return NULL;
  for (int r = 0; r < B; r++) {
    const float *h = t[0] + (size_t)r * 2 * A, *eps = t[1] + (size_t)r * A;
    float* act = t[2] + (size_t)r * A;
    float lp = 0.f;
    for (int j = 0; j < A; j++) {
      const float logStd = c0 + c1 * tanhf(h[A + j]);
      const float x = h[j] + expf(logStd) * eps[j];
      const float y = tanhf(x);
      act[j] = y;
      lp += (-0.5f * eps[j] * eps[j] - (logStd + HALF_LOG_2PI)) - logf(1.f + SQUASH_EPS - y * y);
    }
    t[3][r] = lp;
  }
  return NULL;
}

/*
 * tanhGaussianGrad(bufs, offs, spec = [B, A], logStdMin, logStdMax)
 * Tensors: dAction [B, A], dLogProb [B, 1], head, eps, then the output dHead [B, 2A]. The
 * forward quantities are recomputed (a few transcendental functions per element) rather than
 * saved. With delta = 1e-6:
 *   dx = dA (1 - a^2) + dL 2a (1 - a^2) / (1 + delta - a^2)
 *   dmu = dx;  dlogstd = dx std eps - dL;  draw = dlogstd c1 (1 - t^2)
 */
napi_value rrl_tanh_gaussian_grad(napi_env env, napi_callback_info info) {
  KERNEL_ARGS(5, "rrl_blas.tanhGaussianGrad");
  int B, A;
  float c0, c1;
  if (!tanh_gaussian_args(env, a, "rrl_blas.tanhGaussianGrad: bad spec", &B, &A, &c0, &c1)) return NULL;
  const double counts[5] = {(double)B * A, (double)B, (double)B * 2 * A, (double)B * A, (double)B * 2 * A};
  float* t[5];
  if (!rrl_tensor_list(env, a[0], a[1], 5, counts, t)) return NULL;
  for (int r = 0; r < B; r++) {
    const float *h = t[2] + (size_t)r * 2 * A, *eps = t[3] + (size_t)r * A;
    float* dh = t[4] + (size_t)r * 2 * A;
    const float dL = t[1][r];
    for (int j = 0; j < A; j++) {
      const float th = tanhf(h[A + j]);
      const float sd = expf(c0 + c1 * th);
      const float y = tanhf(h[j] + sd * eps[j]);
      const float oneMinusA2 = 1.f - y * y;
      const float dA = t[0][(size_t)r * A + j];
      const float dx = dA * oneMinusA2 + dL * (2.f * y * oneMinusA2) / (1.f + SQUASH_EPS - y * y);
      dh[j] = dx;
      dh[A + j] = (dx * sd * eps[j] - dL) * (c1 * (1.f - th * th));
    }
  }
  return NULL;
}
