# node-gyp build of the densely addon. Every source list and every flag that differs
# from node-gyp's defaults comes from native/sources.json (read by native/sources.cjs);
# CMakeLists.txt reads the same file, and test/build/ fails if the two drift.
# Never add a source or a flag here: add it to native/sources.json.
# DENSELY_PORTABLE=1 (set by scripts/prebuild.cjs for the shipped Linux binaries) adds
# the glibc 2.17 shim and the static, private C++ runtime of native/compat/.
{
  "variables": {
    "densely_portable%": "<!(node -p \"process.env.DENSELY_PORTABLE === '1' ? 1 : 0\")"
  },
  "target_defaults": {
    "include_dirs": [
      "native/core",
      "<!(node -p \"require('node-addon-api').include_dir\")"
    ],
    "defines": ["<!@(node native/sources.cjs flags defines)"],
    "cflags!": ["-fno-exceptions", "-fno-rtti"],
    "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++1y", "-std=gnu++20"],
    "cflags_cc": ["<!@(node native/sources.cjs flags cflags_cc)"],
    "ldflags": ["<!@(node native/sources.cjs flags ldflags)"],
    "xcode_settings": {
      "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
      "GCC_ENABLE_CPP_RTTI": "YES",
      "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
      "GCC_SYMBOLS_PRIVATE_EXTERN": "YES",
      "MACOSX_DEPLOYMENT_TARGET": "11.0",
      "OTHER_CPLUSPLUSFLAGS": ["<!@(node native/sources.cjs flags cflags_cc)"]
    },
    "msvs_settings": {
      "VCCLCompilerTool": { "ExceptionHandling": 1, "AdditionalOptions": ["/std:c++17"] }
    }
  },
  "targets": [
    {
      "target_name": "densely_core",
      "type": "static_library",
      "sources": ["<!@(node native/sources.cjs sources core)"]
    },
    {
      "target_name": "densely_core_sse2",
      "type": "static_library",
      "sources": ["<!@(node native/sources.cjs sources core_sse2 <(target_arch))"],
      "cflags_cc": ["<!@(node native/sources.cjs isa-flags core_sse2)"]
    },
    {
      "target_name": "densely_core_avx2",
      "type": "static_library",
      "sources": ["<!@(node native/sources.cjs sources core_avx2 <(target_arch))"],
      "cflags_cc": ["<!@(node native/sources.cjs isa-flags core_avx2)"],
      "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["<!@(node native/sources.cjs isa-flags core_avx2)"] }
    },
    {
      "target_name": "densely_core_avx512",
      "type": "static_library",
      "sources": ["<!@(node native/sources.cjs sources core_avx512 <(target_arch))"],
      "cflags_cc": ["<!@(node native/sources.cjs isa-flags core_avx512)"],
      "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["<!@(node native/sources.cjs isa-flags core_avx512)"] }
    },
    {
      "target_name": "densely_core_neon",
      "type": "static_library",
      "sources": ["<!@(node native/sources.cjs sources core_neon <(target_arch))"],
      "cflags_cc": ["<!@(node native/sources.cjs isa-flags core_neon)"]
    },
    {
      "target_name": "densely",
      "type": "loadable_module",
      "sources": ["<!@(node native/sources.cjs sources binding)"],
      "dependencies": ["densely_core", "densely_core_sse2", "densely_core_avx2", "densely_core_avx512", "densely_core_neon"],
      "conditions": [
        ["OS=='linux' and densely_portable==1", {
          "sources": ["<!@(node native/sources.cjs sources compat_glibc)"],
          "ldflags": ["<!@(node native/compat/glibc_compat.cjs ldflags <(target_arch))"]
        }]
      ]
    }
  ]
}
