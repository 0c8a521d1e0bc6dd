/*
 * The arithmetic of SAC's losses and their gradients with respect to the networks' outputs, one
 * kernel per step (agents/sac/losses.ts holds the same math in tfjs ops, and the docs). Each
 * replaces 5-10 small tfjs ops, every one of which costs more bookkeeping than arithmetic.
 *
 * Shapes: critic outputs q [E, B, 1] (E critics), per-row values [B, 1], the batch's task index
 * per row (int32 [B]) and the per-task log-temperatures logAlpha [K]. A task index outside
 * [0, K) is refused before anything is written.
 */
#include "rrl.h"

#include <math.h>

static const char* check_tasks(const int32_t* task, int B, int K) {
  for (int b = 0; b < B; b++)
    if (task[b] < 0 || task[b] >= K) return "rrl_blas.sac: a task index is outside [0, numTasks)";
  return NULL;
}

/* spec = [E, B, K] */
static int sac_spec(napi_env env, napi_value v, int* E, int* B, int* K) {
  const int32_t* d;
  size_t len;
  if (!rrl_i32(env, v, &d, &len) || len != 3 || d[0] < 1 || d[1] < 0 || d[2] < 1) return 0;
  *E = d[0];
  *B = d[1];
  *K = d[2];
  return 1;
}

/*
 * sacTarget(bufs, offs, spec, gamma, clipLo, clipHi)
 * Tensors: q' [E, B, 1] (target critics at the next state and a fresh action a'), logPi' [B, 1],
 * logAlpha [K], task [B], reward [B, 1], terminated [B, 1], then the output y [B, 1]:
 *   y = clip(r + gamma (1 - terminated) (min_i q'_i - alpha[task] logPi'), clipLo, clipHi)
 * (clip bounds of -Infinity / +Infinity leave y unclipped).
 */
napi_value rrl_sac_target(napi_env env, napi_callback_info info) {
  KERNEL_ARGS(6, "rrl_blas.sacTarget");
  int E, B, K;
  if (!sac_spec(env, a[2], &E, &B, &K)) FAIL("rrl_blas.sacTarget: bad spec");
  const double counts[7] = {(double)E * B, B, K, B, B, B, B};
  float* t[7];
  if (!rrl_tensor_list(env, a[0], a[1], 7, counts, t)) return NULL;
  const float gamma = (float)rrl_num(env, a[3]), lo = (float)rrl_num(env, a[4]), hi = (float)rrl_num(env, a[5]);
  const int32_t* task = (const int32_t*)t[3];
  const char* bad = check_tasks(task, B, K);
  if (bad) FAIL(bad);
  for (int b = 0; b < B; b++) {
    float m = t[0][b];
    for (int e = 1; e < E; e++) m = fminf(m, t[0][(size_t)e * B + b]);
    const float soft = m - expf(t[2][task[b]]) * t[1][b];
    float y = t[4][b] + gamma * (1.f - t[5][b]) * soft;
    y = y < lo ? lo : (y > hi ? hi : y);
    t[6][b] = y;
  }
  return NULL;
}

/*
 * sacCriticGrad(bufs, offs, spec)
 * Tensors: q [E, B, 1], y [B, 1], then the outputs dq [E, B, 1] and stats [2]:
 *   L = sum_i mean_b (q_ib - y_b)^2,  dL/dq_ib = 2 (q_ib - y_b) / B,  stats = [L, mean q].
 */
napi_value rrl_sac_critic_grad(napi_env env, napi_callback_info info) {
  KERNEL_ARGS(3, "rrl_blas.sacCriticGrad");
  int E, B, K;
  if (!sac_spec(env, a[2], &E, &B, &K)) FAIL("rrl_blas.sacCriticGrad: bad spec");
  const double counts[4] = {(double)E * B, B, (double)E * B, 2};
  float* t[4];
  if (!rrl_tensor_list(env, a[0], a[1], 4, counts, t)) return NULL;
  double loss = 0, sum = 0;
  for (int e = 0; e < E; e++) {
    for (int b = 0; b < B; b++) {
      const size_t i = (size_t)e * B + b;
      const float err = t[0][i] - t[1][b];
      t[2][i] = 2.f * err / (float)B;
      loss += (double)err * err;
      sum += t[0][i];
    }
  }
  t[3][0] = B > 0 ? (float)(loss / B) : 0.f;
  t[3][1] = B > 0 ? (float)(sum / ((double)E * B)) : 0.f;
  return NULL;
}

/*
 * sacActorGrad(bufs, offs, spec)
 * Tensors: q [E, B, 1] (critics at the state and the policy's action), logPi [B, 1], logAlpha [K],
 * task [B], then the outputs dq [E, B, 1], dLogPi [B, 1] and stats [1]:
 *   L = mean_b (alpha[task_b] logPi_b - min_i q_ib)
 *   dL/dlogPi_b = alpha[task_b] / B;  dL/dq_ib = -1/B where q_ib is the minimum (every tied
 *   critic, as tfjs's min gradient), 0 elsewhere;  stats = [L].
 */
napi_value rrl_sac_actor_grad(napi_env env, napi_callback_info info) {
  KERNEL_ARGS(3, "rrl_blas.sacActorGrad");
  int E, B, K;
  if (!sac_spec(env, a[2], &E, &B, &K)) FAIL("rrl_blas.sacActorGrad: bad spec");
  const double counts[7] = {(double)E * B, B, K, B, (double)E * B, B, 1};
  float* t[7];
  if (!rrl_tensor_list(env, a[0], a[1], 7, counts, t)) return NULL;
  const int32_t* task = (const int32_t*)t[3];
  const char* bad = check_tasks(task, B, K);
  if (bad) FAIL(bad);
  double loss = 0;
  for (int b = 0; b < B; b++) {
    float m = t[0][b];
    for (int e = 1; e < E; e++) m = fminf(m, t[0][(size_t)e * B + b]);
    for (int e = 0; e < E; e++) t[4][(size_t)e * B + b] = t[0][(size_t)e * B + b] == m ? -1.f / (float)B : 0.f;
    const float alpha = expf(t[2][task[b]]);
    t[5][b] = alpha / (float)B;
    loss += (double)alpha * t[1][b] - m;
  }
  t[6][0] = B > 0 ? (float)(loss / B) : 0.f;
  return NULL;
}

/*
 * sacAlphaGrad(bufs, offs, spec, targetEntropy)
 * Tensors: logPi [B, 1], logAlpha [K], task [B], then the outputs dLogAlpha [K] and stats [1]:
 *   L = mean_b (-alpha[task_b] (logPi_b + target))
 *   dL/dlogAlpha_k = -(alpha_k / B) sum over rows b of task k of (logPi_b + target);  stats = [L].
 */
napi_value rrl_sac_alpha_grad(napi_env env, napi_callback_info info) {
  KERNEL_ARGS(4, "rrl_blas.sacAlphaGrad");
  int E, B, K;
  if (!sac_spec(env, a[2], &E, &B, &K)) FAIL("rrl_blas.sacAlphaGrad: bad spec");
  const double counts[5] = {B, K, B, K, 1};
  float* t[5];
  if (!rrl_tensor_list(env, a[0], a[1], 5, counts, t)) return NULL;
  const int32_t* task = (const int32_t*)t[2];
  const char* bad = check_tasks(task, B, K);
  if (bad) FAIL(bad);
  const float target = (float)rrl_num(env, a[3]);
  for (int k = 0; k < K; k++) t[3][k] = 0.f;
  double loss = 0;
  for (int b = 0; b < B; b++) {
    const float gap = t[0][b] + target;
    t[3][task[b]] += gap;
    loss -= (double)expf(t[1][task[b]]) * gap;
  }
  for (int k = 0; k < K; k++) t[3][k] *= -expf(t[1][k]) / (float)(B > 0 ? B : 1);
  t[4][0] = B > 0 ? (float)(loss / B) : 0.f;
  return NULL;
}
