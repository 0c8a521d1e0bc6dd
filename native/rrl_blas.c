/*
 * rrl_blas: the few numeric kernels the tfjs backends hand to the system CBLAS.
 *
 * Every function works in place on memory JavaScript already owns: an ArrayBuffer (for the wasm
 * backend, the WebAssembly.Memory buffer that holds every tensor) plus byte offsets. Nothing is
 * copied in or out, which is the point: a 256x256 product costs ~0.3 ms in OpenBLAS, and copying
 * its operands across the boundary would cost as much again.
 *
 * Bounds are checked here, not trusted from JS, because a wrong offset would corrupt the heap of
 * the wasm backend silently.
 */
#include <node_api.h>
#include <stdint.h>
#include <string.h>
#include <math.h>

#if defined(RRL_ACCELERATE)
#include <Accelerate/Accelerate.h>
#else
#include <cblas.h>
#endif

#define CHECK(call)                                                        \
  do {                                                                     \
    if ((call) != napi_ok) {                                               \
      napi_throw_error(env, NULL, "rrl_blas: N-API call failed: " #call); \
      return NULL;                                                         \
    }                                                                      \
  } while (0)

#define FAIL(msg)                            \
  do {                                       \
    napi_throw_range_error(env, NULL, msg);  \
    return NULL;                             \
  } while (0)

/*
 * The elementwise loops (Adam, relu's backward, axpby) are memory- and divide-bound; on x86-64
 * Linux with GCC they are also compiled for AVX2/FMA and picked at load time (ifunc), so the
 * addon still runs on any x86-64 CPU. Elsewhere the plain build is used.
 */
#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(__clang__)
#define RRL_CLONES __attribute__((target_clones("arch=haswell", "default")))
#else
#define RRL_CLONES
#endif

/* Activation codes shared with agents/tensor/kernels.ts. */
enum { ACT_LINEAR = 0, ACT_RELU = 1, ACT_RELU6 = 2, ACT_LEAKYRELU = 3, ACT_ELU = 4, ACT_SIGMOID = 5 };

static int get_f32(napi_env env, napi_value buf, double off_d, double count, float** out) {
  void* data = NULL;
  size_t len = 0;
  bool is_ab = false;
  if (napi_is_arraybuffer(env, buf, &is_ab) != napi_ok || !is_ab) return 0;
  if (napi_get_arraybuffer_info(env, buf, &data, &len) != napi_ok) return 0;
  if (off_d < 0 || count < 0 || ((uint64_t)off_d & 3u) != 0) return 0;
  if (off_d + count * 4.0 > (double)len) return 0;
  *out = (float*)((uint8_t*)data + (size_t)off_d);
  return 1;
}

static double num(napi_env env, napi_value v) {
  double d = 0;
  napi_get_value_double(env, v, &d);
  return d;
}

/* Bias and activation over one output row, in one pass; the common cases (contiguous bias, relu)
 * get their own loops so the compiler vectorises them. */
static void epilogue_row(float* restrict row, const float* restrict br, size_t bsc, int n, int act, float leaky) {
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
    default:
      break;
  }
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
  size_t argc = 21;
  napi_value a[21];
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc != 21) FAIL("rrl_blas.gemm: expected 21 arguments");

  const double batch = num(env, a[6]), M = num(env, a[7]), N = num(env, a[8]), K = num(env, a[9]);
  bool tA = false, tB = false;
  napi_get_value_bool(env, a[10], &tA);
  napi_get_value_bool(env, a[11], &tB);
  const double sA = num(env, a[12]), sB = num(env, a[13]);
  if (batch < 0 || M < 0 || N < 0 || K < 0 || sA < 0 || sB < 0) FAIL("rrl_blas.gemm: negative size");

  float *A, *B, *C, *bias = NULL;
  const double spanA = batch > 0 ? (batch - 1) * sA + M * K : 0;
  const double spanB = batch > 0 ? (batch - 1) * sB + K * N : 0;
  if (!get_f32(env, a[0], num(env, a[1]), spanA, &A)) FAIL("rrl_blas.gemm: A out of bounds");
  if (!get_f32(env, a[2], num(env, a[3]), spanB, &B)) FAIL("rrl_blas.gemm: B out of bounds");
  if (!get_f32(env, a[4], num(env, a[5]), batch * M * N, &C)) FAIL("rrl_blas.gemm: C out of bounds");

  napi_valuetype bt;
  CHECK(napi_typeof(env, a[14], &bt));
  const double bsb = num(env, a[16]), bsr = num(env, a[17]), bsc = num(env, a[18]);
  if (bt != napi_null && bt != napi_undefined && batch > 0 && M > 0 && N > 0) {
    const double spanBias = (batch - 1) * bsb + (M - 1) * bsr + (N - 1) * bsc + 1;
    if (bsb < 0 || bsr < 0 || bsc < 0 || !get_f32(env, a[14], num(env, a[15]), spanBias, &bias))
      FAIL("rrl_blas.gemm: bias out of bounds");
  }
  int32_t act = 0;
  napi_get_value_int32(env, a[19], &act);
  const float leaky = (float)num(env, a[20]);

  const int m = (int)M, n = (int)N, k = (int)K, nb = (int)batch;
  const size_t sa = (size_t)sA, sb = (size_t)sB, mn = (size_t)m * n;
  /* Row-major leading dimensions of the stored (not the transposed) matrices; BLAS wants >= 1. */
  const int lda = (tA ? m : k) > 0 ? (tA ? m : k) : 1;
  const int ldb = (tB ? k : n) > 0 ? (tB ? k : n) : 1;
  const int ldc = n > 0 ? n : 1;

  for (int i = 0; i < nb; i++) {
    float* c = C + (size_t)i * mn;
    if (m == 0 || n == 0) continue;
    const float* ai = A + (size_t)i * sa;
    const float* bi_ = B + (size_t)i * sb;
    if (k == 0) {
      memset(c, 0, mn * sizeof(float)); /* an empty sum; some BLAS builds reject K = 0 */
    } else if (m == 1) {
      /* A row vector times a matrix (column sums, e.g. a bias gradient): gemv, which BLAS
       * implementations run several times faster than a 1-row gemm. The vector is contiguous
       * whether or not A is transposed, since it has one row or one column. */
      if (tB) cblas_sgemv(CblasRowMajor, CblasNoTrans, n, k, 1.0f, bi_, ldb, ai, 1, 0.0f, c, 1);
      else cblas_sgemv(CblasRowMajor, CblasTrans, k, n, 1.0f, bi_, ldb, ai, 1, 0.0f, c, 1);
    } else if (n == 1) {
      /* A matrix times a column vector (a one-unit output layer). */
      if (tA) cblas_sgemv(CblasRowMajor, CblasTrans, k, m, 1.0f, ai, lda, bi_, 1, 0.0f, c, 1);
      else cblas_sgemv(CblasRowMajor, CblasNoTrans, m, k, 1.0f, ai, lda, bi_, 1, 0.0f, c, 1);
    } else {
      cblas_sgemm(CblasRowMajor, tA ? CblasTrans : CblasNoTrans, tB ? CblasTrans : CblasNoTrans, m, n, k,
                  1.0f, ai, lda, bi_, ldb, 0.0f, c, ldc);
    }
    if (bias == NULL && act == ACT_LINEAR) continue;
    const float* bi = bias ? bias + (size_t)i * (size_t)bsb : NULL;
    for (int r = 0; r < m; r++) epilogue_row(c + (size_t)r * n, bi ? bi + (size_t)r * (size_t)bsr : NULL, (size_t)bsc, n, act, leaky);
  }
  return NULL;
}

/* restrict: outputs must not overlap the inputs, which holds because the tfjs kernel allocates
 * fresh outputs; without it GCC needs more alias checks than it will emit and leaves the loop
 * scalar (3.5x slower). */
RRL_CLONES static void adam_loop(const float* restrict p, const float* restrict g, const float* restrict m,
                                 const float* restrict v, float* restrict po, float* restrict mo, float* restrict vo, size_t n, float step, float fb1, float fb2, float feps, float sbc2) {
  for (size_t i = 0; i < n; i++) {
    const float gi = g[i];
    const float mi = fb1 * m[i] + (1.f - fb1) * gi;
    const float vi = fb2 * v[i] + (1.f - fb2) * gi * gi;
    mo[i] = mi;
    vo[i] = vi;
    po[i] = p[i] - step * mi / (sqrtf(vi) / sbc2 + feps);
  }
}

/*
 * adam(pBuf, pOff, gBuf, gOff, mBuf, mOff, vBuf, vOff,
 *      pOutBuf, pOutOff, mOutBuf, mOutOff, vOutBuf, vOutOff, n,
 *      lr, beta1, beta2, eps, step)
 *
 * One Adam step over n parameters in a single pass (tfjs's optimizer spends ~12 elementwise ops,
 * each a full pass over memory, on the same thing). Writes new parameters and moments to fresh
 * outputs: tfjs tensors are immutable, so the caller re-points its variables at them.
 */
static napi_value Adam(napi_env env, napi_callback_info info) {
  size_t argc = 20;
  napi_value a[20];
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc != 20) FAIL("rrl_blas.adam: expected 20 arguments");
  const double nd = num(env, a[14]);
  float *p, *g, *m, *v, *po, *mo, *vo;
  if (nd < 0) FAIL("rrl_blas.adam: negative size");
  if (!get_f32(env, a[0], num(env, a[1]), nd, &p)) FAIL("rrl_blas.adam: param out of bounds");
  if (!get_f32(env, a[2], num(env, a[3]), nd, &g)) FAIL("rrl_blas.adam: grad out of bounds");
  if (!get_f32(env, a[4], num(env, a[5]), nd, &m)) FAIL("rrl_blas.adam: m out of bounds");
  if (!get_f32(env, a[6], num(env, a[7]), nd, &v)) FAIL("rrl_blas.adam: v out of bounds");
  if (!get_f32(env, a[8], num(env, a[9]), nd, &po)) FAIL("rrl_blas.adam: param out out of bounds");
  if (!get_f32(env, a[10], num(env, a[11]), nd, &mo)) FAIL("rrl_blas.adam: m out out of bounds");
  if (!get_f32(env, a[12], num(env, a[13]), nd, &vo)) FAIL("rrl_blas.adam: v out out of bounds");
  const double lr = num(env, a[15]), b1 = num(env, a[16]), b2 = num(env, a[17]), eps = num(env, a[18]);
  const double t = num(env, a[19]);
  /* Bias corrections as in torch.optim.Adam: p -= lr / bc1 * m / (sqrt(v) / sqrt(bc2) + eps). */
  const float bc1 = (float)(1.0 - pow(b1, t)), sbc2 = (float)sqrt(1.0 - pow(b2, t));
  const float step = (float)lr / bc1, fb1 = (float)b1, fb2 = (float)b2, feps = (float)eps;
  adam_loop(p, g, m, v, po, mo, vo, (size_t)nd, step, fb1, fb2, feps, sbc2);
  return NULL;
}

/* dy is loaded unconditionally so the select compiles to a blend: as a branch on the sign of y it
 * mispredicted half the time and ran 30x slower. */
RRL_CLONES static void relu_grad_loop(const float* dy, const float* y, float* out, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const float d = dy[i];
    out[i] = y[i] > 0.f ? d : 0.f;
  }
}

/*
 * reluGrad(dyBuf, dyOff, yBuf, yOff, outBuf, outOff, n): out = y > 0 ? dy : 0, the backward of
 * relu from its output in one pass (tfjs spends two ops on it: step, then multiply).
 */
static napi_value ReluGrad(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value a[7];
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc != 7) FAIL("rrl_blas.reluGrad: expected 7 arguments");
  const double nd = num(env, a[6]);
  float *dy, *y, *out;
  if (nd < 0) FAIL("rrl_blas.reluGrad: negative size");
  if (!get_f32(env, a[0], num(env, a[1]), nd, &dy)) FAIL("rrl_blas.reluGrad: dy out of bounds");
  if (!get_f32(env, a[2], num(env, a[3]), nd, &y)) FAIL("rrl_blas.reluGrad: y out of bounds");
  if (!get_f32(env, a[4], num(env, a[5]), nd, &out)) FAIL("rrl_blas.reluGrad: out out of bounds");
  relu_grad_loop(dy, y, out, (size_t)nd);
  return NULL;
}

RRL_CLONES static void axpby_loop(const float* x, const float* y, float* out, size_t n, float al, float be) {
  for (size_t i = 0; i < n; i++) out[i] = al * x[i] + be * y[i];
}

/*
 * axpby(xBuf, xOff, yBuf, yOff, outBuf, outOff, n, alpha, beta): out = alpha x + beta y in one pass
 * (Polyak averaging of target networks; three tfjs ops otherwise).
 */
static napi_value Axpby(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value a[9];
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  if (argc != 9) FAIL("rrl_blas.axpby: expected 9 arguments");
  const double nd = num(env, a[6]);
  float *x, *y, *out;
  if (nd < 0) FAIL("rrl_blas.axpby: negative size");
  if (!get_f32(env, a[0], num(env, a[1]), nd, &x)) FAIL("rrl_blas.axpby: x out of bounds");
  if (!get_f32(env, a[2], num(env, a[3]), nd, &y)) FAIL("rrl_blas.axpby: y out of bounds");
  if (!get_f32(env, a[4], num(env, a[5]), nd, &out)) FAIL("rrl_blas.axpby: out out of bounds");
  const float al = (float)num(env, a[7]), be = (float)num(env, a[8]);
  axpby_loop(x, y, out, (size_t)nd, al, be);
  return NULL;
}

/* The BLAS in use, for the start-up line. */
static napi_value Info(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value s;
#if defined(RRL_ACCELERATE)
  const char* name = "Accelerate";
#elif defined(RRL_OPENBLAS)
  const char* name = "OpenBLAS";
#else
  const char* name = "CBLAS";
#endif
  CHECK(napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &s));
  return s;
}

#if defined(RRL_OPENBLAS)
extern void openblas_set_num_threads(int);
extern int openblas_get_num_threads(void);
#endif

/* setThreads(n) -> threads now in use (1 where the BLAS offers no control). */
static napi_value SetThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value a[1], out;
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  int32_t n = 0;
  if (argc >= 1) napi_get_value_int32(env, a[0], &n);
#if defined(RRL_OPENBLAS)
  if (n > 0) openblas_set_num_threads(n);
  CHECK(napi_create_int32(env, openblas_get_num_threads(), &out));
#else
  CHECK(napi_create_int32(env, 1, &out));
#endif
  return out;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"gemm", NULL, Gemm, NULL, NULL, NULL, napi_default, NULL},
      {"adam", NULL, Adam, NULL, NULL, NULL, napi_default, NULL},
      {"reluGrad", NULL, ReluGrad, NULL, NULL, NULL, napi_default, NULL},
      {"axpby", NULL, Axpby, NULL, NULL, NULL, napi_default, NULL},
      {"info", NULL, Info, NULL, NULL, NULL, napi_default, NULL},
      {"setThreads", NULL, SetThreads, NULL, NULL, NULL, napi_default, NULL},
  };
  CHECK(napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
