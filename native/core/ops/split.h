// How the ops split elementwise work across the thread pool.
//
// Work is cut into fixed-size blocks that depend only on the problem size, never
// on the thread count, and no reduction is ever split across blocks, so every
// result is bit-identical for any thread count. Small work runs inline on the
// calling thread: waking the pool costs a few microseconds, about as much as
// 32k elementwise flops, so below that it only adds latency (the batch-1 path
// must never touch the pool).
#pragma once
#include <cstdint>

#include "../runtime/thread_pool.h"

namespace densely {

// Elements below which elementwise work stays on the calling thread.
constexpr int64_t kParallelMinWork = int64_t{1} << 15;

// Runs fn(begin, end) over [0, n) in blocks of `block` items (the last may be
// shorter); in parallel only when n × cost_per_item ≥ kParallelMinWork.
template <typename Fn>
inline void split_blocks(int64_t n, int64_t block, int64_t cost_per_item, Fn&& fn) {
  if (n <= 0) return;
  if (block < 1) block = 1;
  const int64_t blocks = (n + block - 1) / block;
  if (blocks == 1 || n * cost_per_item < kParallelMinWork || get_threads() <= 1) {
    fn(int64_t{0}, n);
    return;
  }
  parallel_for(blocks, [&](int64_t t) {
    const int64_t b = t * block;
    const int64_t e = b + block < n ? b + block : n;
    fn(b, e);
  });
}

}  // namespace densely
