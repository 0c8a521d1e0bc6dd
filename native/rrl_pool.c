/*
 * A small persistent thread pool for the addon's kernels: rrl_parallel(env, n, fn, ctx) runs
 * fn(ctx, 0) .. fn(ctx, n - 1) on the calling thread and the pool's workers, and returns when all
 * are done.
 *
 * Why not OpenBLAS's own threads: at SAC's sizes (batch 256, width 256) one product is ~0.1 ms,
 * too small for OpenBLAS to split well, and its idle threads spin in sched_yield. Splitting a
 * whole network's rows (or ensemble members) over threads, each running a single-threaded sgemm
 * through every layer, gives each thread long stretches of work and one join per kernel.
 *
 * Reproducibility: the kernels decide the work items from the shapes and the thread setting alone
 * (never from timing), and every sum over items runs in item order afterwards. Which thread runs
 * which item changes nothing, so results are bit-identical for a given thread setting. Items are
 * claimed dynamically: the caller takes any item no worker has started, so a worker that the OS
 * has descheduled (the env worker thread shares the cores) never holds the caller up unless it is
 * in the middle of an item.
 *
 * Idle workers spin (with the CPU's pause hint, not sched_yield) for RRL_POOL_SPIN_US after their
 * last item, long enough to catch the next kernel of the same update, then sleep on a condition
 * variable, so a pool between updates costs no CPU.
 */
#define _POSIX_C_SOURCE 200809L
#include "rrl.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define CPU_RELAX() __asm__ __volatile__("yield")
#else
#define CPU_RELAX() ((void)0)
#endif

/* How long an idle worker (or the caller, waiting for the last item) spins before it sleeps
 * (chosen by measurement: BENCHMARKS.md). */
#ifndef RRL_POOL_SPIN_US
#define RRL_POOL_SPIN_US 50
#endif

/*
 * The ticket: generation (32 bits) | item count (16) | next item to claim (16). An item is claimed
 * by a compare-and-swap on the whole ticket, so a claim can never land in a later generation, and
 * a claimed item's task cannot be replaced before the item is done (its generation cannot end).
 */
#define TICKET(gen, n, next) (((uint64_t)(gen) << 32) | ((uint64_t)(n) << 16) | (uint64_t)(next))
#define T_GEN(t) ((uint32_t)((t) >> 32))
#define T_COUNT(t) ((uint32_t)(((t) >> 16) & 0xffffu))
#define T_NEXT(t) ((uint32_t)((t) & 0xffffu))

struct RrlPool {
  int threads; /* including the calling thread */
  int started; /* workers running */
  pthread_t* tids;
  _Atomic uint64_t ticket;
  _Atomic int done;
  _Atomic int sleepers;
  _Atomic int callerWaiting; /* the caller sleeps until the last item is done */
  _Atomic int quit;
  uint32_t gen;
  rrl_task_fn fn;
  void* ctx;
  pthread_mutex_t mu;
  pthread_cond_t cv;     /* workers wait here for work */
  pthread_cond_t doneCv; /* the caller waits here for the last item */
};

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec * 1e-3;
}

/* Claims and runs items of generation `gen` until none is left. */
static void run_items(RrlPool* p, uint32_t gen) {
  uint64_t t = atomic_load(&p->ticket);
  for (;;) {
    if (T_GEN(t) != gen || T_NEXT(t) >= T_COUNT(t)) return;
    if (atomic_compare_exchange_weak(&p->ticket, &t, t + 1)) {
      p->fn(p->ctx, (int)T_NEXT(t));
      /* The last item wakes a sleeping caller (seq_cst against its callerWaiting, as for sleepers). */
      if (atomic_fetch_add(&p->done, 1) + 1 == (int)T_COUNT(t) && atomic_load(&p->callerWaiting)) {
        pthread_mutex_lock(&p->mu);
        pthread_cond_broadcast(&p->doneCv);
        pthread_mutex_unlock(&p->mu);
      }
      t = atomic_load(&p->ticket);
    }
  }
}

static void* worker_main(void* arg) {
  RrlPool* p = (RrlPool*)arg;
  uint32_t seen = T_GEN(atomic_load(&p->ticket));
  for (;;) {
    double idleSince = now_us();
    int spins = 0;
    uint64_t t;
    for (;;) {
      if (atomic_load_explicit(&p->quit, memory_order_relaxed)) return NULL;
      t = atomic_load_explicit(&p->ticket, memory_order_acquire);
      if (T_GEN(t) != seen) break;
      CPU_RELAX();
      if ((++spins & 63) != 0 || now_us() - idleSince < RRL_POOL_SPIN_US) continue;
      /* Sleep. The sleeper count and the ticket are both sequentially consistent, so either the
       * caller sees this sleeper and signals, or this thread sees the new ticket and goes on. */
      pthread_mutex_lock(&p->mu);
      atomic_fetch_add(&p->sleepers, 1);
      while (!atomic_load(&p->quit) && T_GEN(atomic_load(&p->ticket)) == seen) pthread_cond_wait(&p->cv, &p->mu);
      atomic_fetch_sub(&p->sleepers, 1);
      pthread_mutex_unlock(&p->mu);
      idleSince = now_us();
    }
    seen = T_GEN(t);
    run_items(p, seen);
  }
}

RrlPool* rrl_pool_create(int threads) {
  RrlPool* p = (RrlPool*)calloc(1, sizeof(RrlPool));
  if (!p) return NULL;
  p->threads = threads < 1 ? 1 : threads;
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->cv, NULL);
  pthread_cond_init(&p->doneCv, NULL);
  return p;
}

/* Starts the workers on first use (a pool that never runs parallel work costs no threads). */
static int pool_start(RrlPool* p) {
  if (p->started == p->threads - 1) return 1;
  p->tids = (pthread_t*)calloc((size_t)p->threads, sizeof(pthread_t));
  if (!p->tids) return 0;
  for (int i = 0; i < p->threads - 1; i++) {
    if (pthread_create(&p->tids[i], NULL, worker_main, p) != 0) break;
    p->started++;
  }
  return p->started > 0;
}

void rrl_pool_destroy(RrlPool* p) {
  if (!p) return;
  pthread_mutex_lock(&p->mu);
  atomic_store(&p->quit, 1);
  pthread_cond_broadcast(&p->cv);
  pthread_mutex_unlock(&p->mu);
  for (int i = 0; i < p->started; i++) pthread_join(p->tids[i], NULL);
  free(p->tids);
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->cv);
  pthread_cond_destroy(&p->doneCv);
  free(p);
}

int rrl_pool_threads(const RrlPool* p) {
  return p ? p->threads : 1;
}

void rrl_parallel(RrlPool* p, int n, rrl_task_fn fn, void* ctx) {
  if (n <= 0) return;
  if (!p || p->threads <= 1 || n == 1 || n > RRL_MAX_ITEMS || !pool_start(p)) {
    for (int i = 0; i < n; i++) fn(ctx, i);
    return;
  }
  p->fn = fn;
  p->ctx = ctx;
  atomic_store(&p->done, 0);
  p->gen++;
  atomic_store(&p->ticket, TICKET(p->gen, n, 0));
  if (atomic_load(&p->sleepers) > 0) {
    pthread_mutex_lock(&p->mu);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
  }
  run_items(p, p->gen);
  /* Every item is claimed; wait for the ones workers are still running: spin briefly (items end
   * within microseconds of each other), then sleep until the last one signals. No sched_yield:
   * on a loaded machine it hands the core to another process for a whole time slice. */
  const double since = now_us();
  for (int spins = 0; atomic_load_explicit(&p->done, memory_order_acquire) < n; spins++) {
    CPU_RELAX();
    if ((spins & 63) != 0 || now_us() - since < RRL_POOL_SPIN_US) continue;
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->callerWaiting, 1);
    while (atomic_load(&p->done) < n) pthread_cond_wait(&p->doneCv, &p->mu);
    atomic_store(&p->callerWaiting, 0);
    pthread_mutex_unlock(&p->mu);
    break;
  }
}
