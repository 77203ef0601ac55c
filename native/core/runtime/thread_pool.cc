// The persistent pool behind parallel_for (contract in thread_pool.h).
//
// A call publishes the job (fn, n_tasks) under the mutex and bumps an atomic generation
// counter; workers and the caller then claim task indices from one atomic counter until
// it runs past n_tasks, and the caller waits until every worker has left the job. Which
// thread runs which task is unspecified, so callers must make tasks independent (GEMM
// does).
//
// Waiting: a worker that finished a job polls the generation for about kSpinRounds
// pause instructions (≈ 20–40 µs on a ~3 GHz x86, where one pause costs 30–140 cycles)
// before it sleeps on the condition variable, and the caller polls the same way before
// it sleeps waiting for the workers. A training step issues GEMMs back to back, so the
// next job usually arrives within the window and skips a futex wake-up (5–50 µs, more
// on a loaded machine); an idle pool sleeps and costs nothing.
//
// An exception thrown by a task is caught on the thread that ran it; the first one is
// rethrown to the caller of parallel_for after every task has finished.
//
// Re-entrancy: a parallel_for issued from inside a task runs inline on that thread.
// A parallel_for from a second outside thread while the pool is busy (e.g. two Node
// worker threads) also runs inline instead of waiting: same results, no deadlock.
#include "thread_pool.h"

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "fp_mode.h"

namespace densely {
namespace {

constexpr int kSpinRounds = 1 << 10;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

thread_local bool t_in_task = false;

int default_threads() {
  if (const char* env = std::getenv("DENSELY_THREADS")) {
    char* end = nullptr;
    const long v = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && v >= 1 && v <= 1024) return static_cast<int>(v);
  }
  const unsigned hc = std::thread::hardware_concurrency();
  return hc == 0 ? 1 : static_cast<int>(hc);
}

class Pool {
 public:
  explicit Pool(int threads) { start(threads); }
  ~Pool() { stop(); }

  // Lock-free: sgemm reads it on every call, also while another thread's job runs.
  int threads() const { return threads_.load(std::memory_order_relaxed); }

  void resize(int threads) {
    std::lock_guard<std::mutex> call(call_mu_);
    if (threads == threads_.load(std::memory_order_relaxed)) return;
    stop();
    start(threads);
  }

  void run(int64_t n_tasks, const std::function<void(int64_t)>& fn) {
    if (n_tasks <= 0) return;
    std::unique_lock<std::mutex> call(call_mu_, std::try_to_lock);
    if (t_in_task || !call.owns_lock() || threads_.load(std::memory_order_relaxed) == 1 ||
        n_tasks == 1) {
      if (call.owns_lock()) call.unlock();
      run_inline(n_tasks, fn);
      return;
    }
    {
      std::lock_guard<std::mutex> lk(mu_);
      fn_ = &fn;
      n_tasks_ = n_tasks;
      next_.store(0, std::memory_order_relaxed);
      active_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    t_in_task = true;
    claim_tasks();
    t_in_task = false;
    for (int spin = 0; spin < kSpinRounds && active_.load(std::memory_order_acquire) != 0; ++spin)
      cpu_relax();
    std::unique_lock<std::mutex> lk(mu_);
    done_.wait(lk, [this] { return active_.load(std::memory_order_acquire) == 0; });
    fn_ = nullptr;
    std::exception_ptr err = error_;
    error_ = nullptr;
    lk.unlock();
    if (err) std::rethrow_exception(err);
  }

 private:
  static void run_inline(int64_t n_tasks, const std::function<void(int64_t)>& fn) {
    const bool was = t_in_task;
    t_in_task = true;
    try {
      for (int64_t t = 0; t < n_tasks; ++t) fn(t);
    } catch (...) {
      t_in_task = was;
      throw;
    }
    t_in_task = was;
  }

  void claim_tasks() {
    for (;;) {
      const int64_t t = next_.fetch_add(1, std::memory_order_relaxed);
      if (t >= n_tasks_) return;
      try {
        (*fn_)(t);
      } catch (...) {
        std::lock_guard<std::mutex> lk(mu_);
        if (!error_) error_ = std::current_exception();
      }
    }
  }

  // `seen` is the generation when the worker was created: every job published after
  // start() has a larger one, however late the thread begins to run.
  void worker_main(uint64_t seen) {
    t_in_task = true;
    // Workers run nothing but the core's tasks: flush subnormals for good (fp_mode.h).
    fp_flush_enable();
    for (;;) {
      for (int spin = 0;
           spin < kSpinRounds && generation_.load(std::memory_order_acquire) == seen &&
           !quit_.load(std::memory_order_relaxed);
           ++spin) {
        cpu_relax();
      }
      {
        std::unique_lock<std::mutex> lk(mu_);
        wake_.wait(lk, [&] {
          return quit_.load(std::memory_order_relaxed) ||
                 generation_.load(std::memory_order_acquire) != seen;
        });
        if (quit_.load(std::memory_order_relaxed)) return;
        seen = generation_.load(std::memory_order_acquire);
      }
      claim_tasks();
      if (active_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> lk(mu_);
        done_.notify_one();
      }
    }
  }

  // Callers hold call_mu_.
  void start(int threads) {
    const int count = threads < 1 ? 1 : threads;
    quit_.store(false);
    const uint64_t gen = generation_.load(std::memory_order_acquire);
    for (int i = 1; i < count; ++i) workers_.emplace_back([this, gen] { worker_main(gen); });
    threads_.store(count, std::memory_order_relaxed);
  }
  void stop() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      quit_.store(true);
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
    workers_.clear();
  }

  std::mutex call_mu_;  // one parallel_for or resize at a time
  std::mutex mu_;       // guards publishing a job, error_, and the condition variables
  std::condition_variable wake_;
  std::condition_variable done_;
  std::vector<std::thread> workers_;
  std::atomic<int> threads_{1};
  std::atomic<bool> quit_{false};
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> active_{0};
  const std::function<void(int64_t)>* fn_ = nullptr;
  int64_t n_tasks_ = 0;
  std::atomic<int64_t> next_{0};
  std::exception_ptr error_;
};

// Created on first use and intentionally never destroyed: joining threads from a
// static destructor at process exit can deadlock inside a Node addon.
Pool& pool() {
  static Pool* p = new Pool(default_threads());
  return *p;
}

}  // namespace

int get_threads() { return pool().threads(); }

void set_threads(int n) {
  if (n < 1) n = 1;
  pool().resize(n);
}

void parallel_for(int64_t n_tasks, const std::function<void(int64_t task)>& fn) {
  pool().run(n_tasks, fn);
}

}  // namespace densely
