// The once-per-process choices read from the environment: DENSELY_ISA and
// DENSELY_THREADS. CTest runs this executable several times (CMakeLists.txt) with
// DENSELY_EXPECT_ISA / DENSELY_EXPECT_THREADS naming what the choice must be.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "check.h"
#include "runtime/cpu.h"
#include "runtime/thread_pool.h"

using namespace densely;

int main() {
  // A set this CPU lacks cannot be forced: the test reports itself skipped (CTest's
  // SKIP_RETURN_CODE), never passed.
  if (const char* only_if = std::getenv("DENSELY_EXPECT_IF_SUPPORTED")) {
    bool known = false;
    for (Isa isa : {Isa::kScalar, Isa::kSse2, Isa::kAvx2, Isa::kAvx512, Isa::kNeon}) {
      if (std::strcmp(only_if, isa_name(isa)) != 0) continue;
      known = true;
      if (!isa_supported(isa)) {
        std::printf("test_cpu: skipped, this CPU has no %s\n", only_if);
        return 77;
      }
    }
    CHECK(known);
  }
  const char* want_isa = std::getenv("DENSELY_EXPECT_ISA");
  if (want_isa != nullptr) {
    CHECK(std::string(isa_name(active_isa())) == want_isa);
    if (std::string(isa_name(active_isa())) != want_isa)
      std::printf("  active isa %s, expected %s\n", isa_name(active_isa()), want_isa);
  }
  const char* want_threads = std::getenv("DENSELY_EXPECT_THREADS");
  if (want_threads != nullptr) {
    int expected = std::atoi(want_threads);
    if (std::strcmp(want_threads, "hw") == 0) {
      expected = static_cast<int>(std::thread::hardware_concurrency());
      if (expected < 1) expected = 1;
    }
    CHECK(get_threads() == expected);
    if (get_threads() != expected)
      std::printf("  threads %d, expected %d\n", get_threads(), expected);
  }
  // The best ISA is always one this CPU supports.
  CHECK(force_isa(active_isa()));
  return densely_test::finish("test_cpu");
}
