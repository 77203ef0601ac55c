// The persistent pool behind parallel_for and its thread budget (contract in
// thread_pool.h).
//
// Jobs at once. A parallel_for that is granted helpers publishes a Job (fn, n_tasks, an
// atomic task counter, the number of helpers still wanted) on the open list under the
// mutex and bumps an atomic generation counter. An idle worker takes one helper slot of
// the first open job (the job leaves the list when its last slot is taken), claims task
// indices from that job's counter until it runs past n_tasks, and leaves. The caller
// claims tasks too; when it runs out it withdraws the slots nobody took (there is nothing
// left for them to do) and waits until every helper that joined has left. Several jobs
// can be open at once, each with its own helpers. Which thread runs which task is
// unspecified, so callers must make tasks independent (GEMM does).
//
// The budget: in_use_ counts the registered jobs (JobScope), the callers outside any job
// while their parallel_for runs, and the borrowed workers. A parallel_for borrows
// min(job threads − 1, tasks − 1, size − in_use_) helpers, never more, and a job that
// starts while the budget is full waits until what is lent comes back (the end of one
// parallel_for), so in_use_ ≤ max(size, jobs): only more jobs than threads pass the pool
// size (each job always keeps its own thread). The pool has size − 1 workers, which is
// always enough: helpers ≤ size − in_use_ before borrowing, and in_use_ counts the caller.
//
// Waiting: a worker that finished a job polls the generation for about kSpinRounds
// pause instructions (≈ 20–40 µs on a ~3 GHz x86, where one pause costs 30–140 cycles)
// before it sleeps on the condition variable, and the caller polls its job's helper
// count the same way before it sleeps waiting for them. A training step issues GEMMs
// back to back, so the next job usually arrives within the window and skips a futex
// wake-up (5–50 µs, more on a loaded machine); an idle pool sleeps and costs nothing.
//
// An exception thrown by a task is caught on the thread that ran it; the first one is
// rethrown to the caller of parallel_for after every task has finished.
//
// Re-entrancy: a parallel_for issued from inside a task runs inline on that thread, as
// does one issued while the pool is being resized.
#include "thread_pool.h"

#include <algorithm>
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
thread_local int t_cap = 0;        // this thread's job cap (0: none)
thread_local int t_job_depth = 0;  // JobScopes open on this thread

int default_threads() {
  if (const char* env = std::getenv("DENSELY_THREADS")) {
    char* end = nullptr;
    const long v = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && v >= 1 && v <= 1024) return static_cast<int>(v);
  }
  const unsigned hc = std::thread::hardware_concurrency();
  return hc == 0 ? 1 : static_cast<int>(hc);
}

// One parallel_for with helpers. Lives on its caller's stack; the caller does not return
// before every helper has left it.
struct Job {
  const std::function<void(int64_t)>* fn = nullptr;
  int64_t n_tasks = 0;
  std::atomic<int64_t> next{0};
  int wanted = 0;              // helper slots not yet taken (mu_)
  std::atomic<int> joined{0};  // helpers that took a slot and have not left (mu_ to change)
  std::exception_ptr error;    // the first task exception (mu_)
};

class Pool {
 public:
  explicit Pool(int threads) { start(threads); }
  ~Pool() { stop(); }

  // Lock-free: sgemm reads it on every call, also while other jobs run.
  int threads() const { return threads_.load(std::memory_order_relaxed); }

  void resize(int threads) {
    std::lock_guard<std::mutex> one(resize_mu_);
    std::unique_lock<std::mutex> lk(mu_);
    if (threads == threads_.load(std::memory_order_relaxed)) return;
    resizing_ = true;  // parallel_for calls from here on run inline
    done_.wait(lk, [this] { return running_ == 0; });
    lk.unlock();
    stop();
    start(threads);
    lk.lock();
    resizing_ = false;
  }

  // A new job waits while the budget is full and some of it is lent (helpers, or a caller
  // outside any job): that ends with the parallel_for holding it, within one GEMM. When
  // the budget is full of jobs alone it starts at once, over the budget.
  void enter_job() {
    std::unique_lock<std::mutex> lk(mu_);
    done_.wait(lk, [this] { return in_use_ < threads() || in_use_ == jobs_; });
    ++jobs_;
    add_in_use(1);
  }
  void leave_job() {
    std::lock_guard<std::mutex> lk(mu_);
    --jobs_;
    in_use_ -= 1;
  }

  // The calling thread's job thread count (get_threads()).
  int current_threads() const {
    const int n = threads();
    return t_cap > 0 && t_cap < n ? t_cap : n;
  }

  BudgetStats stats() {
    std::lock_guard<std::mutex> lk(mu_);
    return BudgetStats{threads(), in_use_, peak_, jobs_};
  }
  void reset_peak() {
    std::lock_guard<std::mutex> lk(mu_);
    peak_ = in_use_;
  }

  void run(int64_t n_tasks, const std::function<void(int64_t)>& fn) {
    if (n_tasks <= 0) return;
    const int job_threads = current_threads();
    if (t_in_task || n_tasks == 1 || job_threads <= 1) {
      run_inline(n_tasks, fn);
      return;
    }
    Job job;
    job.fn = &fn;
    job.n_tasks = n_tasks;
    const int self = t_job_depth > 0 ? 0 : 1;  // a caller outside any job counts itself now
    int helpers = 0;
    {
      std::lock_guard<std::mutex> lk(mu_);
      if (!resizing_) {
        const int64_t want = std::min<int64_t>(job_threads - 1, n_tasks - 1);
        const int free = threads() - in_use_ - self;
        helpers = static_cast<int>(std::min<int64_t>(want, free < 0 ? 0 : free));
        helpers = std::min(helpers, static_cast<int>(workers_.size()));
      }
      if (helpers > 0) {
        add_in_use(self + helpers);
        job.wanted = helpers;
        open_.push_back(&job);
        ++running_;
        generation_.fetch_add(1, std::memory_order_release);
      }
    }
    if (helpers <= 0) {
      run_inline(n_tasks, fn);
      return;
    }
    if (helpers == 1)
      wake_.notify_one();
    else
      wake_.notify_all();
    t_in_task = true;
    claim_tasks(job);
    t_in_task = false;
    std::unique_lock<std::mutex> lk(mu_);
    if (job.wanted > 0) {  // every task is claimed: the slots nobody took are withdrawn
      open_.erase(std::find(open_.begin(), open_.end(), &job));
      job.wanted = 0;
    }
    if (job.joined.load(std::memory_order_acquire) != 0) {
      lk.unlock();
      for (int spin = 0; spin < kSpinRounds && job.joined.load(std::memory_order_acquire) != 0;
           ++spin)
        cpu_relax();
      lk.lock();
      done_.wait(lk, [&job] { return job.joined.load(std::memory_order_acquire) == 0; });
    }
    in_use_ -= self + helpers;
    --running_;
    done_.notify_all();  // a resize, or a job waiting to enter (enter_job)
    std::exception_ptr err = job.error;
    lk.unlock();
    if (err) std::rethrow_exception(err);
  }

 private:
  // Callers hold mu_.
  void add_in_use(int n) {
    in_use_ += n;
    if (in_use_ > peak_) peak_ = in_use_;
  }

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

  void claim_tasks(Job& job) {
    for (;;) {
      const int64_t t = job.next.fetch_add(1, std::memory_order_relaxed);
      if (t >= job.n_tasks) return;
      try {
        (*job.fn)(t);
      } catch (...) {
        std::lock_guard<std::mutex> lk(mu_);
        if (!job.error) job.error = std::current_exception();
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
      Job* job = nullptr;
      {
        std::unique_lock<std::mutex> lk(mu_);
        wake_.wait(lk, [&] { return quit_.load(std::memory_order_relaxed) || !open_.empty(); });
        if (quit_.load(std::memory_order_relaxed)) return;
        seen = generation_.load(std::memory_order_acquire);
        job = open_.front();
        if (--job->wanted == 0) open_.erase(open_.begin());
        job->joined.fetch_add(1, std::memory_order_relaxed);
      }
      claim_tasks(*job);
      {
        std::lock_guard<std::mutex> lk(mu_);
        if (job->joined.fetch_sub(1, std::memory_order_acq_rel) == 1) done_.notify_all();
      }
    }
  }

  // Called with no job running (construction, or resize once running_ is 0).
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

  std::mutex resize_mu_;  // one resize at a time
  std::mutex mu_;         // guards the open list, the budget, and the condition variables
  std::condition_variable wake_;
  std::condition_variable done_;
  std::vector<std::thread> workers_;
  std::vector<Job*> open_;  // jobs with helper slots left, oldest first
  std::atomic<int> threads_{1};
  std::atomic<bool> quit_{false};
  std::atomic<uint64_t> generation_{0};
  int in_use_ = 0;
  int peak_ = 0;
  int jobs_ = 0;
  int running_ = 0;  // parallel_for calls with helpers in flight
  bool resizing_ = false;
};

// Created on first use and intentionally never destroyed: joining threads from a
// static destructor at process exit can deadlock inside a Node addon.
Pool& pool() {
  static Pool* p = new Pool(default_threads());
  return *p;
}

}  // namespace

int pool_threads() { return pool().threads(); }

int get_threads() { return pool().current_threads(); }

int set_thread_cap(int cap) {
  const int was = t_cap;
  t_cap = cap < 0 ? 0 : cap;
  return was;
}

JobScope::JobScope(int cap) : saved_cap_(set_thread_cap(cap)) {
  ++t_job_depth;
  if (t_job_depth == 1) pool().enter_job();
}

JobScope::~JobScope() {
  if (t_job_depth == 1) pool().leave_job();
  --t_job_depth;
  set_thread_cap(saved_cap_);
}

BudgetStats budget_stats() { return pool().stats(); }
void reset_budget_peak() { pool().reset_peak(); }

void set_threads(int n) {
  if (n < 1) n = 1;
  pool().resize(n);
}

void parallel_for(int64_t n_tasks, const std::function<void(int64_t task)>& fn) {
  pool().run(n_tasks, fn);
}

}  // namespace densely
