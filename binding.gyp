# Axon's native backend (see native/ and src/backend/native/). Built by scripts/build-native.mjs at install time.
#
# The kernels are compiled three times from one source (native/kernels_impl.h), each variant in its own static
# library with its own instruction-set flags; native/addon.cc picks one at load time from what the CPU reports.
# Nothing is compiled with -march=native, so a build runs on any CPU of its architecture.
{
  "target_defaults": {
    # -ffp-contract=off: no fused multiply-adds the source did not ask for, so kernels that promise the reference's
    # exact arithmetic (Adam) round as it does; the GEMM micro-kernels use FMA intrinsics explicitly.
    "cflags_cc": ["-O3", "-fPIC", "-fno-math-errno", "-ffp-contract=off", "-std=gnu++17"],
    "cflags_cc!": ["-fno-rtti"],
    "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
    "xcode_settings": {"OTHER_CPLUSPLUSFLAGS": ["-O3", "-fno-math-errno", "-ffp-contract=off", "-std=gnu++17"]}
  },
  "targets": [
    {
      "target_name": "axon_native",
      "sources": ["native/addon.cc", "native/conv.cc", "native/gemm.cc", "native/threadpool.cc", "native/kernels_generic.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "conditions": [
        ["target_arch=='x64'", {
          "defines": ["AXON_HAVE_X86_KERNELS"],
          "dependencies": ["axon_kernels_avx512", "axon_kernels_avx2"]
        }]
      ]
    }
  ],
  "conditions": [
    ["target_arch=='x64'", {
      "targets": [
        {
          "target_name": "axon_kernels_avx512",
          "type": "static_library",
          "sources": ["native/kernels_avx512.cc"],
          "cflags_cc": ["-mavx512f", "-mavx512vl", "-mavx512dq", "-mavx512bw", "-mavx2", "-mfma", "-mprefer-vector-width=512"],
          "xcode_settings": {"OTHER_CPLUSPLUSFLAGS": ["-mavx512f", "-mavx512vl", "-mavx512dq", "-mavx512bw", "-mavx2", "-mfma"]}
        },
        {
          "target_name": "axon_kernels_avx2",
          "type": "static_library",
          "sources": ["native/kernels_avx2.cc"],
          "cflags_cc": ["-mavx2", "-mfma"],
          "xcode_settings": {"OTHER_CPLUSPLUSFLAGS": ["-mavx2", "-mfma"]}
        }
      ]
    }]
  ]
}
