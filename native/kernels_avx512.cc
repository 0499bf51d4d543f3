// Compiled with -mavx512f -mavx512vl -mavx512dq -mavx2 -mfma (see binding.gyp); only called when the CPU has them.
#define AXON_ISA_NAME "avx512"
#define AXON_KERNELS_FN kernels_avx512
#define AXON_NS isa_avx512
#include "kernels_impl.h"
