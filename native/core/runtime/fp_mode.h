// Flush-to-zero for every thread that runs the core's arithmetic.
//
// Why: once a model converges, Adam's moments and many gradients drift below
// FLT_MIN = 2^-126 ≈ 1.18e-38. x86 cores handle a subnormal operand or result with a
// microcode assist (~100+ cycles instead of a 4-cycle FMA), and a GEMM that touches a
// few of them per cache line slows 2.5–3× (a converging training run, bench/README.md,
// "Measurements behind the kernel choices": flush-to-zero).
// With the flags below the hardware treats subnormal inputs as 0 and writes 0 for a
// subnormal result, at full speed.
//
// What is set:
//   x86-64  MXCSR.FTZ (bit 15, flush subnormal results) and MXCSR.DAZ (bit 6, read
//           subnormal operands as 0). SSE's MXCSR only; the x87 unit (long double)
//           is untouched. DAZ exists on every x86-64 CPU.
//   arm64   FPCR.FZ (bit 24): subnormal inputs and results of single and double
//           precision become 0.
//   others  nothing (fp_flush_supported() is false).
// Only the subnormal range changes: any float32 result whose magnitude is below
// 1.18e-38 becomes ±0. Normal values, infinities and NaNs are unaffected, and so is
// rounding (MXCSR.RC / FPCR.RMode are preserved).
//
// Where it is set (so that no caller of the core can forget it):
//   - FlushDenormals, a scope guard, at the core's entry points (the public methods
//     of Network, sgemm_with): it sets the flags on the calling thread and puts the
//     caller's own mode back when the scope ends, so the Node main thread (V8 does
//     its double arithmetic with SSE2, which DAZ/FTZ would change too) and any other
//     caller see their mode unchanged after every call.
//   - fp_flush_enable(), once, at the start of each thread-pool worker: those threads
//     run nothing but the core's tasks.
// Nested guards cost one register read each: the mode is written only when it differs.
#pragma once
#include <cstdint>

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#include <xmmintrin.h>
#define DENSELY_FP_X86 1
#elif defined(__aarch64__)
#define DENSELY_FP_ARM64 1
#endif

namespace densely {

#if defined(DENSELY_FP_X86)
using FpControl = uint32_t;
constexpr FpControl kFpFlushBits = 0x8040u;  // FTZ (bit 15) | DAZ (bit 6)
inline FpControl fp_control_read() { return _mm_getcsr(); }
inline void fp_control_write(FpControl v) { _mm_setcsr(v); }
#elif defined(DENSELY_FP_ARM64)
using FpControl = uint64_t;
constexpr FpControl kFpFlushBits = FpControl{1} << 24;  // FPCR.FZ
inline FpControl fp_control_read() {
  FpControl v;
  __asm__ __volatile__("mrs %0, fpcr" : "=r"(v));
  return v;
}
inline void fp_control_write(FpControl v) {
  __asm__ __volatile__("msr fpcr, %0" : : "r"(v) : "memory");
}
#else
using FpControl = uint32_t;
constexpr FpControl kFpFlushBits = 0;
inline FpControl fp_control_read() { return 0; }
inline void fp_control_write(FpControl) {}
#endif

// Whether this build can flush subnormals at all (x86-64 and arm64).
constexpr bool fp_flush_supported() { return kFpFlushBits != 0; }

// Whether the calling thread flushes now (all of kFpFlushBits set).
inline bool fp_flush_on() {
  return fp_flush_supported() && (fp_control_read() & kFpFlushBits) == kFpFlushBits;
}

// Sets the flush bits on the calling thread for good (thread-pool workers).
inline void fp_flush_enable() {
  const FpControl cur = fp_control_read();
  if ((cur & kFpFlushBits) != kFpFlushBits) fp_control_write(cur | kFpFlushBits);
}

// Scope guard: flush on entry, the caller's exact mode back on exit.
class FlushDenormals {
 public:
  FlushDenormals() : saved_(fp_control_read()) {
    if ((saved_ & kFpFlushBits) != kFpFlushBits) {
      fp_control_write(saved_ | kFpFlushBits);
      changed_ = true;
    }
  }
  ~FlushDenormals() {
    if (changed_) {
      // The status flags (MXCSR bits 0–5: precision, underflow, ...) the core raised
      // are sticky; the caller gets its own back, so it sees nothing of the call.
      fp_control_write(saved_);
    }
  }
  FlushDenormals(const FlushDenormals&) = delete;
  FlushDenormals& operator=(const FlushDenormals&) = delete;

 private:
  FpControl saved_;
  bool changed_ = false;
};

}  // namespace densely
