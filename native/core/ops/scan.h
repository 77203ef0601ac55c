// Copy-and-check of input data: one pass over memory instead of a copy and a scan.
#pragma once
#include <cstdint>

namespace densely {

// dst[0..n) ← src[0..n), and returns the index of the first element outside [lo, hi]
// (NaN counts as outside), or -1. One pass: each block of 4096 floats is copied and
// compared in the same loop (scan.cc). On a hit the copy stops at the end of that
// block (the caller discards dst then). src and dst must not overlap.
int64_t copy_first_outside(const float* src, float* dst, int64_t n, float lo, float hi);

// The index of the first element of src[0..n) outside [lo, hi] (NaN counts as outside),
// or -1; reads only (predict's check of its input, which it then reads in place).
int64_t first_outside(const float* src, int64_t n, float lo, float hi);

}  // namespace densely
