// glibc 2.17 compatibility shim for the portable Linux prebuilds (x86-64 and arm64).
//
// Contract: compiled and linked only into the prebuilt addon (DENSELY_PORTABLE=1 on a
// glibc Linux, see binding.gyp; elsewhere, and on other architectures, this file is
// empty), together with the link flags that
// `node native/compat/glibc_compat.cjs ldflags <target_arch>` prints: -static-libstdc++
// -static-libgcc, -Wl,--exclude-libs,ALL (the static C++ runtime stays private to the addon) and
// one -Wl,--wrap=<symbol> per symbol below. With them the addon imports no glibc symbol version
// newer than GLIBC_2.17, whatever glibc it was linked against; scripts/check-glibc.cjs checks the
// result.
//
// Why: the linker binds each call to the newest (default) version of a symbol in the
// glibc it links against (2.36 on the build machine), e.g. memcpy@GLIBC_2.14,
// expf@GLIBC_2.27, pthread_create@GLIBC_2.34, and the dynamic loader of an older glibc
// refuses to load a file that needs a version it lacks. `--wrap=X` sends every
// reference to X, from our objects and from the static libstdc++/libgcc alike, to
// __wrap_X, defined here:
//   - WRAP_OLD(X, old, version): __wrap_X is a tail jump to `old` (X itself, or fcntl
//     for fcntl64) at its newest version up to 2.17 (on arm64 always GLIBC_2.17, the
//     first glibc for arm64), bound with `.symver`. A tail jump leaves every argument register as
//     the caller set it, so one definition serves any signature. The base versions of these symbols
//     are the same functions with the older error/ABI conventions (memcpy's old version is memmove;
//     the math functions set errno through the old SVID wrapper; fcntl and fcntl64 are one function
//     on 64-bit targets).
//   - symbols with no old version are emulated below with what glibc 2.17 has.
// Anything here but the list and the emulations is mechanical: adding a symbol means
// adding it to DENSELY_GLIBC_WRAPS (glibc_compat.cjs reads that list for the flags).
#if defined(__linux__)
#include <features.h>  // defines __GLIBC__ on glibc (musl's does not)
#endif
#if defined(__linux__) && defined(__GLIBC__) && (defined(__x86_64__) || defined(__aarch64__))

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define DENSELY_FUNCTION_TYPE "@function"
#define DENSELY_TAIL_JUMP(target) "jmp " target "@PLT"
#elif defined(__aarch64__)
#define DENSELY_FUNCTION_TYPE "%function"
#define DENSELY_TAIL_JUMP(target) "b " target
#endif

// BEGIN DENSELY_GLIBC_WRAPS: WRAP_OLD(symbol, old symbol, its x86-64 version); read by
// glibc_compat.cjs
#define DENSELY_GLIBC_WRAPS(WRAP_OLD)                                           \
  WRAP_OLD(memcpy, memcpy, "GLIBC_2.2.5")                                       \
  WRAP_OLD(fcntl64, fcntl, "GLIBC_2.2.5")                                       \
  WRAP_OLD(pthread_create, pthread_create, "GLIBC_2.2.5")                       \
  WRAP_OLD(pthread_join, pthread_join, "GLIBC_2.2.5")                           \
  WRAP_OLD(pthread_detach, pthread_detach, "GLIBC_2.2.5")                       \
  WRAP_OLD(pthread_once, pthread_once, "GLIBC_2.2.5")                           \
  WRAP_OLD(pthread_key_create, pthread_key_create, "GLIBC_2.2.5")               \
  WRAP_OLD(__pthread_key_create, __pthread_key_create, "GLIBC_2.2.5")           \
  WRAP_OLD(pthread_key_delete, pthread_key_delete, "GLIBC_2.2.5")               \
  WRAP_OLD(pthread_getspecific, pthread_getspecific, "GLIBC_2.2.5")             \
  WRAP_OLD(pthread_setspecific, pthread_setspecific, "GLIBC_2.2.5")             \
  WRAP_OLD(pthread_getaffinity_np, pthread_getaffinity_np, "GLIBC_2.3.4")       \
  WRAP_OLD(pthread_setaffinity_np, pthread_setaffinity_np, "GLIBC_2.3.4")       \
  WRAP_OLD(pthread_attr_setstacksize, pthread_attr_setstacksize, "GLIBC_2.2.5") \
  WRAP_OLD(pthread_mutex_trylock, pthread_mutex_trylock, "GLIBC_2.2.5")         \
  WRAP_OLD(pthread_setname_np, pthread_setname_np, "GLIBC_2.12")                \
  WRAP_OLD(pthread_sigmask, pthread_sigmask, "GLIBC_2.2.5")                     \
  WRAP_OLD(exp, exp, "GLIBC_2.2.5")                                             \
  WRAP_OLD(exp2, exp2, "GLIBC_2.2.5")                                           \
  WRAP_OLD(log, log, "GLIBC_2.2.5")                                             \
  WRAP_OLD(log2, log2, "GLIBC_2.2.5")                                           \
  WRAP_OLD(pow, pow, "GLIBC_2.2.5")                                             \
  WRAP_OLD(expf, expf, "GLIBC_2.2.5")                                           \
  WRAP_OLD(exp2f, exp2f, "GLIBC_2.2.5")                                         \
  WRAP_OLD(logf, logf, "GLIBC_2.2.5")                                           \
  WRAP_OLD(log2f, log2f, "GLIBC_2.2.5")                                         \
  WRAP_OLD(powf, powf, "GLIBC_2.2.5")
// END DENSELY_GLIBC_WRAPS
// Emulated (also wrapped; glibc_compat.cjs adds them): _dl_find_object, getentropy,
// arc4random, __cxa_thread_atexit_impl, __libc_single_threaded.

// For symbol X, `old`: the real function at its pre-2.17 version, then __wrap_X: a hidden
// tail jump to it. On arm64 every old version is GLIBC_2.17, the first arm64 glibc.
#if defined(__aarch64__)
#define DENSELY_OLD_VERSION(x86_64_version) "GLIBC_2.17"
#else
#define DENSELY_OLD_VERSION(x86_64_version) x86_64_version
#endif
#define DENSELY_DEFINE_WRAP_OLD(name, old, x86_64_version) \
  __asm__(".symver densely_old_" #name ", " #old "@" DENSELY_OLD_VERSION(x86_64_version) "\n" \
          ".text\n"                                                                 \
          ".p2align 4\n"                                                            \
          ".globl __wrap_" #name "\n"                                               \
          ".hidden __wrap_" #name "\n"                                              \
          ".type __wrap_" #name ", " DENSELY_FUNCTION_TYPE "\n"                     \
          "__wrap_" #name ":\n"                                                     \
          "  " DENSELY_TAIL_JUMP("densely_old_" #name) "\n"                         \
          ".size __wrap_" #name ", .-__wrap_" #name "\n");

DENSELY_GLIBC_WRAPS(DENSELY_DEFINE_WRAP_OLD)

#define DENSELY_HIDDEN extern "C" __attribute__((visibility("hidden")))

// libstdc++ (GCC >= 11 built on glibc >= 2.32) reads this glibc 2.32 flag to skip
// atomic reference counting when the process has one thread. 0 means "maybe more than
// one thread": always take the atomic path, which is correct everywhere.
extern "C" {
__attribute__((visibility("hidden"))) char __wrap___libc_single_threaded = 0;
}

namespace {

// Fills `buf` from the kernel's CSPRNG: getrandom(2) (Linux 3.17), else /dev/urandom.
// Returns 0, or -1 with errno set.
int fill_random(void* buf, size_t len) {
  char* p = static_cast<char*>(buf);
  size_t left = len;
#if defined(SYS_getrandom)
  while (left > 0) {
    long got = syscall(SYS_getrandom, p, left, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      break;
    }
    p += got;
    left -= static_cast<size_t>(got);
  }
  if (left == 0) return 0;
#endif
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  while (left > 0) {
    ssize_t got = read(fd, p, left);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      close(fd);
      errno = EIO;
      return -1;
    }
    p += got;
    left -= static_cast<size_t>(got);
  }
  close(fd);
  return 0;
}

struct FindObject {
  uintptr_t pc;
  struct dl_find_object* result;
};

// dl_iterate_phdr callback: the loaded object whose PT_LOAD segments hold `pc`.
int find_object_callback(struct dl_phdr_info* info, size_t, void* data) {
  FindObject* find = static_cast<FindObject*>(data);
  uintptr_t lo = UINTPTR_MAX;
  uintptr_t hi = 0;
  bool contains = false;
  void* eh_frame = nullptr;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    uintptr_t start = info->dlpi_addr + ph.p_vaddr;
    if (ph.p_type == PT_LOAD) {
      uintptr_t end = start + ph.p_memsz;
      if (start < lo) lo = start;
      if (end > hi) hi = end;
      if (find->pc >= start && find->pc < end) contains = true;
    } else if (ph.p_type == PT_GNU_EH_FRAME) {
      eh_frame = reinterpret_cast<void*>(start);
    }
  }
  if (!contains) return 0;
  memset(find->result, 0, sizeof *find->result);
  find->result->dlfo_map_start = reinterpret_cast<void*>(lo);
  find->result->dlfo_map_end = reinterpret_cast<void*>(hi);
  find->result->dlfo_eh_frame = eh_frame;
  return 1;
}

}  // namespace

// glibc 2.35's lookup of the object that holds an address, which the static libgcc
// unwinder (built on glibc >= 2.35) calls to find .eh_frame_hdr while unwinding a C++
// exception. Emulated with dl_iterate_phdr (glibc 2.2.5), which is what that unwinder
// itself used before 2.35. Returns 0 and fills *result, or -1 when no object holds pc.
DENSELY_HIDDEN int __wrap__dl_find_object(void* pc, struct dl_find_object* result) {
  FindObject find{reinterpret_cast<uintptr_t>(pc), result};
  return dl_iterate_phdr(find_object_callback, &find) ? 0 : -1;
}

namespace {

// One registered thread_local destructor; each thread keeps a LIFO list of them.
struct ThreadDtor {
  void (*dtor)(void*);
  void* object;
  ThreadDtor* next;
};

pthread_key_t thread_dtor_key;
pthread_once_t thread_dtor_once = PTHREAD_ONCE_INIT;

// pthread key destructor: runs a thread's list, newest first. A destructor that
// registers a new thread_local sets the key again, and pthread calls this again.
void run_thread_dtors(void* head) {
  ThreadDtor* entry = static_cast<ThreadDtor*>(head);
  while (entry) {
    ThreadDtor* next = entry->next;
    entry->dtor(entry->object);
    free(entry);
    entry = next;
  }
}

void create_thread_dtor_key() { pthread_key_create(&thread_dtor_key, run_thread_dtors); }

}  // namespace

// glibc 2.18's registration of a thread_local object's destructor, which libstdc++'s
// __cxa_thread_atexit calls for every thread_local with a non-trivial destructor.
// Emulated with a pthread key: the destructors of a thread's objects run when it exits,
// newest first. Differences from glibc: glibc pins the library while destructors are
// pending, this cannot, so the portable addon is linked with -z nodelete (never
// unloaded, see glibc_compat.cjs); the objects of the thread that calls exit() are not
// destroyed (the process ends).
// Returns 0, or -1 when out of memory.
DENSELY_HIDDEN int __wrap___cxa_thread_atexit_impl(void (*dtor)(void*), void* object, void*) {
  pthread_once(&thread_dtor_once, create_thread_dtor_key);
  ThreadDtor* entry = static_cast<ThreadDtor*>(malloc(sizeof(ThreadDtor)));
  if (!entry) return -1;
  entry->dtor = dtor;
  entry->object = object;
  entry->next = static_cast<ThreadDtor*>(pthread_getspecific(thread_dtor_key));
  pthread_setspecific(thread_dtor_key, entry);
  return 0;
}

// glibc 2.25's getentropy: at most 256 bytes from the kernel's CSPRNG.
DENSELY_HIDDEN int __wrap_getentropy(void* buf, size_t len) {
  if (len > 256) {
    errno = EIO;
    return -1;
  }
  return fill_random(buf, len);
}

// glibc 2.36's arc4random (std::random_device's default source in libstdc++ 12).
// It cannot report failure, so a machine with neither getrandom nor /dev/urandom aborts.
DENSELY_HIDDEN uint32_t __wrap_arc4random(void) {
  uint32_t value;
  if (fill_random(&value, sizeof value) != 0) abort();
  return value;
}

#endif  // __linux__ && __GLIBC__ && (__x86_64__ || __aarch64__)
