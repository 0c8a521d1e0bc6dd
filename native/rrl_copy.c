/*
 * Concat and Slice for 4-byte dtypes (float32, int32): row copies with memcpy. The wasm
 * backend's own versions loop in JavaScript, one typed-array view per row (a [256, 40] | [256, 4]
 * concat took about 100 us there), and the networks' inputs are sliced and joined on every call.
 */
#include "rrl.h"

#include <string.h>

/*
 * concat(bufs, offs, spec = [outer, inner_0, ..., inner_{n-1}])
 * Tensors: in_0 .. in_{n-1} ([outer, inner_i] each, as flat rows), then out [outer, sum inner_i].
 * At most 1024 inputs (MAX_CONCAT_INPUTS in agents/tensor/kernels.ts hands more to tfjs's own).
 */
napi_value rrl_concat(napi_env env, napi_callback_info info) {
  KERNEL_ARGS(3, "rrl_blas.concat");
  const int32_t* d;
  size_t len;
  if (!rrl_i32(env, a[2], &d, &len) || len < 2 || len > 1025 || d[0] < 0) FAIL("rrl_blas.concat: bad spec");
  const size_t n = len - 1, outer = (size_t)d[0];
  double counts[1025];
  float* t[1025];
  size_t total = 0;
  for (size_t i = 0; i < n; i++) {
    if (d[1 + i] < 0) FAIL("rrl_blas.concat: bad spec");
    counts[i] = (double)outer * d[1 + i];
    total += (size_t)d[1 + i];
  }
  counts[n] = (double)outer * total;
  if (!rrl_tensor_list(env, a[0], a[1], n + 1, counts, t)) return NULL;
  float* out = t[n];
  for (size_t r = 0; r < outer; r++) {
    for (size_t i = 0; i < n; i++) {
      const size_t w = (size_t)d[1 + i];
      memcpy(out, t[i] + r * w, w * sizeof(float));
      out += w;
    }
  }
  return NULL;
}

/*
 * slice(bufs, offs, spec = [shape0..3, begin0..3, size0..3])
 * Tensors: x (shape padded to rank 4 with leading 1s), then out [size0..3]:
 * out[i,j,k,l] = x[begin0+i, begin1+j, begin2+k, begin3+l].
 */
napi_value rrl_slice(napi_env env, napi_callback_info info) {
  KERNEL_ARGS(3, "rrl_blas.slice");
  const int32_t* d;
  size_t len;
  if (!rrl_i32(env, a[2], &d, &len) || len != 12) FAIL("rrl_blas.slice: bad spec");
  const int32_t *s = d, *b = d + 4, *z = d + 8;
  for (int i = 0; i < 4; i++)
    if (s[i] < 0 || b[i] < 0 || z[i] < 0 || (z[i] > 0 && (int64_t)b[i] + z[i] > s[i])) FAIL("rrl_blas.slice: slice out of bounds");
  const double counts[2] = {(double)s[0] * s[1] * s[2] * s[3], (double)z[0] * z[1] * z[2] * z[3]};
  float* t[2];
  if (!rrl_tensor_list(env, a[0], a[1], 2, counts, t)) return NULL;
  float* out = t[1];
  const size_t run = (size_t)z[3] * sizeof(float);
  for (int i = 0; i < z[0]; i++)
    for (int j = 0; j < z[1]; j++)
      for (int k = 0; k < z[2]; k++) {
        const size_t at = (((size_t)(b[0] + i) * s[1] + (b[1] + j)) * s[2] + (b[2] + k)) * s[3] + b[3];
        memcpy(out, t[0] + at, run);
        out += z[3];
      }
  return NULL;
}
