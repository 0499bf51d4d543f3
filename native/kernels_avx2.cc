// Compiled with -mavx2 -mfma (see binding.gyp); only called when the CPU has both.
#define AXON_ISA_NAME "avx2"
#define AXON_KERNELS_FN kernels_avx2
#define AXON_NS isa_avx2
#include "kernels_impl.h"
