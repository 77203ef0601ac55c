// The persistent pool: every task runs exactly once, nested calls run inline, resizing,
// exceptions reach the caller, concurrent callers from two outside threads both finish;
// the thread budget: a job's cap bounds the threads running its tasks, jobs at once never
// count or run more threads than the pool size, and the split size is the cap, not the grant.
#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "check.h"
#include "runtime/cpu.h"
#include "runtime/thread_pool.h"

using namespace densely;

namespace {

void each_task_once(int threads) {
  set_threads(threads);
  CHECK(get_threads() == threads);
  for (int64_t n : {0, 1, 2, 3, 17, 1000}) {
    std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
    for (auto& h : hits) h.store(0);
    parallel_for(n, [&](int64_t t) { hits[static_cast<size_t>(t)].fetch_add(1); });
    bool ok = true;
    for (auto& h : hits) ok = ok && h.load() == 1;
    CHECK(ok);
  }
}

// Workers created by a resize may start running after the next job is published; they
// must still take part in it (a lost worker would leave the caller waiting forever).
void resize_then_run() {
  for (int i = 0; i < 60; ++i) {
    set_threads(2 + i % 3);
    std::atomic<int> hits{0};
    parallel_for(7, [&](int64_t) { hits.fetch_add(1); });
    CHECK(hits.load() == 7);
  }
}

void nested_inline() {
  set_threads(3);
  std::atomic<int> inner{0};
  parallel_for(4, [&](int64_t) {
    const std::thread::id me = std::this_thread::get_id();
    bool same_thread = true;
    parallel_for(5, [&](int64_t) {
      same_thread = same_thread && std::this_thread::get_id() == me;
      inner.fetch_add(1);
    });
    CHECK(same_thread);
  });
  CHECK(inner.load() == 20);
}

// Two tasks that wait for each other: they finish only if two threads run them at once.
// Returns false when they gave up waiting.
bool two_tasks_meet() {
  std::atomic<int> arrived{0};
  std::atomic<bool> timed_out{false};
  parallel_for(2, [&](int64_t) {
    arrived.fetch_add(1);
    for (int spin = 0; arrived.load() < 2; ++spin) {
      if (spin > 200000000) {
        timed_out = true;
        break;
      }
      std::this_thread::yield();
    }
  });
  return !timed_out.load();
}

void uses_several_threads() {
  set_threads(2);
  CHECK(two_tasks_meet());
}

void exceptions_propagate() {
  set_threads(3);
  std::atomic<int> ran{0};
  bool caught = false;
  try {
    parallel_for(10, [&](int64_t t) {
      ran.fetch_add(1);
      if (t == 3) throw std::runtime_error("task 3");
    });
  } catch (const std::runtime_error&) {
    caught = true;
  }
  CHECK(caught);
  CHECK(ran.load() == 10);
  std::atomic<int> after{0};
  parallel_for(10, [&](int64_t) { after.fetch_add(1); });
  CHECK(after.load() == 10);
}

void concurrent_callers() {
  set_threads(2);
  std::atomic<int64_t> sum{0};
  auto caller = [&] {
    for (int rep = 0; rep < 200; ++rep) parallel_for(8, [&](int64_t t) { sum.fetch_add(t + 1); });
  };
  std::thread x(caller), y(caller);
  x.join();
  y.join();
  CHECK(sum.load() == 2 * 200 * 36);
}

void spin_us(int us) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::microseconds(us);
  while (std::chrono::steady_clock::now() < end) {
  }
}

void cap_bounds_job() {
  set_threads(4);
  const JobScope job(2);
  CHECK(get_threads() == 2);
  CHECK(pool_threads() == 4);
  std::mutex mu;
  size_t most = 0;
  for (int rep = 0; rep < 20; ++rep) {
    std::set<std::thread::id> ids;  // the threads that ran this call's tasks
    parallel_for(16, [&](int64_t) {
      {
        std::lock_guard<std::mutex> lk(mu);
        ids.insert(std::this_thread::get_id());
      }
      spin_us(50);
    });
    if (ids.size() > most) most = ids.size();
  }
  CHECK(most <= 2);
  CHECK(two_tasks_meet());  // the cap is also used: the job borrows a worker
}

void jobs_share_budget() {
  set_threads(3);
  reset_budget_peak();
  std::atomic<int> inside{0};
  std::atomic<int> most{0};
  auto job = [&] {
    const JobScope scope(0);
    for (int rep = 0; rep < 200; ++rep) {
      parallel_for(6, [&](int64_t) {
        const int now = inside.fetch_add(1) + 1;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        spin_us(5);
        inside.fetch_sub(1);
      });
    }
  };
  std::thread a(job), b(job);
  a.join();
  b.join();
  const BudgetStats st = budget_stats();
  CHECK(st.peak <= 3);
  CHECK(st.in_use == 0);
  CHECK(st.jobs == 0);
  CHECK(most.load() <= 3);
}

void split_uses_cap_not_grant() {
  set_threads(2);
  std::atomic<bool> entered{false};
  std::atomic<bool> release{false};
  std::thread other([&] {
    const JobScope scope(0);
    entered = true;
    while (!release.load()) std::this_thread::yield();
  });
  while (!entered.load()) std::this_thread::yield();
  {
    const JobScope job(2);  // the budget is now full: this job is granted no worker
    CHECK(get_threads() == 2);
    const std::thread::id me = std::this_thread::get_id();
    bool inline_only = true;
    parallel_for(8,
                 [&](int64_t) { inline_only = inline_only && std::this_thread::get_id() == me; });
    CHECK(inline_only);
  }
  release = true;
  other.join();
  CHECK(get_threads() == 2);  // outside any job: the pool size
}

void cpu_choice() {
  const Isa active = active_isa();
  CHECK(force_isa(Isa::kScalar));
  CHECK(active_isa() == Isa::kScalar);
  CHECK(force_isa(active));
  CHECK(active_isa() == active);
#if defined(__x86_64__)
  CHECK(!force_isa(Isa::kNeon));
  CHECK(force_isa(Isa::kSse2));
  CHECK(force_isa(active));
#endif
  CHECK(std::string(isa_name(Isa::kAvx2)) == "avx2");
}

}  // namespace

int main() {
  CHECK(get_threads() >= 1);
  for (int t : {1, 2, 3, 4, 1}) each_task_once(t);
  resize_then_run();
  nested_inline();
  uses_several_threads();
  exceptions_propagate();
  concurrent_callers();
  cap_bounds_job();
  jobs_share_budget();
  split_uses_cap_not_grant();
  cpu_choice();
  return densely_test::finish("test_thread_pool");
}
