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
 * A layer with LayerNorm (norm_l = 1) normalises each row of z = in_l W_l + b_l over its out_l
 * units before the activation: y_l = act_l(g_l * xhat + beta_l), xhat = (z - mean) * rstd,
 * rstd = 1 / sqrt(var + 1e-5) (biased variance, as torch.nn.LayerNorm), with a learned gain g_l
 * and bias beta_l shaped like b_l. The forward also returns xhat_l [E, B, out_l] and rstd_l [E, B]
 * for the backward.
 *
 * Threads (rrl_pool.c): the work is split into items, (member, block of rows), and each item runs
 * every layer for its rows with single-threaded products: rows are independent all the way
 * through, so the forward needs no synchronisation. In the backward, each item computes its rows'
 * share of every parameter gradient into its own buffer; the shares are then summed in item
 * order. The items depend on E, B and the thread count only (mlp_chunks), so results are
 * bit-identical for a given thread setting whichever thread runs which item.
 */
#include "rrl.h"

#include <stdlib.h>
#include <string.h>
#include <math.h>

/* MLP_MAX_LAYERS in agents/tensor/fused.ts: deeper networks run layer by layer in tfjs. */
#define MAX_LAYERS 32
/* LayerNorm's epsilon (LN_EPS in agents/nn/dense.ts; torch.nn.LayerNorm's default). */
#define LN_EPS 1e-5f
/* Fewer rows than this per item are not worth a thread of their own. */
#define MIN_ROWS_PER_ITEM 32

typedef struct {
  int n, E, B, xShared;
  int in[MAX_LAYERS], out[MAX_LAYERS], act[MAX_LAYERS], norm[MAX_LAYERS];
} MlpSpec;

/* spec = [n, E, B, xShared, <extra ints>, in0, out_0, act_0, norm_0, ..., out_{n-1}, act_{n-1}, norm_{n-1}] */
static int parse_spec(napi_env env, napi_value v, int extra, MlpSpec* s, int32_t* extras) {
  const int32_t* d;
  size_t len;
  if (!rrl_i32(env, v, &d, &len) || len < (size_t)(5 + extra)) return 0;
  s->n = d[0];
  s->E = d[1];
  s->B = d[2];
  s->xShared = d[3];
  for (int i = 0; i < extra; i++) extras[i] = d[4 + i];
  if (s->n < 1 || s->n > MAX_LAYERS || s->E < 1 || s->B < 0 || len != (size_t)(5 + extra + 3 * s->n)) return 0;
  const int32_t* L = d + 4 + extra;
  s->in[0] = L[0];
  for (int l = 0; l < s->n; l++) {
    s->out[l] = L[1 + 3 * l];
    s->act[l] = L[2 + 3 * l];
    s->norm[l] = L[3 + 3 * l];
    if (l > 0) s->in[l] = s->out[l - 1];
    if (s->in[l] < 0 || s->out[l] < 0 || s->act[l] < ACT_LINEAR || s->act[l] > ACT_TANH || (s->norm[l] != 0 && s->norm[l] != 1)) return 0;
  }
  return 1;
}

static size_t max_width(const MlpSpec* s) {
  size_t w = (size_t)s->in[0];
  for (int l = 0; l < s->n; l++)
    if ((size_t)s->out[l] > w) w = (size_t)s->out[l];
  return w;
}

static int gcd(int a, int b) {
  while (b) {
    const int t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/*
 * Row blocks per member: enough for the E x blocks items to spread evenly over the threads
 * (twin critics on two threads: one member each, no row split; one network on two threads: two
 * halves), never blocks of fewer than MIN_ROWS_PER_ITEM rows. From shapes and threads only.
 */
static int mlp_chunks(int E, int B, int threads) {
  if (threads <= 1) return 1;
  int rc = threads / gcd(E, threads);
  const int most = B / MIN_ROWS_PER_ITEM;
  if (rc > most) rc = most > 1 ? most : 1;
  if ((long)E * rc > RRL_MAX_ITEMS) rc = 1;
  return rc;
}

/* The rows [r0, r1) of block c out of rc. */
static void chunk_rows(int B, int rc, int c, int* r0, int* r1) {
  const int per = (B + rc - 1) / rc;
  *r0 = c * per < B ? c * per : B;
  *r1 = (c + 1) * per < B ? (c + 1) * per : B;
}

/* A row's mean and 1 / standard deviation (two passes, 8 running sums so the loops vectorise). */
RRL_CLONES static void row_moments(const float* restrict z, int n, float* mean, float* rstd) {
  float acc[8] = {0};
  int j = 0;
  for (; j + 8 <= n; j += 8)
    for (int k = 0; k < 8; k++) acc[k] += z[j + k];
  float sum = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
  for (; j < n; j++) sum += z[j];
  const float mu = n > 0 ? sum / (float)n : 0.f;
  float vacc[8] = {0};
  j = 0;
  for (; j + 8 <= n; j += 8)
    for (int k = 0; k < 8; k++) {
      const float d = z[j + k] - mu;
      vacc[k] += d * d;
    }
  float var = ((vacc[0] + vacc[1]) + (vacc[2] + vacc[3])) + ((vacc[4] + vacc[5]) + (vacc[6] + vacc[7]));
  for (; j < n; j++) var += (z[j] - mu) * (z[j] - mu);
  var = n > 0 ? var / (float)n : 0.f;
  *mean = mu;
  *rstd = 1.f / sqrtf(var + LN_EPS);
}

/* z (one row, in place) -> g * xhat + beta, keeping xhat. */
RRL_CLONES static void layer_norm_row(float* restrict z, float* restrict xhat, float* rstd_out, const float* restrict g,
                                      const float* restrict beta, int n) {
  float mu, rs;
  row_moments(z, n, &mu, &rs);
  for (int j = 0; j < n; j++) {
    const float h = (z[j] - mu) * rs;
    xhat[j] = h;
    z[j] = g[j] * h + beta[j];
  }
  *rstd_out = rs;
}

/* Pointers of one MLP call's tensors, per layer (g, beta, xhat, rstd NULL where norm_l = 0). */
typedef struct {
  const float* x;
  const float *W[MAX_LAYERS], *b[MAX_LAYERS], *g[MAX_LAYERS], *beta[MAX_LAYERS];
  float *y[MAX_LAYERS], *xhat[MAX_LAYERS], *rstd[MAX_LAYERS];
} MlpTensors;

typedef struct {
  const MlpSpec* s;
  const MlpTensors* t;
  int rc;
} FwdCtx;

/* One item of the forward: member e, rows of block c, through every layer. */
static void forward_item(void* p, int item) {
  const FwdCtx* c = (const FwdCtx*)p;
  const MlpSpec* s = c->s;
  const MlpTensors* t = c->t;
  const int e = item / c->rc, B = s->B;
  int r0, r1;
  chunk_rows(B, c->rc, item % c->rc, &r0, &r1);
  const int rows = r1 - r0;
  if (rows <= 0) return;
  for (int l = 0; l < s->n; l++) {
    const int in = s->in[l], out = s->out[l];
    const float* xe = l == 0 ? t->x + (s->xShared ? 0 : (size_t)e * B * in) + (size_t)r0 * in : t->y[l - 1] + ((size_t)e * B + r0) * in;
    float* ye = t->y[l] + ((size_t)e * B + r0) * out;
    const float* be = t->b[l] + (size_t)e * out;
    rrl_gemm(false, false, rows, out, in, xe, in > 0 ? in : 1, t->W[l] + (size_t)e * in * out, out > 0 ? out : 1, ye, out > 0 ? out : 1, false);
    for (int r = 0; r < rows; r++) {
      float* row = ye + (size_t)r * out;
      if (!s->norm[l]) {
        rrl_epilogue_row(row, be, 1, out, s->act[l], 0.2f);
        continue;
      }
      const size_t at = (size_t)e * B + r0 + r;
      rrl_epilogue_row(row, be, 1, out, ACT_LINEAR, 0.f);
      layer_norm_row(row, t->xhat[l] + at * out, t->rstd[l] + at, t->g[l] + (size_t)e * out, t->beta[l] + (size_t)e * out, out);
      rrl_epilogue_row(row, NULL, 0, out, s->act[l], 0.2f);
    }
  }
}

/*
 * mlpForward(bufs, offs, spec)
 * Tensors: x, then per layer W_l, b_l (and g_l, beta_l where norm_l), then the outputs: per layer
 * y_l (and xhat_l, rstd_l where norm_l). Every layer's output is kept: the backward needs them.
 */
napi_value rrl_mlp_forward(napi_env env, napi_callback_info info) {
  KERNEL_ARGS(3, "rrl_blas.mlpForward");
  MlpSpec s;
  if (!parse_spec(env, a[2], 0, &s, NULL)) FAIL("rrl_blas.mlpForward: bad spec");
  const int n = s.n, E = s.E, B = s.B;
  double counts[1 + 7 * MAX_LAYERS];
  float* p[1 + 7 * MAX_LAYERS];
  size_t k = 0;
  counts[k++] = (double)(s.xShared ? 1 : E) * B * s.in[0];
  for (int l = 0; l < n; l++) {
    counts[k++] = (double)E * s.in[l] * s.out[l];
    counts[k++] = (double)E * s.out[l];
    if (s.norm[l]) {
      counts[k++] = (double)E * s.out[l];
      counts[k++] = (double)E * s.out[l];
    }
  }
  for (int l = 0; l < n; l++) {
    counts[k++] = (double)E * B * s.out[l];
    if (s.norm[l]) {
      counts[k++] = (double)E * B * s.out[l];
      counts[k++] = (double)E * B;
    }
  }
  if (!rrl_tensor_list(env, a[0], a[1], k, counts, p)) return NULL;
  MlpTensors t;
  memset(&t, 0, sizeof t);
  k = 0;
  t.x = p[k++];
  for (int l = 0; l < n; l++) {
    t.W[l] = p[k++];
    t.b[l] = p[k++];
    if (s.norm[l]) {
      t.g[l] = p[k++];
      t.beta[l] = p[k++];
    }
  }
  for (int l = 0; l < n; l++) {
    t.y[l] = p[k++];
    if (s.norm[l]) {
      t.xhat[l] = p[k++];
      t.rstd[l] = p[k++];
    }
  }
  RrlPool* pool = rrl_pool(env);
  FwdCtx c = {&s, &t, mlp_chunks(E, B, rrl_pool_threads(pool))};
  rrl_parallel(pool, E * c.rc, forward_item, &c);
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
 * LayerNorm's backward over `rows` rows in place: du (dL/d(g xhat + beta)) becomes dz (dL/dz):
 *   dxhat = du g;  dz = rstd (dxhat - mean_j dxhat - xhat mean_j (dxhat xhat))
 * and, when dg / dbeta are given, dg[j] += sum_r du xhat, dbeta[j] += sum_r du (in row order).
 */
RRL_CLONES static void layer_norm_backward(float* restrict du, const float* restrict xhat, const float* restrict rstd, const float* restrict g,
                                           float* restrict dg, float* restrict dbeta, int rows, int n) {
  for (int r = 0; r < rows; r++) {
    float* d = du + (size_t)r * n;
    const float* h = xhat + (size_t)r * n;
    if (dg) {
      for (int j = 0; j < n; j++) {
        dg[j] += d[j] * h[j];
        dbeta[j] += d[j];
      }
    }
    float a1[8] = {0}, a2[8] = {0};
    int j = 0;
    for (; j + 8 <= n; j += 8)
      for (int k = 0; k < 8; k++) {
        const float dh = d[j + k] * g[j + k];
        a1[k] += dh;
        a2[k] += dh * h[j + k];
      }
    float s1 = ((a1[0] + a1[1]) + (a1[2] + a1[3])) + ((a1[4] + a1[5]) + (a1[6] + a1[7]));
    float s2 = ((a2[0] + a2[1]) + (a2[2] + a2[3])) + ((a2[4] + a2[5]) + (a2[6] + a2[7]));
    for (; j < n; j++) {
      s1 += d[j] * g[j];
      s2 += d[j] * g[j] * h[j];
    }
    const float m1 = n > 0 ? s1 / (float)n : 0.f, m2 = n > 0 ? s2 / (float)n : 0.f, rs = rstd[r];
    for (j = 0; j < n; j++) d[j] = rs * (d[j] * g[j] - m1 - h[j] * m2);
  }
}

/* Offsets of one member's parameter gradients in an item's share buffer: per layer dW, db, then
 * dg, dbeta where norm_l. Returns the total. */
static size_t share_layout(const MlpSpec* s, size_t* offW) {
  size_t at = 0;
  for (int l = 0; l < s->n; l++) {
    offW[l] = at;
    at += (size_t)s->in[l] * s->out[l] + (size_t)s->out[l] * (s->norm[l] ? 3 : 1);
  }
  return at;
}

typedef struct {
  const MlpSpec* s;
  const float* dy;
  const float* x;
  const float *W[MAX_LAYERS], *g[MAX_LAYERS], *y[MAX_LAYERS], *xhat[MAX_LAYERS], *rstd[MAX_LAYERS];
  float* dx;                  /* the dx output (NULL when not asked) */
  float* dxMembers;           /* [E, B, in0] per-member dx when x is shared by E > 1 members */
  float *dW[MAX_LAYERS], *db[MAX_LAYERS], *dg[MAX_LAYERS], *dbeta[MAX_LAYERS];
  int needDx, needParams, rc;
  float* work;                /* per item: two gradient slots and a dz buffer */
  size_t workPer, slotLen;
  float* shares;              /* per item (when rc > 1): its rows' share of the parameter gradients */
  size_t sharePer;
  size_t offW[MAX_LAYERS];
  float* packed;              /* per item (dx only): its live rows, gathered (see backward_item) */
  size_t packedPer;
} BwdCtx;

/* One item's rows: every pointer at the item's first row, with the tensor's own row width as
 * the stride (rstd: one per row). x is read only for the parameter gradients. */
typedef struct {
  const float* dy;
  const float* x;
  const float *y[MAX_LAYERS], *xhat[MAX_LAYERS], *rstd[MAX_LAYERS];
  float* dx; /* where dL/dx of these rows goes (NULL when not asked) */
} ItemRows;

/* Layer l's saved output is read by the backward (its activation's or LayerNorm's gradient). */
static int reads_y(const MlpSpec* s, int l) {
  return s->act[l] != ACT_LINEAR || s->norm[l];
}

/* The layers' backward over `rows` rows of member e. */
static void backward_rows(const BwdCtx* c, int item, int e, int rows, const ItemRows* v) {
  const MlpSpec* s = c->s;
  float* slot[2] = {c->work + item * c->workPer, c->work + item * c->workPer + c->slotLen};
  float* dzBuf = slot[1] + c->slotLen;
  float* share = c->rc > 1 ? c->shares + item * c->sharePer : NULL;
  const float* g = v->dy;
  for (int l = s->n - 1; l >= 0; l--) {
    const int in = s->in[l], out = s->out[l];
    const float* dz = g;
    if (reads_y(s, l)) {
      act_grad(dzBuf, g, v->y[l], (size_t)rows * out, s->act[l]);
      dz = dzBuf;
    }
    float *dW = NULL, *db = NULL, *dg = NULL, *dbeta = NULL;
    if (c->needParams) {
      if (share) {
        dW = share + c->offW[l];
        db = dW + (size_t)in * out;
        dg = s->norm[l] ? db + out : NULL;
        dbeta = s->norm[l] ? db + 2 * (size_t)out : NULL;
      } else {
        dW = c->dW[l] + (size_t)e * in * out;
        db = c->db[l] + (size_t)e * out;
        dg = s->norm[l] ? c->dg[l] + (size_t)e * out : NULL;
        dbeta = s->norm[l] ? c->dbeta[l] + (size_t)e * out : NULL;
      }
    }
    if (s->norm[l]) {
      if (dg) {
        memset(dg, 0, (size_t)out * sizeof(float));
        memset(dbeta, 0, (size_t)out * sizeof(float));
      }
      layer_norm_backward(dzBuf, v->xhat[l], v->rstd[l], c->g[l] + (size_t)e * out, dg, dbeta, rows, out);
    }
    if (c->needParams) {
      const float* ine = l == 0 ? v->x : v->y[l - 1];
      rrl_gemm(true, false, in, out, rows, ine, in > 0 ? in : 1, dz, out > 0 ? out : 1, dW, out > 0 ? out : 1, false);
      column_sums(db, dz, rows, out);
    }
    if (l == 0 && !v->dx) break;
    /* The next gradient may not overwrite dz, which it is computed from (dz is g itself after a
     * plain linear layer). */
    float* target = l > 0 ? (dz == slot[0] ? slot[1] : slot[0]) : v->dx;
    rrl_gemm(false, true, rows, in, out, dz, out > 0 ? out : 1, c->W[l] + (size_t)e * in * out, out > 0 ? out : 1, target, in > 0 ? in : 1, false);
    g = target;
  }
}

static int live_row(const float* dy, int w) {
  for (int j = 0; j < w; j++)
    if (dy[j] != 0.f) return 1;
  return 0;
}

/* Floats of one item's packed rows: dy, the saved outputs the backward reads, and dx. */
static size_t packed_len(const MlpSpec* s, int rows) {
  size_t per = (size_t)s->out[s->n - 1] + (size_t)s->in[0];
  for (int l = 0; l < s->n; l++)
    if (reads_y(s, l)) per += (size_t)s->out[l] * (s->norm[l] ? 2 : 1) + (s->norm[l] ? 1 : 0);
  return per * (size_t)rows;
}

/*
 * One item: member e, rows of block c. When only dx is asked, rows whose dy is zero contribute
 * nothing (every gradient of a row is a product with its dy) and get dx = 0 without being
 * computed: the live rows are gathered, run, and scattered back. This is SAC's actor step, where
 * each row's gradient flows through only the critic holding the minimum, so half the rows of each
 * twin critic are skipped. Which rows are live depends on dy alone, so results stay the same for
 * a given input and thread setting (a non-finite activation in a skipped row is not propagated).
 */
static void backward_item(void* p, int item) {
  const BwdCtx* c = (const BwdCtx*)p;
  const MlpSpec* s = c->s;
  const int n = s->n, B = s->B, e = item / c->rc, outN = s->out[n - 1], in0 = s->in[0];
  int r0, r1;
  chunk_rows(B, c->rc, item % c->rc, &r0, &r1);
  const int rows = r1 - r0;
  if (rows <= 0) return;
  const size_t rowAt = (size_t)e * B + r0;
  ItemRows v;
  memset(&v, 0, sizeof v);
  v.dy = c->dy + rowAt * outN;
  v.x = c->x + (s->xShared ? 0 : (size_t)e * B * in0) + (size_t)r0 * in0;
  for (int l = 0; l < n; l++) {
    v.y[l] = c->y[l] + rowAt * s->out[l];
    if (s->norm[l]) {
      v.xhat[l] = c->xhat[l] + rowAt * s->out[l];
      v.rstd[l] = c->rstd[l] + rowAt;
    }
  }
  if (c->needDx) v.dx = s->xShared && s->E > 1 ? c->dxMembers + rowAt * in0 : c->dx + (s->xShared ? 0 : (size_t)e * B * in0) + (size_t)r0 * in0;
  int live = rows;
  if (c->packed) {
    live = 0;
    for (int r = 0; r < rows; r++) live += live_row(v.dy + (size_t)r * outN, outN);
  }
  if (live == rows) {
    backward_rows(c, item, e, rows, &v);
    return;
  }
  /* Gather the live rows into this item's packed buffer (pk points into it; x is not read). */
  float* at = c->packed + item * c->packedPer;
  ItemRows pk;
  memset(&pk, 0, sizeof pk);
  float* dyP = at;
  pk.dy = dyP;
  at += (size_t)live * outN;
  float *yP[MAX_LAYERS] = {0}, *xhatP[MAX_LAYERS] = {0}, *rstdP[MAX_LAYERS] = {0};
  for (int l = 0; l < n; l++) {
    if (!reads_y(s, l)) continue;
    pk.y[l] = yP[l] = at;
    at += (size_t)live * s->out[l];
    if (s->norm[l]) {
      pk.xhat[l] = xhatP[l] = at;
      at += (size_t)live * s->out[l];
      pk.rstd[l] = rstdP[l] = at;
      at += live;
    }
  }
  pk.dx = at;
  int k = 0;
  for (int r = 0; r < rows; r++) {
    if (!live_row(v.dy + (size_t)r * outN, outN)) continue;
    memcpy(dyP + (size_t)k * outN, v.dy + (size_t)r * outN, (size_t)outN * sizeof(float));
    for (int l = 0; l < n; l++) {
      if (!yP[l]) continue;
      const size_t w = (size_t)s->out[l];
      memcpy(yP[l] + k * w, v.y[l] + r * w, w * sizeof(float));
      if (xhatP[l]) {
        memcpy(xhatP[l] + k * w, v.xhat[l] + r * w, w * sizeof(float));
        rstdP[l][k] = v.rstd[l][r];
      }
    }
    k++;
  }
  if (live > 0) backward_rows(c, item, e, live, &pk);
  /* Scatter dx back; dead rows get zeros. */
  k = 0;
  for (int r = 0; r < rows; r++) {
    float* dst = v.dx + (size_t)r * in0;
    if (live_row(v.dy + (size_t)r * outN, outN)) memcpy(dst, pk.dx + (size_t)(k++) * in0, (size_t)in0 * sizeof(float));
    else memset(dst, 0, (size_t)in0 * sizeof(float));
  }
}

/*
 * Ordered sums after the items: out[i] = sum_t src[t * stride + i] for t = 0 .. terms - 1, in
 * that order (the parameter gradients' shares over row blocks; a shared input's gradient over
 * members). Split into blocks of RRL_BLOCK elements over the pool.
 */
typedef struct {
  float* out;
  const float* src;
  size_t len, stride;
  int terms;
} SumJob;

typedef struct {
  const SumJob* jobs;
  const int* firstItem; /* item index where each job starts; one past the end last */
  int count;
} SumCtx;

static void sum_item(void* p, int item) {
  const SumCtx* c = (const SumCtx*)p;
  int j = 0;
  while (j + 1 < c->count && c->firstItem[j + 1] <= item) j++;
  const SumJob* job = &c->jobs[j];
  const size_t from = (size_t)(item - c->firstItem[j]) * RRL_BLOCK;
  const size_t to = from + RRL_BLOCK < job->len ? from + RRL_BLOCK : job->len;
  for (size_t i = from; i < to; i++) {
    float acc = job->src[i];
    for (int t = 1; t < job->terms; t++) acc += job->src[(size_t)t * job->stride + i];
    job->out[i] = acc;
  }
}

/*
 * mlpBackward(bufs, offs, spec), spec = [n, E, B, xShared, needDx, needParams, in0, out_0, act_0, norm_0, ...]
 * Tensors: dy (dL/dy_{n-1}), x, per layer W_l (and g_l where norm_l), per layer y_l (and xhat_l,
 * rstd_l where norm_l), then the outputs: dx when needDx (summed over members when x is shared),
 * and per layer dW_l, db_l (and dg_l, dbeta_l where norm_l) when needParams.
 */
napi_value rrl_mlp_backward(napi_env env, napi_callback_info info) {
  KERNEL_ARGS(3, "rrl_blas.mlpBackward");
  MlpSpec s;
  int32_t need[2];
  if (!parse_spec(env, a[2], 2, &s, need)) FAIL("rrl_blas.mlpBackward: bad spec");
  const int n = s.n, E = s.E, B = s.B;
  double counts[3 + 9 * MAX_LAYERS];
  float* p[3 + 9 * MAX_LAYERS];
  size_t k = 0;
  const double xCount = (double)(s.xShared ? 1 : E) * B * s.in[0];
  counts[k++] = (double)E * B * s.out[n - 1]; /* dy */
  counts[k++] = xCount;                        /* x */
  for (int l = 0; l < n; l++) {
    counts[k++] = (double)E * s.in[l] * s.out[l];
    if (s.norm[l]) counts[k++] = (double)E * s.out[l];
  }
  for (int l = 0; l < n; l++) {
    counts[k++] = (double)E * B * s.out[l];
    if (s.norm[l]) {
      counts[k++] = (double)E * B * s.out[l];
      counts[k++] = (double)E * B;
    }
  }
  if (need[0]) counts[k++] = xCount;
  if (need[1]) {
    for (int l = 0; l < n; l++) {
      counts[k++] = (double)E * s.in[l] * s.out[l];
      counts[k++] = (double)E * s.out[l];
      if (s.norm[l]) {
        counts[k++] = (double)E * s.out[l];
        counts[k++] = (double)E * s.out[l];
      }
    }
  }
  if (!rrl_tensor_list(env, a[0], a[1], k, counts, p)) return NULL;

  BwdCtx c;
  memset(&c, 0, sizeof c);
  c.s = &s;
  c.needDx = need[0] != 0;
  c.needParams = need[1] != 0;
  k = 0;
  c.dy = p[k++];
  c.x = p[k++];
  for (int l = 0; l < n; l++) {
    c.W[l] = p[k++];
    if (s.norm[l]) c.g[l] = p[k++];
  }
  for (int l = 0; l < n; l++) {
    c.y[l] = p[k++];
    if (s.norm[l]) {
      c.xhat[l] = p[k++];
      c.rstd[l] = p[k++];
    }
  }
  if (c.needDx) c.dx = p[k++];
  if (c.needParams) {
    for (int l = 0; l < n; l++) {
      c.dW[l] = p[k++];
      c.db[l] = p[k++];
      if (s.norm[l]) {
        c.dg[l] = p[k++];
        c.dbeta[l] = p[k++];
      }
    }
  }

  RrlPool* pool = rrl_pool(env);
  c.rc = mlp_chunks(E, B, rrl_pool_threads(pool));
  const int items = E * c.rc;
  const int rowsPer = B > 0 ? (B + c.rc - 1) / c.rc : 0;
  c.slotLen = (size_t)rowsPer * max_width(&s);
  c.workPer = 3 * c.slotLen;
  c.sharePer = share_layout(&s, c.offW);
  const bool memberSum = c.needDx && s.xShared && E > 1;
  /* All scratch is sized before any pointer is kept (a later request may move an earlier slot). */
  c.work = rrl_scratch(env, 0, (size_t)items * c.workPer);
  c.shares = c.needParams && c.rc > 1 ? rrl_scratch(env, 1, (size_t)items * c.sharePer) : NULL;
  c.dxMembers = memberSum ? rrl_scratch(env, 2, (size_t)E * B * s.in[0]) : NULL;
  c.packedPer = c.needDx && !c.needParams ? packed_len(&s, rowsPer) : 0;
  c.packed = c.packedPer ? rrl_scratch(env, 3, (size_t)items * c.packedPer) : NULL;
  if (!c.work || (c.needParams && c.rc > 1 && !c.shares) || (memberSum && !c.dxMembers) || (c.packedPer && !c.packed)) FAIL("rrl_blas.mlpBackward: out of memory for scratch");

  rrl_parallel(pool, items, backward_item, &c);

  /* The ordered sums: row blocks' shares into each parameter gradient, members into a shared dx. */
  const size_t maxJobs = (size_t)E * 4 * n + 1;
  SumJob* jobs = (SumJob*)malloc(sizeof(SumJob) * maxJobs);
  int* first = (int*)malloc(sizeof(int) * (maxJobs + 1));
  if (!jobs || !first) {
    free(jobs);
    free(first);
    FAIL("rrl_blas.mlpBackward: out of memory");
  }
  int nj = 0, nitems = 0;
  if (c.needParams && c.rc > 1) {
    for (int e = 0; e < E; e++)
      for (int l = 0; l < n; l++) {
        const size_t in = (size_t)s.in[l], out = (size_t)s.out[l];
        const float* src = c.shares + (size_t)e * c.rc * c.sharePer + c.offW[l];
        float* outs[4] = {c.dW[l] + e * in * out, c.db[l] + e * out, s.norm[l] ? c.dg[l] + e * out : NULL, s.norm[l] ? c.dbeta[l] + e * out : NULL};
        const size_t lens[4] = {in * out, out, out, out};
        size_t at = 0;
        for (int q = 0; q < 4; q++) {
          if (!outs[q]) continue;
          jobs[nj++] = (SumJob){outs[q], src + at, lens[q], c.sharePer, c.rc};
          at += lens[q];
        }
      }
  }
  if (memberSum) jobs[nj++] = (SumJob){c.dx, c.dxMembers, (size_t)B * s.in[0], (size_t)B * s.in[0], E};
  for (int j = 0; j < nj; j++) {
    first[j] = nitems;
    nitems += (int)((jobs[j].len + RRL_BLOCK - 1) / RRL_BLOCK);
  }
  first[nj] = nitems;
  SumCtx sc = {jobs, first, nj};
  rrl_parallel(pool, nitems, sum_item, &sc);
  free(jobs);
  free(first);
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
 * Rows per pool item of the tanh-Gaussian kernels: about 8,192 elements where the vector math
 * runs (a few microseconds: splitting SAC's batch would cost more than it saves), 256 with the
 * scalar functions. Elementwise per row, so any split gives the same results.
 */
static int gaussian_rows(int A) {
  const int elems = rrl_vmath_vector() ? 8192 : 256;
  return elems / A > 1 ? elems / A : 1;
}

typedef struct {
  float* const* t;
  int B, A, rows;
  float c0, c1;
  float* scratch; /* 4 x B x A: the staged arrays of every item, each item its own rows */
} GaussCtx;

/*
 * The forward quantities of rows [r0, r1) as arrays (row-major, A per row), so that the
 * transcendental functions run over whole arrays (rrl_vmath.c): th = tanh(raw),
 * ls = c0 + c1 th (the log std; skipped when ls is NULL), sd = exp(ls), y = tanh(mu + sd eps).
 * Each element's arithmetic is the scalar formula's, in the same order.
 */
static void gaussian_stage(const GaussCtx* c, const float* head, const float* eps, int r0, int r1, float* th, float* ls, float* sd, float* y) {
  const int A = c->A;
  const size_t n = (size_t)(r1 - r0) * A;
  for (int r = r0; r < r1; r++) memcpy(th + (size_t)(r - r0) * A, head + (size_t)r * 2 * A + A, (size_t)A * sizeof(float));
  rrl_vtanh(th, n);
  for (size_t i = 0; i < n; i++) sd[i] = c->c0 + c->c1 * th[i];
  if (ls) memcpy(ls, sd, n * sizeof(float));
  rrl_vexp(sd, n);
  for (int r = r0; r < r1; r++) {
    const float *mu = head + (size_t)r * 2 * A, *e = eps + (size_t)r * A;
    float* yr = y + (size_t)(r - r0) * A;
    const float* sr = sd + (size_t)(r - r0) * A;
    for (int j = 0; j < A; j++) yr[j] = mu[j] + sr[j] * e[j];
  }
  rrl_vtanh(y, n);
}

static void gaussian_item(void* p, int item) {
  const GaussCtx* c = (const GaussCtx*)p;
  const int A = c->A, r0 = item * c->rows, r1 = r0 + c->rows < c->B ? r0 + c->rows : c->B;
  const size_t n = (size_t)(r1 - r0) * A, at = (size_t)r0 * A, all = (size_t)c->B * A;
  float *th = c->scratch + at, *ls = th + all, *sd = ls + all, *q = sd + all;
  float* act = c->t[2] + at;
  const float* eps = c->t[1];
  gaussian_stage(c, c->t[0], eps, r0, r1, th, ls, sd, act);
  for (size_t i = 0; i < n; i++) q[i] = 1.f + SQUASH_EPS - act[i] * act[i];
  rrl_vlog(q, n);
  for (int r = r0; r < r1; r++) {
    const size_t o = (size_t)(r - r0) * A;
    const float* e = eps + (size_t)r * A;
    float lp = 0.f;
    for (int j = 0; j < A; j++) lp += (-0.5f * e[j] * e[j] - (ls[o + j] + HALF_LOG_2PI)) - q[o + j];
    c->t[3][r] = lp;
  }
}

/* Runs fn over the batch's row blocks with a staging area of 4 x B x A floats; throws `oom` (and
 * runs nothing) when that cannot be had. */
static void gaussian_run(napi_env env, GaussCtx* c, rrl_task_fn fn, const char* oom) {
  c->scratch = rrl_scratch(env, 4, (size_t)4 * c->B * c->A);
  if (!c->scratch && c->B > 0) {
    napi_throw_error(env, NULL, oom);
    return;
  }
  c->rows = gaussian_rows(c->A);
  rrl_parallel(rrl_pool(env), (c->B + c->rows - 1) / c->rows, fn, c);
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
  GaussCtx c = {t, B, A, 0, c0, c1, NULL};
  gaussian_run(env, &c, gaussian_item, "rrl_blas.tanhGaussian: out of memory");
  return NULL;
}

static void gaussian_grad_item(void* p, int item) {
  const GaussCtx* c = (const GaussCtx*)p;
  const int A = c->A, r0 = item * c->rows, r1 = r0 + c->rows < c->B ? r0 + c->rows : c->B;
  const size_t at = (size_t)r0 * A, all = (size_t)c->B * A;
  float* const* t = c->t;
  float *th = c->scratch + at, *sd = th + all, *y = sd + all;
  gaussian_stage(c, t[2], t[3], r0, r1, th, NULL, sd, y);
  for (int r = r0; r < r1; r++) {
    const size_t o = (size_t)(r - r0) * A;
    const float* eps = t[3] + (size_t)r * A;
    float* dh = t[4] + (size_t)r * 2 * A;
    const float dL = t[1][r];
    for (int j = 0; j < A; j++) {
      const float yj = y[o + j], tj = th[o + j];
      const float oneMinusA2 = 1.f - yj * yj;
      const float dA = t[0][(size_t)r * A + j];
      const float dx = dA * oneMinusA2 + dL * (2.f * yj * oneMinusA2) / (1.f + SQUASH_EPS - yj * yj);
      dh[j] = dx;
      dh[A + j] = (dx * sd[o + j] * eps[j] - dL) * (c->c1 * (1.f - tj * tj));
    }
  }
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
  GaussCtx c = {t, B, A, 0, c0, c1, NULL};
  gaussian_run(env, &c, gaussian_grad_item, "rrl_blas.tanhGaussianGrad: out of memory");
  return NULL;
}
