// copy_first_outside: see scan.h.
#include "scan.h"

#include <cstring>

namespace densely {

int64_t copy_first_outside(const float* src, float* dst, int64_t n, float lo, float hi) {
  constexpr int64_t kBlock = 4096;
  for (int64_t b = 0; b < n; b += kBlock) {
    const int64_t e = n - b < kBlock ? n : b + kBlock;
    std::memcpy(dst + b, src + b, static_cast<size_t>(e - b) * sizeof(float));
    // Branch-free count of the elements outside, so the loop vectorises; the index is
    // looked for only in a block that has one.
    int32_t bad = 0;
    const float* d = dst + b;
    for (int64_t i = 0; i < e - b; ++i) bad += !(d[i] >= lo && d[i] <= hi) ? 1 : 0;
    if (bad != 0) {
      for (int64_t i = b; i < e; ++i) {
        if (!(dst[i] >= lo && dst[i] <= hi)) return i;
      }
    }
  }
  return -1;
}

}  // namespace densely
