// One persistent pool of worker threads for the whole process (never a thread per call).
//
// parallel_for(n_tasks, fn) runs fn(task) for task in [0, n_tasks) across the pool and the
// calling thread and returns when all are done. Tasks must be independent; the split
// of work into tasks is the caller's (GEMM splits along m/n, never k), so results do
// not depend on which thread runs a task. Nested calls from inside a task run inline.
#pragma once
#include <cstdint>
#include <functional>

namespace densely {

// Threads used by parallel_for (including the caller). Default: DENSELY_THREADS, else
// std::thread::hardware_concurrency(). set_threads(n) with n ≥ 1 resizes the pool.
int get_threads();
void set_threads(int n);

void parallel_for(int64_t n_tasks, const std::function<void(int64_t task)>& fn);

}  // namespace densely
