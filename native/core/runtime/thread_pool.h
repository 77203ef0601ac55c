// One persistent pool of worker threads for the whole process (never a thread per call),
// shared by every network, every concurrent job and every Node worker_thread (the addon
// is loaded once per process, so this state is process-wide).
//
// parallel_for(n_tasks, fn) runs fn(task) for task in [0, n_tasks) across the calling
// thread and the pool workers it is granted, and returns when all are done. Tasks must be
// independent; the split of work into tasks is the caller's (GEMM splits along m/n, never
// k), so results do not depend on which thread runs a task, nor on how many do. Nested
// calls from inside a task run inline.
//
// The thread budget. The pool size N (set_threads) is also a budget of N threads shared
// by all jobs at once. A job is a thread running core work for one network: a JobScope
// registers it for its lifetime (one thread of the budget; when the budget is full of
// other jobs alone it is granted anyway, over the budget, but when some of it is lent to
// a parallel_for it first waits for that to end); a thread outside any JobScope counts
// itself only while its parallel_for borrows workers. Each parallel_for then borrows at most
// min(its job's thread count − 1, tasks − 1, threads free) workers and returns them when
// it ends. So two jobs at once share the N threads instead of each using N; when the
// budget is spent a job runs alone on its own thread. Only the speed depends on the grant:
// the split (sgemm's task count, via get_threads()) uses the job's thread count, never the
// grant, and the tasks are the same whichever threads run them.
#pragma once
#include <cstdint>
#include <functional>

namespace densely {

// The process-wide pool size N. Default: DENSELY_THREADS, else
// std::thread::hardware_concurrency(). set_threads(n) with n ≥ 1 resizes the pool (it
// waits for the parallel_for calls in flight; calls made meanwhile run inline).
int pool_threads();
void set_threads(int n);

// The calling thread's job thread count: min(its cap, N) inside a JobScope or after
// set_thread_cap(cap > 0), else N. The split of work (sgemm) is sized by this number.
int get_threads();

// Sets the calling thread's cap (0: none) for its later core calls, without registering
// a job; the synchronous binding calls on the JS thread use it (one thread, one call at a
// time). Returns the previous cap.
int set_thread_cap(int cap);

// Registers the calling thread as one job of the budget, with thread cap `cap` (0: the
// pool size), until destroyed; restores the thread's previous cap. The async binding
// workers (an epoch, a predictAsync) hold one while they run.
class JobScope {
 public:
  explicit JobScope(int cap);
  ~JobScope();
  JobScope(const JobScope&) = delete;
  JobScope& operator=(const JobScope&) = delete;

 private:
  int saved_cap_;
};

// The budget's accounting, for tests and diagnostics: threads counted now (jobs,
// transient callers, borrowed workers) and the most counted at once since the last
// reset_budget_peak().
struct BudgetStats {
  int size;
  int in_use;
  int peak;
  int jobs;
};
BudgetStats budget_stats();
void reset_budget_peak();

void parallel_for(int64_t n_tasks, const std::function<void(int64_t task)>& fn);

}  // namespace densely
