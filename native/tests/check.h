// A minimal test harness for the CTest executables: CHECK records a failure with its
// location and keeps going; main() returns finish(), non-zero if anything failed.
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace densely_test {

inline int& failures() {
  static int n = 0;
  return n;
}

// The tests' input generator: a 32-bit LCG (Numerical Recipes constants); uniform(lo, hi)
// takes its top 24 bits, so every value is exact in float32 before scaling.
class Lcg {
 public:
  explicit Lcg(uint32_t seed) : state_(seed) {}
  float uniform(float lo, float hi) {
    state_ = state_ * 1664525u + 1013904223u;
    return lo + (hi - lo) * (static_cast<float>(state_ >> 8) / 16777216.0f);
  }

 private:
  uint32_t state_;
};

inline bool quick() {
  const char* q = std::getenv("DENSELY_TEST_QUICK");
  return q != nullptr && q[0] == '1';
}

inline int finish(const char* name) {
  if (failures() == 0) {
    std::printf("%s: all checks passed\n", name);
    return 0;
  }
  std::printf("%s: %d check(s) FAILED\n", name, failures());
  return 1;
}

}  // namespace densely_test

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      ++densely_test::failures();                                          \
      std::printf("%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                      \
  } while (0)
