# CMake toolchain file for aarch64 Linux with Debian's cross compiler
# (apt-get install g++-aarch64-linux-gnu), used by scripts/check-arm64-compile.sh:
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=scripts/arm64/toolchain.cmake
# CMakeLists.txt then sees CMAKE_SYSTEM_PROCESSOR aarch64, picks the arm64 groups of
# native/sources.json (core + core_neon) and the scalar/neon test legs. With qemu-user
# installed, CTest runs the test executables through it (CMAKE_CROSSCOMPILING_EMULATOR).
# Override the compiler prefix with -DDENSELY_CROSS_PREFIX=<prefix> (default aarch64-linux-gnu-).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

if(NOT DENSELY_CROSS_PREFIX)
  set(DENSELY_CROSS_PREFIX aarch64-linux-gnu-)
endif()
set(CMAKE_C_COMPILER ${DENSELY_CROSS_PREFIX}gcc)
set(CMAKE_CXX_COMPILER ${DENSELY_CROSS_PREFIX}g++)

# Libraries and headers of the target only; programs (cmake's own tools) of the host.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Static executables: qemu-aarch64 runs them without an arm64 sysroot (-L).
set(CMAKE_EXE_LINKER_FLAGS_INIT -static)

find_program(DENSELY_QEMU_AARCH64 NAMES qemu-aarch64 qemu-aarch64-static)
if(DENSELY_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${DENSELY_QEMU_AARCH64})
endif()
