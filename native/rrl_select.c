/*
 * The per-task selection of the conditioning architectures that compute every task's output for
 * every row and keep the row's own (agents/nn/task-select.ts has the math and the tfjs version):
 *   y[e,b,j] = sum_k onehot[b,k] h[e,(b,k),j]
 * with `h` laid out as multihead's wide head, [E, B, K, O] (layout 0), or as independent's task
 * networks, [E, K, B, O] (layout 1), and the one-hot read in place from the network's input x
 * [B, D] at columns col0 .. col0 + K - 1. In tfjs ops that is about ten small kernels each way
 * (reshapes, a product, a sum), more bookkeeping than arithmetic.
 *
 * The sums run over k in order and include every term (zeros too), so y is what the tfjs
 * product-and-sum gives for a one-hot, bit for bit.
 */
#include "rrl.h"

typedef struct {
  int E, B, K, O, layout, D, col0;
} SelectSpec;

/* spec = [E, B, K, O, layout, D, col0 (, extra)] */
static int select_spec(napi_env env, napi_value v, int extra, SelectSpec* s, int32_t* extras) {
  const int32_t* d;
  size_t len;
  if (!rrl_i32(env, v, &d, &len) || len != (size_t)(7 + extra)) return 0;
  *s = (SelectSpec){d[0], d[1], d[2], d[3], d[4], d[5], d[6]};
  for (int i = 0; i < extra; i++) extras[i] = d[7 + i];
  return s->E >= 1 && s->B >= 0 && s->K >= 1 && s->O >= 1 && (s->layout == 0 || s->layout == 1) && s->col0 >= 0 && s->col0 + s->K <= s->D;
}

/* Offset of h[e, (b, k), 0]. */
static size_t h_at(const SelectSpec* s, int e, int b, int k) {
  const size_t E = (size_t)e, B = (size_t)s->B, K = (size_t)s->K, O = (size_t)s->O;
  return s->layout == 0 ? ((E * B + (size_t)b) * K + (size_t)k) * O : ((E * K + (size_t)k) * B + (size_t)b) * O;
}

/*
 * taskSelect(bufs, offs, spec)
 * Tensors: h (layout above), x [B, D], then the output y [E, B, O].
 */
napi_value rrl_task_select(napi_env env, napi_callback_info info) {
  KERNEL_ARGS(3, "rrl_blas.taskSelect");
  SelectSpec s;
  if (!select_spec(env, a[2], 0, &s, NULL)) FAIL("rrl_blas.taskSelect: bad spec");
  const double all = (double)s.E * s.B * s.K * s.O;
  const double counts[3] = {all, (double)s.B * s.D, (double)s.E * s.B * s.O};
  float* t[3];
  if (!rrl_tensor_list(env, a[0], a[1], 3, counts, t)) return NULL;
  const float *h = t[0], *x = t[1];
  float* y = t[2];
  for (int e = 0; e < s.E; e++) {
    for (int b = 0; b < s.B; b++) {
      float* yr = y + ((size_t)e * s.B + b) * s.O;
      const float* oh = x + (size_t)b * s.D + s.col0;
      for (int j = 0; j < s.O; j++) yr[j] = 0.f;
      for (int k = 0; k < s.K; k++) {
        const float w = oh[k];
        const float* hr = h + h_at(&s, e, b, k);
        for (int j = 0; j < s.O; j++) yr[j] += w * hr[j];
      }
    }
  }
  return NULL;
}

/*
 * taskSelectGrad(bufs, offs, spec + [needOneHot])
 * Tensors: dy [E, B, O], h, x [B, D], then the outputs dh (h's layout) and, when needOneHot,
 * dOneHot [B, K]:
 *   dh[e,(b,k),j] = onehot[b,k] dy[e,b,j],   dOneHot[b,k] = sum_e,j h[e,(b,k),j] dy[e,b,j].
 */
napi_value rrl_task_select_grad(napi_env env, napi_callback_info info) {
  KERNEL_ARGS(3, "rrl_blas.taskSelectGrad");
  SelectSpec s;
  int32_t need;
  if (!select_spec(env, a[2], 1, &s, &need)) FAIL("rrl_blas.taskSelectGrad: bad spec");
  const double all = (double)s.E * s.B * s.K * s.O;
  const double counts[5] = {(double)s.E * s.B * s.O, all, (double)s.B * s.D, all, (double)s.B * s.K};
  float* t[5];
  if (!rrl_tensor_list(env, a[0], a[1], need ? 5 : 4, counts, t)) return NULL;
  const float *dy = t[0], *h = t[1], *x = t[2];
  float *dh = t[3], *doh = need ? t[4] : NULL;
  if (doh)
    for (size_t i = 0; i < (size_t)s.B * s.K; i++) doh[i] = 0.f;
  for (int e = 0; e < s.E; e++) {
    for (int b = 0; b < s.B; b++) {
      const float* dyr = dy + ((size_t)e * s.B + b) * s.O;
      const float* oh = x + (size_t)b * s.D + s.col0;
      for (int k = 0; k < s.K; k++) {
        const size_t at = h_at(&s, e, b, k);
        const float w = oh[k];
        for (int j = 0; j < s.O; j++) dh[at + j] = w * dyr[j];
        if (doh) {
          float acc = 0.f;
          for (int j = 0; j < s.O; j++) acc += h[at + j] * dyr[j];
          doh[(size_t)b * s.K + k] += acc;
        }
      }
    }
  }
  return NULL;
}
