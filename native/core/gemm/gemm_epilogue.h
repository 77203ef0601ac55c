// The per-element epilogue of gemm.h, shared by the reference, the direct path and
// every microkernel's scalar edge: c ← act(c + bias[j]).
//   kBias, kBiasRelu, kBiasLeakyRelu add bias[j] (j is the column of C) first;
//   kRelu, kBiasRelu:           max(c, 0) (relu(0) = 0; NaN stays NaN);
//   kLeakyRelu, kBiasLeakyRelu: c > 0 ? c : leaky_alpha · c.
// Header-only and ISA-neutral so it compiles inside any kernel file. Internal linkage
// (anonymous namespace): an inline function with external linkage compiled into an
// AVX2 file could be the copy the linker keeps for baseline callers too.
#pragma once
#include <cstdint>

#include "gemm.h"

namespace densely {
namespace {

inline bool epilogue_has_bias(Epilogue kind) {
  return kind == Epilogue::kBias || kind == Epilogue::kBiasRelu || kind == Epilogue::kBiasLeakyRelu;
}

inline float apply_epilogue(const GemmEpilogue& ep, float v, int64_t j) {
  switch (ep.kind) {
    case Epilogue::kNone:
      return v;
    case Epilogue::kBias:
      return v + ep.bias[j];
    case Epilogue::kBiasRelu:
      v += ep.bias[j];
      return v < 0.0f ? 0.0f : v;
    case Epilogue::kRelu:
      return v < 0.0f ? 0.0f : v;
    case Epilogue::kBiasLeakyRelu:
      v += ep.bias[j];
      return v > 0.0f ? v : ep.leaky_alpha * v;
    case Epilogue::kLeakyRelu:
      return v > 0.0f ? v : ep.leaky_alpha * v;
  }
  return v;
}

}  // namespace
}  // namespace densely
