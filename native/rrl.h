/*
 * Shared by the addon's source files: N-API error macros, checked access to tensor memory, the
 * CBLAS product every kernel goes through, and the activation codes shared with
 * agents/tensor/fused.ts.
 */
#ifndef RRL_H
#define RRL_H

#include <node_api.h>
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

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
 * The elementwise loops are memory- and divide-bound; on x86-64 Linux with GCC they are also
 * compiled for AVX2/FMA (x86-64-v3) and picked at load time (ifunc), so the addon still runs on
 * any x86-64 CPU. The clone is named by feature level, not by CPU model: GCC dispatches an
 * "arch=haswell" clone on the CPU model, so AMD processors got the SSE2 build.
 */
#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#define RRL_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#elif defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(__clang__)
#define RRL_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define RRL_CLONES
#endif

/* Version of the kernels' argument lists (ADDON_ABI in agents/tensor/native.ts), raised whenever
 * one changes, so an addon built from older sources is refused rather than misread.
 * 2: the MLP kernels take a LayerNorm flag per layer; 3: taskSelect and taskSelectGrad. */
#define RRL_ABI 3

/* Activation codes shared with agents/tensor/fused.ts (ACTIVATIONS). */
enum { ACT_LINEAR = 0, ACT_RELU = 1, ACT_RELU6 = 2, ACT_LEAKYRELU = 3, ACT_ELU = 4, ACT_SIGMOID = 5, ACT_TANH = 6 };

/* The head of every kernel function: its arguments as a[0 .. N-1], exactly N of them. */
#define KERNEL_ARGS(N, NAME)                                      \
  size_t argc = (N);                                              \
  napi_value a[(N)];                                              \
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));       \
  if (argc != (N)) FAIL(NAME ": expected " #N " arguments")

/* A float32 view of `count` elements at byte offset `off` of an ArrayBuffer; 0 when out of bounds. */
int rrl_f32(napi_env env, napi_value buf, double off, double count, float** out);

/* A JS number argument as a double (0 when it is not one). */
double rrl_num(napi_env env, napi_value v);

/*
 * A tensor list: `bufs` a JS array of ArrayBuffers, `offs` a Float64Array of byte offsets, one
 * each. Fills ptrs[i] with a view of counts[i] elements, bounds-checked; 0 (with a pending
 * exception) on any mismatch.
 */
int rrl_tensor_list(napi_env env, napi_value bufs, napi_value offs, size_t n, const double* counts, float** ptrs);

/* An Int32Array argument: its data and length; 0 when it is not one. */
int rrl_i32(napi_env env, napi_value v, const int32_t** data, size_t* len);

/*
 * C = op(A) op(B) (+ C when accumulate), row-major, with leading dimensions of the stored
 * matrices. Routes one-row and one-column products to gemv (several times faster in BLAS
 * libraries) and handles K = 0 (an empty sum), which some BLAS builds reject.
 */
void rrl_gemm(bool tA, bool tB, int m, int n, int k, const float* A, int lda, const float* B, int ldb, float* C, int ldc, bool accumulate);

/* act(row + bias) over one output row of n values in place; bias may be NULL, bsc its stride. */
void rrl_epilogue_row(float* row, const float* bias, size_t bsc, int n, int act, float leaky);

/* The kernels of rrl_nets.c, registered by the module in rrl_blas.c. */
napi_value rrl_mlp_forward(napi_env env, napi_callback_info info);
napi_value rrl_mlp_backward(napi_env env, napi_callback_info info);
napi_value rrl_tanh_gaussian(napi_env env, napi_callback_info info);
napi_value rrl_tanh_gaussian_grad(napi_env env, napi_callback_info info);

/* rrl_sac.c: SAC's loss gradients; rrl_copy.c: Concat and Slice. */
napi_value rrl_sac_target(napi_env env, napi_callback_info info);
napi_value rrl_sac_critic_grad(napi_env env, napi_callback_info info);
napi_value rrl_sac_actor_grad(napi_env env, napi_callback_info info);
napi_value rrl_sac_alpha_grad(napi_env env, napi_callback_info info);
napi_value rrl_concat(napi_env env, napi_callback_info info);
napi_value rrl_slice(napi_env env, napi_callback_info info);

/* rrl_select.c: the per-task selection of multihead and independent, and its gradient. */
napi_value rrl_task_select(napi_env env, napi_callback_info info);
napi_value rrl_task_select_grad(napi_env env, napi_callback_info info);

/* rrl_vmath.c: tanh, exp and log over n floats in place (libmvec's AVX2 versions where the build
 * found libmvec and the CPU has AVX2 and FMA, else the C library's); rrl_vmath_vector() tells which. */
void rrl_vtanh(float* x, size_t n);
void rrl_vexp(float* x, size_t n);
void rrl_vlog(float* x, size_t n);
int rrl_vmath_vector(void);

/* Per-instance scratch memory (one per Node thread that loads the addon), grown on demand. */
#define RRL_SCRATCH_SLOTS 6
float* rrl_scratch(napi_env env, int slot, size_t count);

/*
 * rrl_pool.c: the thread pool of an addon instance. rrl_parallel runs fn(ctx, i) for every
 * i < n on the calling thread and the pool's workers and returns when all are done (in order on
 * the calling thread alone when the pool has one thread, n is 1 or n > RRL_MAX_ITEMS). Callers
 * choose items from shapes and the thread count only, so results never depend on timing.
 */
#define RRL_MAX_ITEMS 4096
typedef struct RrlPool RrlPool;
typedef void (*rrl_task_fn)(void* ctx, int item);
RrlPool* rrl_pool_create(int threads);
void rrl_pool_destroy(RrlPool* p);
int rrl_pool_threads(const RrlPool* p);
void rrl_parallel(RrlPool* p, int n, rrl_task_fn fn, void* ctx);
/* This instance's pool (NULL only when out of memory: rrl_parallel then runs serially). */
RrlPool* rrl_pool(napi_env env);

/* Element ranges of a flat loop, for elementwise kernels split over the pool: RRL_BLOCK elements
 * per item (a block's result does not depend on how blocks are spread). */
#define RRL_BLOCK 16384

#endif
