// The kernel sets a C++ kernel test runs on (test_optimizers, test_activations,
// test_dense, test_optimizer_update_to, test_network_epoch, test_dropout). CTest runs each of them
// once per set (CMakeLists.txt: <test>_isa_<set> with DENSELY_ISA=<set>): the test then checks that
// set alone, and a set this CPU lacks exits with 77, CTest's SKIP_RETURN_CODE, so the leg is
// reported as skipped, never as passed. Run by hand without DENSELY_ISA (or with a name no set
// has), it checks every set the CPU supports in turn and names the ones it skips.
#pragma once
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "runtime/cpu.h"

namespace densely_test {

inline std::vector<densely::Isa> isas_under_test(const char* test) {
  using densely::Isa;
  const Isa all[] = {Isa::kScalar, Isa::kSse2, Isa::kAvx2, Isa::kAvx512, Isa::kNeon};
  const char* want = std::getenv("DENSELY_ISA");
  std::vector<Isa> out;
  for (Isa isa : all) {
    if (want != nullptr && std::strcmp(want, densely::isa_name(isa)) == 0) {
      if (!densely::isa_supported(isa)) {
        std::printf("%s: skipped, this CPU has no %s\n", test, want);
        std::exit(77);
      }
      std::printf("%s: kernel set %s\n", test, want);
      return {isa};
    }
  }
  for (Isa isa : all) {
    if (densely::isa_supported(isa)) {
      out.push_back(isa);
    } else {
      std::printf("%s: %s skipped (not supported here)\n", test, densely::isa_name(isa));
    }
  }
  return out;
}

}  // namespace densely_test
