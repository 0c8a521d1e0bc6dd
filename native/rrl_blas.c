/*
 * rrl_blas: the numeric kernels the tfjs backends hand to the system CBLAS. This file holds the
 * module, the shared helpers of rrl.h, the matrix product and the optimizer loops; rrl_nets.c
 * holds the fused network kernels (whole MLPs, LayerNorm included, the tanh-Gaussian policy head),
 * rrl_sac.c the gradients of SAC's losses, rrl_copy.c Concat and Slice, rrl_pool.c the thread
 * pool the kernels split their work over.
 *
 * Every function works in place on memory JavaScript already owns: an ArrayBuffer (for the wasm
 * backend, the WebAssembly.Memory buffer that holds every tensor) plus byte offsets. Nothing is
 * copied in or out, which is the point: a 256x256 product costs ~0.3 ms in OpenBLAS, and copying
 * its operands across the boundary would cost as much again.
 *
 * Bounds are checked here, not trusted from JS, because a wrong offset would corrupt the heap of
 * the wasm backend silently.
 */
#include "rrl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#if defined(RRL_ACCELERATE)
#include <Accelerate/Accelerate.h>
#else
#include <cblas.h>
#endif

int rrl_f32(napi_env env, napi_value buf, double off_d, double count, float** out) {
  void* data = NULL;
  size_t len = 0;
  bool is_ab = false;
  if (napi_is_arraybuffer(env, buf, &is_ab) != napi_ok || !is_ab) return 0;
  if (napi_get_arraybuffer_info(env, buf, &data, &len) != napi_ok) return 0;
  if (!(off_d >= 0) || !(count >= 0) || ((uint64_t)off_d & 3u) != 0) return 0;
  if (off_d + count * 4.0 > (double)len) return 0;
  *out = (float*)((uint8_t*)data + (size_t)off_d);
  return 1;
}

double rrl_num(napi_env env, napi_value v) {
  double d = 0;
  napi_get_value_double(env, v, &d);
  return d;
}

int rrl_i32(napi_env env, napi_value v, const int32_t** data, size_t* len) {
  bool is_ta = false;
  napi_typedarray_type type;
  void* ptr = NULL;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) return 0;
  if (napi_get_typedarray_info(env, v, &type, len, &ptr, NULL, NULL) != napi_ok || type != napi_int32_array) return 0;
  *data = (const int32_t*)ptr;
  return 1;
}

int rrl_tensor_list(napi_env env, napi_value bufs, napi_value offs, size_t n, const double* counts, float** ptrs) {
  bool is_arr = false, is_ta = false;
  uint32_t len = 0;
  napi_typedarray_type type;
  size_t olen = 0;
  void* odata = NULL;
  if (napi_is_array(env, bufs, &is_arr) != napi_ok || !is_arr || napi_get_array_length(env, bufs, &len) != napi_ok || len != n) {
    napi_throw_range_error(env, NULL, "rrl_blas: tensor buffer list has the wrong length");
    return 0;
  }
  if (napi_is_typedarray(env, offs, &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, offs, &type, &olen, &odata, NULL, NULL) != napi_ok || type != napi_float64_array || olen != n) {
    napi_throw_range_error(env, NULL, "rrl_blas: tensor offsets must be a Float64Array of the list's length");
    return 0;
  }
  const double* o = (const double*)odata;
  for (uint32_t i = 0; i < n; i++) {
    napi_value b;
    if (napi_get_element(env, bufs, i, &b) != napi_ok || !rrl_f32(env, b, o[i], counts[i], &ptrs[i])) {
      char msg[96];
      snprintf(msg, sizeof msg, "rrl_blas: tensor %u of the list is out of bounds (%.0f elements expected)", i, counts[i]);
      napi_throw_range_error(env, NULL, msg);
      return 0;
    }
  }
  return 1;
}

void rrl_gemm(bool tA, bool tB, int m, int n, int k, const float* A, int lda, const float* B, int ldb, float* C, int ldc, bool accumulate) {
  if (m == 0 || n == 0) return;
  const float beta = accumulate ? 1.0f : 0.0f;
  if (k == 0) {
    if (!accumulate) {
      for (int r = 0; r < m; r++) memset(C + (size_t)r * ldc, 0, (size_t)n * sizeof(float));
    }
  } else if (m == 1 && ldc >= n) {
    /* A row vector times a matrix (column sums, e.g. a bias gradient). The vector is contiguous
     * whether or not A is transposed, since it has one row or one column. */
    if (tB) cblas_sgemv(CblasRowMajor, CblasNoTrans, n, k, 1.0f, B, ldb, A, tA ? lda : 1, beta, C, 1);
    else cblas_sgemv(CblasRowMajor, CblasTrans, k, n, 1.0f, B, ldb, A, tA ? lda : 1, beta, C, 1);
  } else if (k == 1 && !accumulate) {
    /* An outer product (the input gradient of a one-unit output layer): one rounding per element,
     * as sgemm's, which takes several times longer to pack its operands than to multiply them. */
    for (int r = 0; r < m; r++) {
      const float a = A[(size_t)r * (tA ? 1 : (size_t)lda)];
      float* c = C + (size_t)r * ldc;
      if (tB) {
        for (int j = 0; j < n; j++) c[j] = a * B[(size_t)j * ldb];
      } else {
        for (int j = 0; j < n; j++) c[j] = a * B[j];
      }
    }
  } else if (n == 1) {
    /* A matrix times a column vector (a one-unit output layer). */
    if (tA) cblas_sgemv(CblasRowMajor, CblasTrans, k, m, 1.0f, A, lda, B, tB ? 1 : ldb, beta, C, ldc);
    else cblas_sgemv(CblasRowMajor, CblasNoTrans, m, k, 1.0f, A, lda, B, tB ? 1 : ldb, beta, C, ldc);
  } else {
    cblas_sgemm(CblasRowMajor, tA ? CblasTrans : CblasNoTrans, tB ? CblasTrans : CblasNoTrans, m, n, k,
                1.0f, A, lda, B, ldb, beta, C, ldc);
  }
}

/* Bias and activation over one output row, in one pass; the common cases (contiguous bias, relu)
 * get their own loops so the compiler vectorises them. */
void rrl_epilogue_row(float* restrict row, const float* restrict br, size_t bsc, int n, int act, float leaky) {
  if (br && bsc == 1 && act == ACT_RELU) {
    for (int j = 0; j < n; j++) {
      const float z = row[j] + br[j];
      row[j] = z > 0.f ? z : 0.f;
    }
    return;
  }
  if (br && bsc == 1 && act == ACT_LINEAR) {
    for (int j = 0; j < n; j++) row[j] += br[j];
    return;
  }
  if (br) {
    for (int j = 0; j < n; j++) row[j] += br[(size_t)j * bsc];
  }
  switch (act) {
    case ACT_RELU:
      for (int j = 0; j < n; j++) row[j] = row[j] > 0.f ? row[j] : 0.f;
      break;
    case ACT_RELU6:
      for (int j = 0; j < n; j++) row[j] = row[j] < 0.f ? 0.f : (row[j] > 6.f ? 6.f : row[j]);
      break;
    case ACT_LEAKYRELU:
      for (int j = 0; j < n; j++) row[j] = row[j] < 0.f ? leaky * row[j] : row[j];
      break;
    case ACT_ELU:
      for (int j = 0; j < n; j++) row[j] = row[j] < 0.f ? expm1f(row[j]) : row[j];
      break;
    case ACT_SIGMOID:
      for (int j = 0; j < n; j++) row[j] = 1.f / (1.f + expf(-row[j]));
      break;
    case ACT_TANH:
      for (int j = 0; j < n; j++) row[j] = tanhf(row[j]);
      break;
    default:
      break;
  }
}

/* Per addon instance (the main thread and each worker that loads the addon get their own), freed
 * with the instance: scratch memory and the thread pool. Scratch is grow-only: the fused kernels
 * ask for the same sizes on every call, so after the first update nothing is allocated. */
typedef struct {
  float* p[RRL_SCRATCH_SLOTS];
  size_t n[RRL_SCRATCH_SLOTS];
  RrlPool* pool;
} Instance;

static void instance_free(napi_env env, void* data, void* hint) {
  (void)env;
  (void)hint;
  Instance* s = (Instance*)data;
  rrl_pool_destroy(s->pool);
  for (int i = 0; i < RRL_SCRATCH_SLOTS; i++) free(s->p[i]);
  free(s);
}

static Instance* instance(napi_env env) {
  Instance* s = NULL;
  if (napi_get_instance_data(env, (void**)&s) != napi_ok) return NULL;
  return s;
}

float* rrl_scratch(napi_env env, int slot, size_t count) {
  Instance* s = instance(env);
  if (s == NULL || slot < 0 || slot >= RRL_SCRATCH_SLOTS) return NULL;
  if (s->n[slot] < count) {
    float* p = (float*)realloc(s->p[slot], (count > 0 ? count : 1) * sizeof(float));
    if (!p) return NULL;
    s->p[slot] = p;
    s->n[slot] = count;
  }
  return s->p[slot];
}

RrlPool* rrl_pool(napi_env env) {
  Instance* s = instance(env);
  return s ? s->pool : NULL;
}

/*
 * gemm(aBuf, aOff, bBuf, bOff, cBuf, cOff,
 *      batch, M, N, K, transA, transB, strideA, strideB,
 *      biasBuf|null, biasOff, biasStrideBatch, biasStrideRow, biasStrideCol,
 *      activation, leakyAlpha)
 *
 * C[i] = act(op(A[i]) * op(B[i]) + bias) for i < batch, row-major. op(A[i]) is M x K, op(B[i]) is
 * K x N; strideA / strideB are in elements and 0 broadcasts one matrix over the batch (a 2-D
 * operand against a stack). The bias element for (i, m, n) is
 * bias[i*biasStrideBatch + m*biasStrideRow + n*biasStrideCol]; zero strides broadcast it.
 */
static napi_value Gemm(napi_env env, napi_callback_info info) {
  KERNEL_ARGS(21, "rrl_blas.gemm");

  const double batch = rrl_num(env, a[6]), M = rrl_num(env, a[7]), N = rrl_num(env, a[8]), K = rrl_num(env, a[9]);
  bool tA = false, tB = false;
  napi_get_value_bool(env, a[10], &tA);
  napi_get_value_bool(env, a[11], &tB);
  const double sA = rrl_num(env, a[12]), sB = rrl_num(env, a[13]);
  if (batch < 0 || M < 0 || N < 0 || K < 0 || sA < 0 || sB < 0) FAIL("rrl_blas.gemm: negative size");

  float *A, *B, *C, *bias = NULL;
  const double spanA = batch > 0 ? (batch - 1) * sA + M * K : 0;
  const double spanB = batch > 0 ? (batch - 1) * sB + K * N : 0;
  if (!rrl_f32(env, a[0], rrl_num(env, a[1]), spanA, &A)) FAIL("rrl_blas.gemm: A out of bounds");
  if (!rrl_f32(env, a[2], rrl_num(env, a[3]), spanB, &B)) FAIL("rrl_blas.gemm: B out of bounds");
  if (!rrl_f32(env, a[4], rrl_num(env, a[5]), batch * M * N, &C)) FAIL("rrl_blas.gemm: C out of bounds");

  napi_valuetype bt;
  CHECK(napi_typeof(env, a[14], &bt));
  const double bsb = rrl_num(env, a[16]), bsr = rrl_num(env, a[17]), bsc = rrl_num(env, a[18]);
  if (bt != napi_null && bt != napi_undefined && batch > 0 && M > 0 && N > 0) {
    const double spanBias = (batch - 1) * bsb + (M - 1) * bsr + (N - 1) * bsc + 1;
    if (bsb < 0 || bsr < 0 || bsc < 0 || !rrl_f32(env, a[14], rrl_num(env, a[15]), spanBias, &bias))
      FAIL("rrl_blas.gemm: bias out of bounds");
  }
  int32_t act = 0;
  napi_get_value_int32(env, a[19], &act);
  const float leaky = (float)rrl_num(env, a[20]);

  const int m = (int)M, n = (int)N, k = (int)K, nb = (int)batch;
  const size_t sa = (size_t)sA, sb = (size_t)sB, mn = (size_t)m * n;
  /* Row-major leading dimensions of the stored (not the transposed) matrices; BLAS wants >= 1. */
  const int lda = (tA ? m : k) > 0 ? (tA ? m : k) : 1;
  const int ldb = (tB ? k : n) > 0 ? (tB ? k : n) : 1;
  const int ldc = n > 0 ? n : 1;

  for (int i = 0; i < nb; i++) {
    float* c = C + (size_t)i * mn;
    if (m == 0 || n == 0) continue;
    rrl_gemm(tA, tB, m, n, k, A + (size_t)i * sa, lda, B + (size_t)i * sb, ldb, c, ldc, false);
    if (bias == NULL && act == ACT_LINEAR) continue;
    const float* bi = bias ? bias + (size_t)i * (size_t)bsb : NULL;
    for (int r = 0; r < m; r++) rrl_epilogue_row(c + (size_t)r * n, bi ? bi + (size_t)r * (size_t)bsr : NULL, (size_t)bsc, n, act, leaky);
  }
  return NULL;
}

/* One element of the Adam step: the new moments and parameter from the old ones and the gradient. */
static inline void adam_elem(float p, float g, float m, float v, float* po, float* mo, float* vo, float step, float fb1, float fb2, float feps,
                             float sbc2) {
  const float mi = fb1 * m + (1.f - fb1) * g;
  const float vi = fb2 * v + (1.f - fb2) * g * g;
  *mo = mi;
  *vo = vi;
  *po = p - step * mi / (sqrtf(vi) / sbc2 + feps);
}

/* restrict: outputs must not overlap the inputs, which holds because the tfjs kernel allocates
 * fresh outputs; without it GCC needs more alias checks than it will emit and leaves the loop
 * scalar (3.5x slower). */
RRL_CLONES static void adam_loop(const float* restrict p, const float* restrict g, const float* restrict m,
                                 const float* restrict v, float* restrict po, float* restrict mo, float* restrict vo, size_t n, float step, float fb1, float fb2, float feps, float sbc2) {
  for (size_t i = 0; i < n; i++) adam_elem(p[i], g[i], m[i], v[i], po + i, mo + i, vo + i, step, fb1, fb2, feps, sbc2);
}

/* The same step in place (the direct SAC update, agents/sac/direct.ts, keeps parameters and moments
 * where they are): each array is one restrict pointer, read and written at the same index. */
RRL_CLONES static void adam_loop_inplace(float* restrict p, const float* restrict g, float* restrict m, float* restrict v, size_t n, float step,
                                         float fb1, float fb2, float feps, float sbc2) {
  for (size_t i = 0; i < n; i++) adam_elem(p[i], g[i], m[i], v[i], p + i, m + i, v + i, step, fb1, fb2, feps, sbc2);
}

/*
 * A tensor list's elements in blocks of at most RRL_BLOCK, one pool item each: at[2j] the tensor,
 * at[2j + 1] the block's first element. Elementwise results do not depend on the blocks.
 */
typedef struct {
  const double* sizes;
  size_t* at;
} Blocks;

static int list_blocks(const double* sizes, size_t k, Blocks* b) {
  size_t n = 0;
  for (size_t i = 0; i < k; i++) n += ((size_t)sizes[i] + RRL_BLOCK - 1) / RRL_BLOCK;
  b->sizes = sizes;
  b->at = (size_t*)malloc(sizeof(size_t) * 2 * (n + 1));
  if (!b->at) return -1;
  size_t j = 0;
  for (size_t i = 0; i < k; i++)
    for (size_t from = 0; from < (size_t)sizes[i]; from += RRL_BLOCK) {
      b->at[2 * j] = i;
      b->at[2 * j + 1] = from;
      j++;
    }
  return (int)n;
}

static size_t block_len(const Blocks* b, int item) {
  const size_t left = (size_t)b->sizes[b->at[2 * item]] - b->at[2 * item + 1];
  return left < RRL_BLOCK ? left : RRL_BLOCK;
}

typedef struct {
  float** t;
  size_t k;
  Blocks blocks;
  float step, b1, b2, eps, sbc2;
} AdamCtx;

static void adam_item(void* p, int item) {
  const AdamCtx* c = (const AdamCtx*)p;
  const size_t i = c->blocks.at[2 * item], o = c->blocks.at[2 * item + 1], k = c->k;
  float* const* t = c->t;
  if (t[4 * k + i] == t[i] && t[5 * k + i] == t[2 * k + i] && t[6 * k + i] == t[3 * k + i]) {
    adam_loop_inplace(t[i] + o, t[k + i] + o, t[2 * k + i] + o, t[3 * k + i] + o, block_len(&c->blocks, item), c->step, c->b1, c->b2, c->eps, c->sbc2);
    return;
  }
  adam_loop(t[i] + o, t[k + i] + o, t[2 * k + i] + o, t[3 * k + i] + o, t[4 * k + i] + o, t[5 * k + i] + o, t[6 * k + i] + o,
            block_len(&c->blocks, item), c->step, c->b1, c->b2, c->eps, c->sbc2);
}

/* The sizes argument of the list kernels: a Float64Array of k element counts. */
static int sizes_arg(napi_env env, napi_value v, const double** sizes, size_t* k) {
  bool is_ta = false;
  napi_typedarray_type type;
  void* data = NULL;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) return 0;
  if (napi_get_typedarray_info(env, v, &type, k, &data, NULL, NULL) != napi_ok || type != napi_float64_array) return 0;
  *sizes = (const double*)data;
  for (size_t i = 0; i < *k; i++) {
    if (!((*sizes)[i] >= 0)) return 0;
  }
  return 1;
}

/*
 * The (bufs, offs, sizes) arguments of the list kernels: `groups` groups of k tensors each, the
 * i-th of every group sizes[i] long. Throws (naming the kernel) and returns NULL when they are off.
 */
static float** grouped_list(napi_env env, const napi_value* a, size_t groups, const char* bad_sizes, const double** sizes_out, size_t* k_out) {
  const double* sizes;
  size_t k;
  if (!sizes_arg(env, a[2], &sizes, &k)) {
    napi_throw_range_error(env, NULL, bad_sizes);
    return NULL;
  }
  *sizes_out = sizes;
  *k_out = k;
  const napi_value bufs = a[0], offs = a[1];
  double* counts = (double*)malloc(sizeof(double) * k * groups + 1);
  float** ptrs = (float**)malloc(sizeof(float*) * k * groups + 1);
  if (!counts || !ptrs) {
    free(counts);
    free(ptrs);
    napi_throw_error(env, NULL, "rrl_blas: out of memory");
    return NULL;
  }
  for (size_t g = 0; g < groups; g++)
    for (size_t i = 0; i < k; i++) counts[g * k + i] = sizes[i];
  const int ok = rrl_tensor_list(env, bufs, offs, k * groups, counts, ptrs);
  free(counts);
  if (!ok) {
    free(ptrs);
    return NULL;
  }
  return ptrs;
}

/*
 * adam(bufs, offs, sizes, lr, beta1, beta2, eps, step)
 *
 * One Adam step over k parameter tensors in a single call and a single pass over each (tfjs's
 * optimizer spends ~12 elementwise ops per tensor on the same thing). The list holds 7 groups of
 * k tensors: params, grads, m, v, then the new params, m and v: fresh outputs (tfjs tensors are
 * immutable, so the tfjs kernel re-points its variables at them), or the inputs themselves for a
 * step in place (each new tensor exactly its old one, never a partial overlap). sizes[i] is
 * tensor i's length.
 */
static napi_value Adam(napi_env env, napi_callback_info info) {
  KERNEL_ARGS(8, "rrl_blas.adam");
  const double* sizes;
  size_t k;
  float** t = grouped_list(env, a, 7, "rrl_blas.adam: sizes must be a Float64Array of non-negative counts", &sizes, &k);
  if (!t) return NULL;
  const double lr = rrl_num(env, a[3]), b1 = rrl_num(env, a[4]), b2 = rrl_num(env, a[5]), eps = rrl_num(env, a[6]);
  const double step = rrl_num(env, a[7]);
  /* Bias corrections as in torch.optim.Adam: p -= lr / bc1 * m / (sqrt(v) / sqrt(bc2) + eps). */
  const float bc1 = (float)(1.0 - pow(b1, step)), sbc2 = (float)sqrt(1.0 - pow(b2, step));
  AdamCtx c = {t, k, {0}, (float)lr / bc1, (float)b1, (float)b2, (float)eps, sbc2};
  const int items = list_blocks(sizes, k, &c.blocks);
  if (items < 0) {
    free(t);
    FAIL("rrl_blas.adam: out of memory");
  }
  rrl_parallel(rrl_pool(env), items, adam_item, &c);
  free(c.blocks.at);
  free(t);
  return NULL;
}

RRL_CLONES static void axpby_loop(const float* restrict x, const float* restrict y, float* restrict out, size_t n, float al, float be) {
  for (size_t i = 0; i < n; i++) out[i] = al * x[i] + be * y[i];
}

/* x <- alpha x + beta y, in place (out is x: Polyak averaging in the direct SAC update). */
RRL_CLONES static void axpby_loop_inplace(float* restrict x, const float* restrict y, size_t n, float al, float be) {
  for (size_t i = 0; i < n; i++) x[i] = al * x[i] + be * y[i];
}

typedef struct {
  float** t;
  size_t k;
  Blocks blocks;
  float al, be;
} AxpbyCtx;

static void axpby_item(void* p, int item) {
  const AxpbyCtx* c = (const AxpbyCtx*)p;
  const size_t i = c->blocks.at[2 * item], o = c->blocks.at[2 * item + 1], k = c->k;
  if (c->t[2 * k + i] == c->t[i]) {
    axpby_loop_inplace(c->t[i] + o, c->t[k + i] + o, block_len(&c->blocks, item), c->al, c->be);
    return;
  }
  axpby_loop(c->t[i] + o, c->t[k + i] + o, c->t[2 * k + i] + o, block_len(&c->blocks, item), c->al, c->be);
}

/*
 * axpby(bufs, offs, sizes, alpha, beta): out_i = alpha x_i + beta y_i for k tensor pairs in one
 * call (Polyak averaging of every target-network tensor; three tfjs ops per tensor otherwise).
 * The list holds 3 groups of k tensors: x, y, out (fresh, or x itself: in place).
 */
static napi_value Axpby(napi_env env, napi_callback_info info) {
  KERNEL_ARGS(5, "rrl_blas.axpby");
  const double* sizes;
  size_t k;
  float** t = grouped_list(env, a, 3, "rrl_blas.axpby: sizes must be a Float64Array of non-negative counts", &sizes, &k);
  if (!t) return NULL;
  AxpbyCtx c = {t, k, {0}, (float)rrl_num(env, a[3]), (float)rrl_num(env, a[4])};
  const int items = list_blocks(sizes, k, &c.blocks);
  if (items < 0) {
    free(t);
    FAIL("rrl_blas.axpby: out of memory");
  }
  rrl_parallel(rrl_pool(env), items, axpby_item, &c);
  free(c.blocks.at);
  free(t);
  return NULL;
}

#if defined(RRL_OPENBLAS)
extern void openblas_set_num_threads(int);
extern char* openblas_get_corename(void);
#endif

/* The BLAS in use, for the start-up line: "OpenBLAS (SkylakeX kernels)", "Accelerate", "CBLAS". */
static napi_value Info(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value s;
  char name[96];
#if defined(RRL_ACCELERATE)
  snprintf(name, sizeof name, "Accelerate");
#elif defined(RRL_OPENBLAS)
  const char* core = openblas_get_corename();
  snprintf(name, sizeof name, "OpenBLAS (%s kernels)", core ? core : "unknown");
#else
  snprintf(name, sizeof name, "CBLAS");
#endif
  if (rrl_vmath_vector()) strncat(name, " + libmvec", sizeof name - strlen(name) - 1);
  CHECK(napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &s));
  return s;
}

/*
 * setThreads(n) -> threads now in use. n > 0 sets how many threads the kernels run on (this
 * instance's pool, the calling thread included); n <= 0 only queries. The BLAS itself always runs
 * single-threaded inside each (set at load), because the kernels split the work above it.
 */
static napi_value SetThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value a[1], out;
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  int32_t n = 0;
  if (argc >= 1) napi_get_value_int32(env, a[0], &n);
  Instance* s = instance(env);
  if (!s) FAIL("rrl_blas.setThreads: no instance data");
  if (n > 0 && n != rrl_pool_threads(s->pool)) {
    if (n > 256) FAIL("rrl_blas.setThreads: at most 256 threads");
    RrlPool* p = rrl_pool_create(n);
    if (!p) FAIL("rrl_blas.setThreads: out of memory");
    rrl_pool_destroy(s->pool);
    s->pool = p;
  }
  CHECK(napi_create_int32(env, rrl_pool_threads(s->pool), &out));
  return out;
}

static napi_value Abi(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  CHECK(napi_create_int32(env, RRL_ABI, &out));
  return out;
}

static napi_value Init(napi_env env, napi_value exports) {
  Instance* s = (Instance*)calloc(1, sizeof(Instance));
  if (s) s->pool = rrl_pool_create(1);
  if (!s || !s->pool) {
    free(s);
    napi_throw_error(env, NULL, "rrl_blas: out of memory");
    return NULL;
  }
  CHECK(napi_set_instance_data(env, s, instance_free, NULL));
  /* Settles the vector-math choice on this thread, before the pool's threads can ask for it. */
  (void)rrl_vmath_vector();
#if defined(RRL_OPENBLAS)
  /* Kernels may call the BLAS from several pool threads at once; each call stays on its thread. */
  openblas_set_num_threads(1);
#endif
  napi_property_descriptor props[] = {
      {"gemm", NULL, Gemm, NULL, NULL, NULL, napi_default, NULL},
      {"adam", NULL, Adam, NULL, NULL, NULL, napi_default, NULL},
      {"axpby", NULL, Axpby, NULL, NULL, NULL, napi_default, NULL},
      {"mlpForward", NULL, rrl_mlp_forward, NULL, NULL, NULL, napi_default, NULL},
      {"mlpBackward", NULL, rrl_mlp_backward, NULL, NULL, NULL, napi_default, NULL},
      {"tanhGaussian", NULL, rrl_tanh_gaussian, NULL, NULL, NULL, napi_default, NULL},
      {"tanhGaussianGrad", NULL, rrl_tanh_gaussian_grad, NULL, NULL, NULL, napi_default, NULL},
      {"sacTarget", NULL, rrl_sac_target, NULL, NULL, NULL, napi_default, NULL},
      {"sacCriticGrad", NULL, rrl_sac_critic_grad, NULL, NULL, NULL, napi_default, NULL},
      {"sacActorGrad", NULL, rrl_sac_actor_grad, NULL, NULL, NULL, napi_default, NULL},
      {"sacAlphaGrad", NULL, rrl_sac_alpha_grad, NULL, NULL, NULL, napi_default, NULL},
      {"concat", NULL, rrl_concat, NULL, NULL, NULL, napi_default, NULL},
      {"slice", NULL, rrl_slice, NULL, NULL, NULL, napi_default, NULL},
      {"taskSelect", NULL, rrl_task_select, NULL, NULL, NULL, napi_default, NULL},
      {"taskSelectGrad", NULL, rrl_task_select_grad, NULL, NULL, NULL, napi_default, NULL},
      {"info", NULL, Info, NULL, NULL, NULL, napi_default, NULL},
      {"setThreads", NULL, SetThreads, NULL, NULL, NULL, napi_default, NULL},
      {"abi", NULL, Abi, NULL, NULL, NULL, napi_default, NULL},
  };
  CHECK(napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
